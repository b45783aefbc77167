// What the gateway's Claude Code sessions cost ccgate and how it gets it back: descriptors after
// aborted turns and a crashed CLI, the MAX_SESSIONS places (least recently used idle session
// makes room; 429 only when all are busy), and MAX_LINE_SIZE on the CLI's output. Each test
// starts its own ccgate, so what it counts is its own.

import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import OpenAI from 'openai';

import { chat, manyBlocks, processDescriptors, rawChat } from './lib/gateway-faults.js';
import {
  GatewayFixture,
  MODEL,
  assistantTurn,
  claudeMissing,
  rejectsWith,
  sleep,
  toolMessage,
  user,
  timeTool,
  waitUntil,
  weatherTool,
  withLog,
  withTimeout,
} from './lib/gateway-harness.js';
import { lastUserText } from './lib/mock-anthropic.js';

const CLEANUP_MS = 8_000;

describe('gateway: resources', { skip: claudeMissing }, () => {
  test('20 turns aborted by their clients and a CLI killed between turns give back every pipe and pidfd', async (t) => {
    const gateway = await GatewayFixture.start();
    t.after(() => gateway.stop());
    await withLog(
      () => gateway,
      async () => {
        const pid = gateway.gate.pid;
        const baseline = processDescriptors(pid);
        const client = gateway.client();
        let turn = 0;
        const requestsSoFar = () => gateway.model.messageRequests.length;

        // 10 × the client leaves after the first streamed words (the model still talking).
        for (let i = 0; i < 10; i++, turn++) {
          gateway.model.enqueue({ text: `Slow answer ${turn} that takes a while.`, pauseAfterEvents: { count: 4, ms: 30_000 } });
          const controller = new AbortController();
          const stream = await client.chat.completions.create({ ...chat(`abort mid-stream ${turn}`), stream: true }, { signal: controller.signal });
          try {
            for await (const chunk of stream) if (chunk.choices[0]?.delta?.content) controller.abort();
          } catch (error) {
            if (!controller.signal.aborted) throw error;
          }
        }
        // 4 × the client stops reading while the model streams a lot, then vanishes: the line
        // queue is full and the CLI blocked on its stdout when the session ends.
        for (let i = 0; i < 4; i++, turn++) {
          gateway.model.enqueue({ blocks: manyBlocks(300, 4000, `flood ${turn}`) });
          const before = requestsSoFar();
          const raw = await rawChat(gateway.gate.port, chat(`flood ${turn}`, { stream: true }), { stopReading: true });
          await gateway.model.waitForModelRequests(before + 1);
          await sleep(1500);
          raw.destroy();
        }
        // 4 × the client leaves before the CLI has said anything (the model is slow to answer).
        for (let i = 0; i < 4; i++, turn++) {
          gateway.model.enqueue({ delayMs: 30_000 });
          const before = requestsSoFar();
          const raw = await rawChat(gateway.gate.port, chat(`abort early ${turn}`, { stream: true }));
          await gateway.model.waitForModelRequests(before + 1);
          raw.destroy();
        }
        // 2 × the client leaves while the CLI waits for the result of a second tool call.
        for (let i = 0; i < 2; i++, turn++) {
          const ask = user(`Please call get_weather with {"city":"Rome"} and get_time with {"zone":"CET"} (abort waiting ${turn})`);
          const first = await client.chat.completions.create({ model: MODEL, messages: [ask], tools: [weatherTool, timeTool] });
          assert.equal(first.choices[0].finish_reason, 'tool_calls');
          const [call] = first.choices[0].message.tool_calls;
          const controller = new AbortController();
          const followUp = client.chat.completions.create(
            { model: MODEL, messages: [ask, assistantTurn(first.choices[0].message), toolMessage(call.id, 'Sunny')], tools: [weatherTool, timeTool], stream: true },
            { signal: controller.signal },
          );
          setTimeout(() => controller.abort(), 1500);
          await followUp.then(
            async (stream) => {
              for await (const _ of stream);
            },
            () => {},
          ).catch(() => {});
        }
        assert.equal(turn, 20);

        // And a session whose CLI dies between turns.
        const done = await client.chat.completions.create(chat('a finished conversation (crash)'));
        assert.equal(done.choices[0].finish_reason, 'stop');
        await waitUntil(() => gateway.claudeProcesses().length > 0, 5_000, 'its CLI idles');
        for (const p of gateway.claudeProcesses()) process.kill(p.pid, 'SIGKILL');

        await gateway.assertCleanWithin(CLEANUP_MS, 'after 20 aborted turns and a crashed CLI');
        await waitUntil(
          () => {
            const now = processDescriptors(pid);
            return now.pipe <= baseline.pipe && now.pidfd <= baseline.pidfd; // a transient at start may sit in the baseline
          },
          CLEANUP_MS,
          'pipes and pidfds back to their baseline',
          () => `(baseline ${JSON.stringify(baseline)}, now ${JSON.stringify(processDescriptors(pid))})`,
        );
        const health = await client.chat.completions.create(chat('still serving after all that'));
        assert.match(health.choices[0].message.content, /still serving/);
      },
    )(t);
  });

  test('eight conversations started at once, half abandoned while their CLI starts: the rest are served and nothing is left', async (t) => {
    const gateway = await GatewayFixture.start();
    t.after(() => gateway.stop());
    await withLog(
      () => gateway,
      async () => {
        const pid = gateway.gate.pid;
        const baseline = processDescriptors(pid);
        const client = gateway.client();
        const conversation = async (index) => {
          const ask = user(`Please call get_weather with {"city":"City${index}"} (burst ${index})`);
          if (index % 2 === 1) {
            // Gone as soon as the request is sent: the session is still being set up.
            const raw = await rawChat(gateway.gate.port, { model: MODEL, messages: [ask], tools: [weatherTool], stream: true });
            await sleep(20 * index);
            raw.destroy();
            return;
          }
          const first = await client.chat.completions.create({ model: MODEL, messages: [ask], tools: [weatherTool] });
          assert.equal(first.choices[0].finish_reason, 'tool_calls');
          const [call] = first.choices[0].message.tool_calls;
          const second = await client.chat.completions.create({
            model: MODEL,
            messages: [ask, assistantTurn(first.choices[0].message), toolMessage(call.id, `Clear in City${index}`)],
            tools: [weatherTool],
          });
          assert.equal(second.choices[0].message.content, `Tool said: Clear in City${index}`);
        };
        await Promise.all(Array.from({ length: 8 }, (_, index) => conversation(index)));

        // The served conversations stay live (idle) until they are swept; end them with the
        // oldest rule there is: a CLI that dies between turns ends its session.
        await waitUntil(() => gateway.claudeProcesses().filter((p) => p.state !== 'Z').length <= 4, CLEANUP_MS, 'the abandoned CLIs ended');
        for (const p of gateway.claudeProcesses()) process.kill(p.pid, 'SIGKILL');
        await gateway.assertCleanWithin(CLEANUP_MS, 'after the burst');
        await waitUntil(
          () => {
            const now = processDescriptors(pid);
            return now.pipe <= baseline.pipe && now.pidfd <= baseline.pidfd; // a transient at start may sit in the baseline
          },
          CLEANUP_MS,
          'pipes and pidfds back to their baseline',
          () => `(baseline ${JSON.stringify(baseline)}, now ${JSON.stringify(processDescriptors(pid))})`,
        );
      },
    )(t);
  });

  test('MAX_SESSIONS=2: finished one-shot chats make room for new conversations', async (t) => {
    const gateway = await GatewayFixture.start({ env: { MAX_SESSIONS: 2 } });
    t.after(() => gateway.stop());
    await withLog(
      () => gateway,
      async () => {
        const client = gateway.client();
        for (let i = 0; i < 5; i++) {
          const completion = await client.chat.completions.create(chat(`one-shot number ${i} (${'x'.repeat(200)})`));
          assert.equal(completion.choices[0].finish_reason, 'stop', `chat ${i} was served`);
          assert.match(completion.choices[0].message.content, new RegExp(`one-shot number ${i}`));
        }
        await waitUntil(() => gateway.claudeProcesses().filter((p) => p.state !== 'Z').length <= 2, CLEANUP_MS, 'at most MAX_SESSIONS CLIs');
        assert.ok(gateway.sessionDirs().length <= 2, `session dirs: ${gateway.sessionDirs()}`);
      },
    )(t);
  });

  test('MAX_SESSIONS=2: with both sessions busy, a new conversation gets 429 rate_limit_error with Retry-After', async (t) => {
    const gateway = await GatewayFixture.start({ env: { MAX_SESSIONS: 2 } });
    t.after(() => gateway.stop());
    await withLog(
      () => gateway,
      async () => {
        const client = gateway.client();
        // One waits for its tool result, one is in the middle of a turn.
        const waiting = await client.chat.completions.create({
          model: MODEL,
          messages: [user('Please call get_weather with {"city":"Oslo"} (busy 1)')],
          tools: [weatherTool],
        });
        assert.equal(waiting.choices[0].finish_reason, 'tool_calls');
        gateway.model.enqueue({ text: 'A long answer.', pauseAfterEvents: { count: 4, ms: 20_000 } });
        const running = client.chat.completions.create({ ...chat('a turn that keeps running (busy 2)'), stream: true });
        const stream = await running;
        const iterator = stream[Symbol.asyncIterator]();
        await iterator.next();

        const response = await gateway.postChat(chat('a third conversation (busy 3)'));
        assert.equal(response.status, 429);
        const retryAfter = Number(response.headers.get('retry-after'));
        assert.ok(Number.isInteger(retryAfter) && retryAfter >= 1, `Retry-After: ${response.headers.get('retry-after')}`);
        const body = await response.json();
        assert.equal(body.error.type, 'rate_limit_error');
        assert.match(body.error.message, /MAX_SESSIONS/);
        const error = await rejectsWith(client.chat.completions.create(chat('through the SDK (busy 4)')), OpenAI.RateLimitError);
        assert.equal(error.status, 429);
        assert.ok(
          !gateway.model.messageRequests.some((r) => /busy [34]/.test(lastUserText(r.body))),
          'no third CLI reached the model',
        );
        assert.equal(gateway.sessionDirs().length, 2, 'the busy sessions were left alone');
        stream.controller.abort();
      },
    )(t);
  });

  test('a CLI stdout line longer than MAX_LINE_SIZE ends the turn with 502 and ends the session', async (t) => {
    const gateway = await GatewayFixture.start({ env: { MAX_LINE_SIZE: 65536 } });
    t.after(() => gateway.stop());
    await withLog(
      () => gateway,
      async () => {
        // Streamed in 3 deltas of ~33 KB, but the CLI's assistant line carries all 100 KB.
        gateway.model.enqueue({ text: 'y'.repeat(100_000) });
        const response = await withTimeout(gateway.postChat(chat('a very long answer')), 20_000, 'an answer');
        assert.equal(response.status, 502);
        const body = await response.json();
        assert.match(body.error.message, /MAX_LINE_SIZE/);
        await gateway.assertCleanWithin(CLEANUP_MS, 'after the overlong line');

        const fine = await gateway.client().chat.completions.create(chat('a short answer'));
        assert.match(fine.choices[0].message.content, /a short answer/);
      },
    )(t);
  });
});
