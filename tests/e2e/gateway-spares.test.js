// Spare Claude Code sessions (SPARE_SESSIONS, SPARE_IDLE_TIMEOUT): a CLI started ahead serves the
// next new conversation launched like the one that started it (same model, effort, system
// prompt and tools), tools and all; the pool is bounded, spares expire, make room first at
// MAX_SESSIONS, answer MCP only with their own secret, and end with ccgate. Each test starts its
// own ccgate, so the Claude Code processes and session dirs it sees are its own.

import assert from 'node:assert/strict';
import { describe, test } from 'node:test';

import {
  GatewayFixture,
  MODEL,
  assistantTurn,
  claudeMissing,
  sleep,
  toolMessage,
  user,
  waitUntil,
  weatherTool,
  withLog,
} from './lib/gateway-harness.js';
import { liveMcpServers } from './lib/gateway-requests.js';

const system = (text) => ({ role: 'system', content: text });

// The 8-character ids of the spares ccgate has started so far, in order.
const sparesStarted = (gateway) => [...gateway.gate.stderr.matchAll(/spare session (\w{8}) started/g)].map((m) => m[1]);
// The session (8-character id) that served each of the first `count` chat completions (ccgate
// logs a request once it has ended, which can be just after its client has the answer).
async function servedBy(gateway, count) {
  const served = () => [...gateway.gate.stderr.matchAll(/POST \/v1\/chat\/completions 200 .*?claude session (\w{8})/g)].map((m) => m[1]);
  await waitUntil(() => served().length >= count, 5_000, `${count} chat completions in the log`);
  return served().slice(0, count);
}

async function waitForSpares(gateway, count, what) {
  await waitUntil(() => sparesStarted(gateway).length >= count, 30_000, what, () => `\n${gateway.log()}`);
  return sparesStarted(gateway);
}

// The number of Claude Code processes once it has stopped changing for a while.
async function settledProcessCount(gateway, quietMs = 1_500) {
  let count = gateway.claudeProcesses().length;
  for (let since = Date.now(); Date.now() - since < quietMs; ) {
    await sleep(100);
    const now = gateway.claudeProcesses().length;
    if (now !== count) [count, since] = [now, Date.now()];
  }
  return count;
}

describe('gateway: spare Claude Code sessions', { skip: claudeMissing }, () => {
  test('SPARE_SESSIONS=1: the next conversation like the first is served by the CLI started ahead, tools and all, and a new spare replaces it', async (t) => {
    const gateway = await GatewayFixture.start({ env: { SPARE_SESSIONS: 1 } });
    t.after(() => gateway.stop());
    await withLog(
      () => gateway,
      async () => {
        const client = gateway.client();
        const first = await client.chat.completions.create({ model: MODEL, messages: [user('hello (spare 1)')], tools: [weatherTool] });
        assert.equal(first.choices[0].finish_reason, 'stop');
        const [spare] = await waitForSpares(gateway, 1, 'a spare started after the first conversation');
        assert.equal(await settledProcessCount(gateway), 2, "the first conversation's CLI and one spare");
        const spareServer = liveMcpServers(gateway).find((server) => server.sessionId.startsWith(spare));
        assert.ok(spareServer, "the spare's CLI runs, with its own MCP endpoint");

        // A second conversation like the first, with a tool round trip: the spare serves it.
        const ask = user('Please call get_weather with {"city":"Oslo"} (spare 2)');
        const call = await client.chat.completions.create({ model: MODEL, messages: [ask], tools: [weatherTool] });
        assert.equal(call.choices[0].finish_reason, 'tool_calls', "the spare's CLI offers the client's tool");
        const [toolCall] = call.choices[0].message.tool_calls;
        assert.equal(toolCall.function.name, 'get_weather');
        const done = await client.chat.completions.create({
          model: MODEL,
          messages: [ask, assistantTurn(call.choices[0].message), toolMessage(toolCall.id, 'Snow in Oslo')],
          tools: [weatherTool],
        });
        assert.equal(done.choices[0].message.content, 'Tool said: Snow in Oslo');
        assert.deepEqual((await servedBy(gateway, 3)).slice(1), [spare, spare], 'both requests of the second conversation went to the spare');
        assert.ok(
          liveMcpServers(gateway).some((server) => server.pid === spareServer.pid),
          'the process started ahead is the one that served it',
        );

        // Its place in the pool is taken by a new spare: never more than SPARE_SESSIONS.
        const spares = await waitForSpares(gateway, 2, 'a new spare after the first was adopted');
        assert.notEqual(spares[1], spare);
        assert.equal(await settledProcessCount(gateway), 3, 'two conversations and one spare');
        assert.equal(sparesStarted(gateway).length, 2);
      },
    )(t);
  });

  test('SPARE_SESSIONS=2 keeps at most two spares: of three different launches, only the first two get one; a like conversation adopts its own', async (t) => {
    const gateway = await GatewayFixture.start({ env: { SPARE_SESSIONS: 2 } });
    t.after(() => gateway.stop());
    await withLog(
      () => gateway,
      async () => {
        const client = gateway.client();
        const chat = (prompt, text) => client.chat.completions.create({ model: MODEL, messages: [system(prompt), user(text)] });
        await chat('You are A.', 'hello (key A)');
        await waitForSpares(gateway, 1, 'a spare for A');
        await chat('You are B.', 'hello (key B)');
        await waitForSpares(gateway, 2, 'a spare for B');
        await chat('You are C.', 'hello (key C)');
        assert.equal(await settledProcessCount(gateway), 5, 'three conversations and two spares');
        assert.equal(sparesStarted(gateway).length, 2, 'no spare for C: the pool is full');

        // A conversation launched like A's (another system prompt would not match) adopts A's spare.
        const [spareA, spareB] = sparesStarted(gateway);
        await chat('You are A.', 'hello again (key A)');
        assert.equal((await servedBy(gateway, 4)).at(-1), spareA);
        assert.match(gateway.gate.stderr, new RegExp(`session ${spareA} \\(a spare\\) takes a new conversation`));
        assert.doesNotMatch(gateway.gate.stderr, new RegExp(`session ${spareB} \\(a spare\\) takes`), "B's spare waits for B");
        await waitForSpares(gateway, 3, "a new spare in A's place");
        assert.equal(await settledProcessCount(gateway), 6, 'four conversations and two spares');
      },
    )(t);
  });

  test('without SPARE_SESSIONS no CLI runs ahead', async (t) => {
    const gateway = await GatewayFixture.start();
    t.after(() => gateway.stop());
    await withLog(
      () => gateway,
      async () => {
        await gateway.client().chat.completions.create({ model: MODEL, messages: [user('hello (no spares)')] });
        assert.equal(await settledProcessCount(gateway), 1, "only the conversation's own CLI");
        assert.equal(gateway.sessionDirs().length, 1);
        assert.doesNotMatch(gateway.gate.stderr, /spare/);
      },
    )(t);
  });

  test('a spare unused for SPARE_IDLE_TIMEOUT is ended, its process and dir gone; the next conversation starts its own CLI', async (t) => {
    const gateway = await GatewayFixture.start({ env: { SPARE_SESSIONS: 1, SPARE_IDLE_TIMEOUT: 1 } });
    t.after(() => gateway.stop());
    await withLog(
      () => gateway,
      async () => {
        const client = gateway.client();
        await client.chat.completions.create({ model: MODEL, messages: [user('hello (expiry 1)')] });
        const [spare] = await waitForSpares(gateway, 1, 'a spare');
        await waitUntil(() => /ended 1 spare session\(s\) unused for SPARE_IDLE_TIMEOUT/.test(gateway.gate.stderr), 10_000, 'the spare to expire');
        await waitUntil(
          () => gateway.claudeProcesses().length === 1 && gateway.sessionDirs().length === 1,
          5_000,
          "the spare's process and dir to go",
          () => JSON.stringify({ processes: gateway.claudeProcesses().length, dirs: gateway.sessionDirs() }),
        );
        const second = await client.chat.completions.create({ model: MODEL, messages: [user('hello (expiry 2)')] });
        assert.equal(second.choices[0].finish_reason, 'stop');
        assert.notEqual((await servedBy(gateway, 2)).at(-1), spare, 'the expired spare served nobody');
      },
    )(t);
  });

  test('at MAX_SESSIONS a spare is the first to make room: a conversation waiting on its tool call keeps its CLI', async (t) => {
    const gateway = await GatewayFixture.start({ env: { SPARE_SESSIONS: 1, MAX_SESSIONS: 2 } });
    t.after(() => gateway.stop());
    await withLog(
      () => gateway,
      async () => {
        const client = gateway.client();
        const ask = user('Please call get_weather with {"city":"Bern"} (room)');
        const first = await client.chat.completions.create({ model: MODEL, messages: [ask], tools: [weatherTool] });
        assert.equal(first.choices[0].finish_reason, 'tool_calls');
        const [spare] = await waitForSpares(gateway, 1, 'a spare');
        assert.equal(await settledProcessCount(gateway), 2, 'MAX_SESSIONS is reached: the waiting conversation and the spare');

        // Launched differently (no tools): the spare cannot serve it, so it makes room.
        const other = await client.chat.completions.create({ model: MODEL, messages: [user('a different conversation (room)')] });
        assert.equal(other.choices[0].finish_reason, 'stop');
        assert.match(gateway.gate.stderr, new RegExp(`session ${spare} makes room for a new conversation`));

        const [call] = first.choices[0].message.tool_calls;
        const second = await client.chat.completions.create({
          model: MODEL,
          messages: [ask, assistantTurn(first.choices[0].message), toolMessage(call.id, 'Foggy in Bern')],
          tools: [weatherTool],
        });
        assert.equal(second.choices[0].message.content, 'Tool said: Foggy in Bern', 'the waiting conversation still completes');
        assert.equal(await settledProcessCount(gateway), 2, 'no spare beyond MAX_SESSIONS');
      },
    )(t);
  });

  test("a spare's MCP endpoints answer only its own secret", async (t) => {
    const gateway = await GatewayFixture.start({ env: { SPARE_SESSIONS: 1 } });
    t.after(() => gateway.stop());
    await withLog(
      () => gateway,
      async () => {
        await gateway.client().chat.completions.create({ model: MODEL, messages: [user('hello (spare secret)')], tools: [weatherTool] });
        const [spare] = await waitForSpares(gateway, 1, 'a spare');
        let servers = [];
        await waitUntil(() => (servers = liveMcpServers(gateway)).length === 2, 10_000, 'two CLIs with MCP configs');
        const spareServer = servers.find((server) => server.sessionId.startsWith(spare));
        const otherServer = servers.find((server) => server !== spareServer);
        const list = async (secret) => {
          const response = await fetch(spareServer.url, {
            method: 'POST',
            headers: { 'content-type': 'application/json', accept: 'application/json, text/event-stream', [spareServer.secretHeader]: secret },
            body: JSON.stringify({ jsonrpc: '2.0', id: 1, method: 'tools/list' }),
          });
          return { status: response.status, body: await response.text() };
        };
        const own = await list(spareServer.secret);
        assert.equal(own.status, 200);
        assert.match(own.body, /get_weather/, "the spare serves its own conversation's tools");
        const borrowed = await list(otherServer.secret);
        assert.ok(borrowed.status >= 400 && borrowed.status < 500, `another session's secret is refused (${borrowed.status})`);
        assert.doesNotMatch(borrowed.body, /get_weather/);
      },
    )(t);
  });

  for (const when of ['while the spare starts', 'with the spare ready'])
    test(`SIGTERM ${when}: ccgate exits by itself and leaves no process and no session dir`, async (t) => {
      const gateway = await GatewayFixture.start({ env: { SPARE_SESSIONS: 1 } });
      t.after(() => gateway.stop());
      await withLog(
        () => gateway,
        async () => {
          await gateway.client().chat.completions.create({ model: MODEL, messages: [user(`hello (shutdown ${when})`)] });
          if (when === 'with the spare ready') {
            await waitForSpares(gateway, 1, 'a spare');
            await waitUntil(() => liveMcpServers(gateway).length === 2, 10_000, 'the spare CLI running');
          }
          const { code, signal } = await gateway.gate.stop(10_000);
          assert.equal(signal, null, 'ccgate stopped by itself, not by SIGKILL');
          assert.equal(code, 0);
          assert.doesNotMatch(gateway.gate.stderr, /AddressSanitizer|LeakSanitizer|runtime error:/);
          await gateway.assertCleanWithin(2_000, 'after ccgate exited');
        },
      )(t);
    });
});
