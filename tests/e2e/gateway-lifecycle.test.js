// What the gateway door leaves behind and how it shares itself: a client that leaves mid-stream,
// conversations in parallel, the session limit, and shutting down with a live session. Each test
// starts its own ccgate, so the Claude Code processes and session dirs it sees are its own.

import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import OpenAI from 'openai';

import {
  GATEWAY_KEY,
  GatewayFixture,
  MODEL,
  assistantTurn,
  claudeMissing,
  rejectsWith,
  toolMessage,
  user,
  waitUntil,
  weatherTool,
  withLog,
  withTimeout,
} from './lib/gateway-harness.js';
import { lastUserText, toolResultsOf } from './lib/mock-anthropic.js';

// How long ccgate may take to end a CLI and remove its session dir once the session is over.
const CLEANUP_MS = 5_000;

describe('gateway: lifecycle', { skip: claudeMissing }, () => {
  test('a client that aborts mid-stream leaves no claude process and no session dir', async (t) => {
    const gateway = await GatewayFixture.start();
    t.after(() => gateway.stop());
    await withLog(
      () => gateway,
      async () => {
        // The model starts answering, then stalls: the client is gone before the turn ends.
        gateway.model.enqueue({ text: 'This answer takes a long while to finish.', pauseAfterEvents: { count: 4, ms: 30_000 } });
        const controller = new AbortController();
        const stream = await gateway.client().chat.completions.create(
          { model: MODEL, messages: [user('tell me slowly (abort)')], stream: true },
          { signal: controller.signal },
        );
        let received = '';
        const reading = (async () => {
          try {
            for await (const chunk of stream) {
              received += chunk.choices[0]?.delta?.content ?? '';
              if (received) controller.abort();
            }
          } catch (error) {
            if (!controller.signal.aborted) throw error;
          }
        })();
        await withTimeout(reading, 20_000, 'the first streamed text');
        assert.ok(received.length > 0, 'the client got part of the answer before leaving');
        assert.ok(gateway.claudeProcesses().length > 0 || gateway.sessionDirs().length > 0, 'a session was running when the client left');

        await gateway.assertCleanWithin(CLEANUP_MS, 'after the client aborted');
        const [request] = gateway.model.messageRequests;
        await withTimeout(request.closed, 2_000, 'the CLI closing its model request');
        const health = await gateway.fetch('/v1/models', { headers: { authorization: `Bearer ${GATEWAY_KEY}` } });
        assert.equal(health.status, 200, 'ccgate itself keeps serving');
      },
    )(t);
  });

  test('four conversations in parallel, each with its own tool round trip, do not cross', async (t) => {
    const gateway = await GatewayFixture.start();
    t.after(() => gateway.stop());
    await withLog(
      () => gateway,
      async () => {
        const cities = ['Paris', 'Oslo', 'Lima', 'Cairo'];
        const conversation = async (city, index) => {
          const client = gateway.client();
          const streamed = index % 2 === 1;
          const ask = user(`Please call get_weather with {"city":"${city}"} (parallel ${index})`);
          const complete = (messages) =>
            streamed
              ? client.chat.completions.stream({ model: MODEL, messages, tools: [weatherTool] }).finalChatCompletion()
              : client.chat.completions.create({ model: MODEL, messages, tools: [weatherTool] });
          const first = await complete([ask]);
          const [choice] = first.choices;
          assert.equal(choice.finish_reason, 'tool_calls', `${city}: ${JSON.stringify(choice)}`);
          assert.equal(choice.message.tool_calls.length, 1);
          const [call] = choice.message.tool_calls;
          assert.deepEqual(JSON.parse(call.function.arguments), { city }, `${city} got its own tool call`);
          const answer = `Weather in ${city}: code ${index}`;
          const second = await complete([ask, assistantTurn(choice.message), toolMessage(call.id, answer)]);
          assert.equal(second.choices[0].message.content, `Tool said: ${answer}`, `${city} got its own result`);
          return call.id;
        };
        const ids = await Promise.all(cities.map(conversation));
        assert.equal(new Set(ids).size, 4, 'four distinct tool calls');

        const sessions = new Set(
          gateway.model.messageRequests.filter((r) => /\(parallel \d\)/.test(lastUserText(r.body))).map((r) => r.headers['x-claude-code-session-id']),
        );
        assert.equal(sessions.size, 4, 'one Claude Code session per conversation');
        for (const index of ids.keys()) {
          // The model knows the call by its own tool_use id, not the one the client saw.
          const [modelCall] = gateway.model.messageRequests.find((r) => lastUserText(r.body).includes(`(parallel ${index})`)).answer.toolUses;
          const carrying = gateway.model.messageRequests.filter((r) => toolResultsOf(r.body).some((result) => result.tool_use_id === modelCall.id));
          assert.equal(carrying.length, 1, `the result for ${cities[index]} reached the model once`);
          assert.deepEqual(
            toolResultsOf(carrying[0].body).map((result) => result.text),
            [`Weather in ${cities[index]}: code ${index}`],
          );
        }
      },
    )(t);
  });

  test('with MAX_SESSIONS=1 and one session waiting on a tool, a new conversation gets 429', async (t) => {
    const gateway = await GatewayFixture.start({ env: { MAX_SESSIONS: 1 } });
    t.after(() => gateway.stop());
    await withLog(
      () => gateway,
      async () => {
        const client = gateway.client();
        const ask = user('Please call get_weather with {"city":"Bern"} (limit)');
        const first = await client.chat.completions.create({ model: MODEL, messages: [ask], tools: [weatherTool] });
        assert.equal(first.choices[0].finish_reason, 'tool_calls');
        const requestsBefore = gateway.model.messageRequests.length;

        const error = await rejectsWith(
          client.chat.completions.create({ model: MODEL, messages: [user('a different conversation (limit)')] }),
          OpenAI.RateLimitError,
        );
        assert.equal(error.status, 429);
        assert.match(error.message, /session/i, 'the message says what ran out');
        assert.equal(gateway.model.messageRequests.length, requestsBefore, 'no second CLI reached the model');

        const [call] = first.choices[0].message.tool_calls;
        const second = await client.chat.completions.create({
          model: MODEL,
          messages: [ask, assistantTurn(first.choices[0].message), toolMessage(call.id, 'Foggy in Bern')],
          tools: [weatherTool],
        });
        assert.equal(second.choices[0].message.content, 'Tool said: Foggy in Bern', 'the waiting session still completes');
      },
    )(t);
  });

  test('SIGTERM with a tool call waiting for the client: the call is answered at once, ccgate exits well before SHUTDOWN_GRACE and leaves nothing behind', async (t) => {
    const gateway = await GatewayFixture.start({ env: { SHUTDOWN_GRACE: 30 } });
    t.after(() => gateway.stop());
    await withLog(
      () => gateway,
      async () => {
        const first = await gateway.client().chat.completions.create({
          model: MODEL,
          messages: [user('Please call get_weather with {"city":"Tokyo"} (shutdown)')],
          tools: [weatherTool],
        });
        assert.equal(first.choices[0].finish_reason, 'tool_calls');
        assert.ok(gateway.claudeProcesses().length > 0, 'the session CLI is running');
        assert.ok(gateway.sessionDirs().length > 0, 'its session dir exists');
        // The CLI's MCP call is parked, waiting for the client's result.
        await waitUntil(() => /tools\/call/.test(gateway.gate.stderr), 10_000, "the CLI's MCP tools/call");

        const started = Date.now();
        const { code, signal } = await gateway.gate.stop(25_000);
        const took = Date.now() - started;
        assert.equal(signal, null, 'ccgate stopped by itself, not by SIGKILL');
        assert.equal(code, 0);
        assert.ok(took < 8_000, `ccgate took ${took} ms to stop: the parked call waited out SHUTDOWN_GRACE (30 s)`);
        await gateway.assertCleanWithin(2_000, 'after ccgate exited');
      },
    )(t);
  });
});
