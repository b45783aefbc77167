// Every gateway turn ends: TURN_TIMEOUT bounds a wedged CLI, INTERRUPT_TIMEOUT bounds the CLI's
// stop after a stop sequence cut the reply, and the CLI's output has one reader at a time and
// loses no line to the keep-alive timer.

import assert from 'node:assert/strict';
import fs from 'node:fs';
import { describe, test } from 'node:test';

import { makeTempDir } from './lib/ccgate.js';
import { chat, cliAnswerLines, manyBlocks, writeFakeCli } from './lib/gateway-faults.js';
import {
  GatewayFixture,
  MODEL,
  assistantTurn,
  claudeMissing,
  readChatSSE,
  timeTool,
  toolMessage,
  user,
  waitUntil,
  weatherTool,
  withLog,
  withTimeout,
} from './lib/gateway-harness.js';
import { lastUserText, toolResultsOf } from './lib/mock-anthropic.js';

const CLEANUP_MS = 8_000;

describe('gateway: deadlines and readers', { skip: claudeMissing }, () => {
  test('TURN_TIMEOUT: a turn whose model never answers gets 504 (or an error chunk once streaming) and its CLI is ended', async (t) => {
    const gateway = await GatewayFixture.start({ env: { TURN_TIMEOUT: 2, GATEWAY_KEEPALIVE: 0.5 } });
    t.after(() => gateway.stop());
    await withLog(
      () => gateway,
      async () => {
        gateway.model.enqueue({ hang: true });
        const started = Date.now();
        const response = await withTimeout(gateway.postChat(chat('never answered (plain)')), 20_000, 'an answer');
        assert.equal(response.status, 504);
        const body = await response.json();
        assert.equal(body.error.type, 'api_error');
        assert.match(body.error.message, /TURN_TIMEOUT/);
        assert.ok(Date.now() - started < 15_000, `answered after ${Date.now() - started} ms`);
        await gateway.assertCleanWithin(CLEANUP_MS, 'after the turn timed out');

        // Streaming: keep-alive comments have committed the 200; the end is an error event.
        gateway.model.enqueue({ text: 'It begins, and then', hangAfterEvents: 5 });
        const streamed = await gateway.postChat(chat('never finished (streamed)', { stream: true }));
        assert.equal(streamed.status, 200);
        const { data, comments } = await readChatSSE(streamed, { timeoutMs: 20_000 });
        assert.ok(comments.length > 0, 'keep-alive comments while waiting');
        const error = data.find((event) => typeof event === 'object' && event.error);
        assert.ok(error, `an error event: ${JSON.stringify(data)}`);
        assert.match(error.error.message, /TURN_TIMEOUT/);
        assert.equal(data.at(-1), '[DONE]');
        const text = data.flatMap((event) => event.choices ?? []).map((choice) => choice.delta?.content ?? '').join('');
        assert.match(text, /It begins/, 'what was said before is kept');
        await gateway.assertCleanWithin(CLEANUP_MS, 'after the streamed turn timed out');
      },
    )(t);
  });

  test('a stop sequence ends the reply and the same Claude Code takes the next message', async (t) => {
    const gateway = await GatewayFixture.start();
    t.after(() => gateway.stop());
    await withLog(
      () => gateway,
      async () => {
        const client = gateway.client();
        gateway.model.enqueue({ text: 'First part. HALT and this is never shown.', pauseAfterEvents: { count: 6, ms: 20_000 } });
        const ask = user('say something (stop sequence)');
        const first = await client.chat.completions.create({ model: MODEL, messages: [ask], stop: ['HALT'] });
        assert.equal(first.choices[0].finish_reason, 'stop');
        assert.equal(first.choices[0].message.content, 'First part. ');

        const second = await withTimeout(
          client.chat.completions.create({ model: MODEL, messages: [ask, assistantTurn(first.choices[0].message), user('and now the next message')] }),
          20_000,
          'the follow-up',
        );
        assert.equal(second.choices[0].finish_reason, 'stop');
        assert.match(second.choices[0].message.content, /and now the next message/);
        const sessions = new Set(gateway.model.messageRequests.map((r) => r.headers['x-claude-code-session-id']));
        assert.equal(sessions.size, 1, 'one Claude Code served both');
      },
    )(t);
  });

  test('INTERRUPT_TIMEOUT: a CLI that ignores the interrupt after a stop sequence is killed and its place freed', async (t) => {
    // A stand-in CLI that starts an answer, then ignores everything (interrupts, signals).
    const dir = makeTempDir('ccgate-e2e-wedged-');
    const lines = cliAnswerLines('Hello STOP and more').map((line) => `echo '${line}'`).join('\n');
    const wedged = writeFakeCli(dir, 'fake-claude-wedged', `trap '' INT TERM\nread -r first\n${lines}\nwhile :; do sleep 1; done`);
    let gateway;
    t.after(async () => {
      await gateway?.stop();
      fs.rmSync(dir, { recursive: true, force: true });
    });
    gateway = await GatewayFixture.start({ env: { CLAUDE_CODE_PATH: wedged, INTERRUPT_TIMEOUT: 1, MAX_SESSIONS: 1 } });
    await withLog(
      () => gateway,
      async () => {
        const started = Date.now();
        const first = await withTimeout(gateway.client().chat.completions.create(chat('cut me short', { stop: ['STOP'] })), 20_000, 'the reply');
        assert.equal(first.choices[0].message.content, 'Hello ', 'the reply itself is whole');
        assert.equal(first.choices[0].finish_reason, 'stop');
        await gateway.assertCleanWithin(CLEANUP_MS, 'after INTERRUPT_TIMEOUT=1');
        assert.ok(Date.now() - started < 15_000, `the wedged CLI was ended after ${Date.now() - started} ms`);
        const next = await gateway.postChat(chat('the freed place', { stop: ['STOP'] }));
        assert.equal(next.status, 200, 'the only place (MAX_SESSIONS=1) is free again');
        await next.body?.cancel();
      },
    )(t);
  });

  test('no line is lost to the keep-alive timer (GATEWAY_KEEPALIVE=0.001)', async (t) => {
    const gateway = await GatewayFixture.start({ env: { GATEWAY_KEEPALIVE: 0.001 } });
    t.after(() => gateway.stop());
    await withLog(
      () => gateway,
      async () => {
        const client = gateway.client();
        for (let round = 0; round < 4; round++) {
          const blocks = manyBlocks(40, 24, `r${round}`);
          const expected = blocks.map((block) => block.text).join('\n\n');
          gateway.model.enqueue({ blocks, eventDelayMs: 1 });
          const stream = round % 2 === 0;
          const marker = `keep-alive race ${round}`;
          let content;
          if (stream) {
            const response = await gateway.postChat(chat(marker, { stream: true }));
            const { data } = await readChatSSE(response, { timeoutMs: 30_000 });
            assert.equal(data.at(-1), '[DONE]', `round ${round} ended`);
            content = data.flatMap((event) => event.choices ?? []).map((choice) => choice.delta?.content ?? '').join('');
          } else {
            const completion = await withTimeout(client.chat.completions.create(chat(marker)), 30_000, `round ${round}`);
            content = completion.choices[0].message.content;
          }
          assert.equal(content.replaceAll('\n\n', ''), expected.replaceAll('\n\n', ''), `round ${round}: every delta arrived`);
        }
      },
    )(t);
  });

  test('a tool call that times out while the follow-up turn runs: the follow-up alone reads the CLI and gets the whole answer', async (t) => {
    const gateway = await GatewayFixture.start({ env: { TOOL_CALL_TIMEOUT: 2 } });
    t.after(() => gateway.stop());
    await withLog(
      () => gateway,
      async () => {
        const client = gateway.client();
        const tools = [weatherTool, timeTool];
        const ask = user('Please call get_weather with {"city":"Lima"} and get_time with {"zone":"PET"} (one answered)');
        const first = await client.chat.completions.create({ model: MODEL, messages: [ask], tools });
        assert.equal(first.choices[0].finish_reason, 'tool_calls');
        const calls = first.choices[0].message.tool_calls;
        assert.equal(calls.length, 2);
        const weather = calls.find((call) => call.function.name === 'get_weather');

        // Only the weather is answered, and the client's history leaves the time call out (a
        // history that keeps it unanswered is OpenAI's 400): the time call waits, times out, and
        // the model goes on.
        const answeredOnly = { ...first.choices[0].message, tool_calls: [weather] };
        const response = await gateway.postChat({
          model: MODEL,
          messages: [ask, assistantTurn(answeredOnly), toolMessage(weather.id, 'Mild in Lima')],
          tools,
          stream: true,
        });
        assert.equal(response.status, 200);
        const { data } = await readChatSSE(response, { timeoutMs: 30_000 });
        assert.equal(data.at(-1), '[DONE]', `the follow-up ended: ${JSON.stringify(data.slice(-3))}`);
        const content = data.flatMap((event) => event.choices ?? []).map((choice) => choice.delta?.content ?? '').join('');
        const finish = data.flatMap((event) => event.choices ?? []).map((choice) => choice.finish_reason).filter(Boolean);
        assert.deepEqual(finish, ['stop'], JSON.stringify(data.slice(-4)));
        const answered = gateway.model.messageRequests.find((r) => toolResultsOf(r.body).length === 2);
        assert.ok(answered, 'the model got both results');
        assert.equal(content, answered.answer.text, 'the client got the whole answer');
        assert.match(content, /Mild in Lima/);
        assert.ok(!gateway.model.messageRequests.some((r) => lastUserText(r.body).includes('never')));
        await gateway.assertCleanWithin(CLEANUP_MS, 'the expired conversation ends after its turn');
      },
    )(t);
  });
});
