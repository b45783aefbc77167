// The fault suite, Claude Code faults (the gateway door): a CLI that crashes mid-turn, hangs,
// writes garbage or a 20 MiB line, exits at start, never connects to MCP, or calls a tool it was
// not given, each on its own, for a streaming and a non-streaming request. The real CLI against
// the mock model where it can be made to misbehave (a crash is a SIGKILL in the middle of its
// turn, an unknown tool is what the model asks for), a stand-in (lib/fault-suite.js) where it
// cannot. The client must get a clear OpenAI error (a non-200 error body, or an error chunk that
// the SDK's stream reader throws, with no finish_reason), never a fake success; then nothing may
// be left behind (no Claude Code process, no session dir, no model connection, fds and RSS back).

import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { after, before, describe, test } from 'node:test';

import { waitUntil } from './lib/common.js';
import {
  CLI_FAULTS,
  FaultBench,
  assertOpenAIError,
  assertOpenAIStreamError,
  chatBody,
  claudeMissing,
  postChat,
  runFault,
  sseEvents,
} from './lib/fault-suite.js';
import { assistantTurn, claudeBinary, toolMessage, weatherTool } from './lib/gateway-harness.js';
import { toolResultsOf } from './lib/mock-anthropic.js';

// Kills the conversation's Claude Code once the turn is under way: its model request has come
// and, when streaming, the client has the first words.
async function crashMidTurn(bench, stream, progress, modelRequestsBefore) {
  await bench.model.waitForModelRequests(modelRequestsBefore + 1, { timeoutMs: 20_000 });
  if (stream) await waitUntil(() => /"content":"[^"]/.test(progress.text ?? ''), 20_000, 'the first words of the stream');
  else await new Promise((resolve) => setTimeout(resolve, 300));
  const processes = bench.gateway.claudeProcesses();
  assert.ok(processes.length > 0, 'a Claude Code process runs the turn');
  for (const p of processes) process.kill(p.pid, 'SIGKILL');
}

// The faults: the model the client asks for (a stand-in fault, or the real CLI's), what the mock
// model is told, what happens while the request runs, and what the client must see.
const faults = [
  {
    name: 'Claude Code crashes mid-turn (SIGKILL)',
    arrange: (bench) => bench.model.enqueue({ text: 'An answer that is never finished.', pauseAfterEvents: { count: 5, ms: 60_000 } }),
    during: crashMidTurn,
    status: 502,
    said: /exited in the middle of the turn/,
  },
  {
    name: 'Claude Code crashes while its tool call waits for the client',
    request: async (bench, stream) => {
      const ask = { role: 'user', content: 'Please call get_weather with {"city":"Oslo"} (crash while parked)' };
      const first = await postChat(bench, { ...chatBody(''), messages: [ask], tools: [weatherTool] });
      assert.equal(first.status, 200, first.text.slice(0, 300));
      const message = JSON.parse(first.text).choices[0].message;
      assert.equal(message.tool_calls?.length, 1, JSON.stringify(message));
      for (const p of bench.gateway.claudeProcesses()) process.kill(p.pid, 'SIGKILL');
      await waitUntil(() => bench.gateway.claudeProcesses().length === 0, 5_000, 'the CLI to be gone');
      const followUp = { ...chatBody(''), stream, messages: [ask, assistantTurn(message), toolMessage(message.tool_calls[0].id, 'Sunny')], tools: [weatherTool] };
      return postChat(bench, followUp, { timeoutMs: 30_000 });
    },
    status: 404,
    said: /does not belong to a live conversation/,
  },
  { name: 'Claude Code hangs (ignores SIGTERM)', model: CLI_FAULTS.hang, status: 504, said: /TURN_TIMEOUT/ },
  { name: 'Claude Code writes garbage on stdout', model: CLI_FAULTS.garbage, status: 502, said: /cannot read/ },
  { name: 'Claude Code writes a 20 MiB line', model: CLI_FAULTS.hugeLine, status: 502, said: /MAX_LINE_SIZE/ },
  { name: 'Claude Code exits at start', model: CLI_FAULTS.exitAtStart, status: 503, said: /before it started|stopped accepting input/ },
  { name: 'Claude Code never connects to MCP', model: CLI_FAULTS.noMcp, tools: [weatherTool], status: 503, said: /did not connect to ccgate's MCP/ },
  {
    name: 'Claude Code calls a tool it was not given',
    text: 'Now force-call mcp__gateway__not_given with {"path":"/etc/passwd"} (not given)',
    tools: [weatherTool],
    // Not an error: the call is refused to the model, which goes on; the client never sees it.
    sees: async (bench, outcome, stream) => {
      assert.equal(outcome.status, 200, outcome.text.slice(0, 300));
      let content;
      let calls;
      let finish;
      if (stream) {
        const data = sseEvents(outcome.text).map((e) => e.data);
        assert.equal(data.at(-1), '[DONE]');
        const choices = data.flatMap((d) => d?.choices ?? []);
        content = choices.map((c) => c.delta?.content ?? '').join('');
        calls = choices.flatMap((c) => c.delta?.tool_calls ?? []);
        finish = choices.map((c) => c.finish_reason).filter(Boolean).join();
      } else {
        const [choice] = JSON.parse(outcome.text).choices;
        content = choice.message.content;
        calls = choice.message.tool_calls ?? [];
        finish = choice.finish_reason;
      }
      assert.deepEqual(calls, [], 'no tool call reaches the client');
      assert.equal(finish, 'stop');
      assert.match(content, /^Tool said: /, 'the model went on after the refusal');
      const refused = bench.model.messageRequests.flatMap((r) => toolResultsOf(r.body)).at(-1);
      assert.equal(refused?.is_error, true, `the model got the refusal as an error result: ${JSON.stringify(refused)}`);
      return `200, no tool_calls, finish_reason stop; the model got an error result (${refused.text.slice(0, 70)}) and said "${content.slice(0, 40)}"`;
    },
  },
];

describe('fault suite: Claude Code faults on the gateway door', { skip: claudeMissing }, () => {
  let bench;
  let first;

  before(async () => {
    // This file runs first: on a fresh clone the CLI's first start reads and compiles its
    // bundle cold, which can outlast the short TURN_TIMEOUT here. Warm it outside ccgate, and
    // give the warm-up turn (which tests nothing) a second chance.
    execFileSync(claudeBinary, ['--version'], { timeout: 60_000, stdio: 'ignore' });
    bench = await FaultBench.start();
    let warm = await postChat(bench, chatBody('warm up'));
    if (warm.status !== 200) warm = await postChat(bench, chatBody('warm up again'));
    assert.equal(warm.status, 200, `${warm.text.slice(0, 300)}\n--- ccgate ---\n${bench.gateway.log(4000)}`);
    first = await bench.baseline();
  });
  after(() => bench?.stop());

  for (const fault of faults) {
    for (const stream of [false, true]) {
      const name = `${fault.name} (${stream ? 'streaming' : 'not streaming'})`;
      test(name, async (t) => {
        await runFault(t, bench, name, async () => {
          fault.arrange?.(bench);
          const modelRequestsBefore = bench.model.messageRequests.length;
          const progress = {};
          const extra = { stream, ...(fault.model ? { model: fault.model } : {}), ...(fault.tools ? { tools: fault.tools } : {}) };
          const answer = fault.request
            ? fault.request(bench, stream)
            : postChat(bench, chatBody(fault.text ?? `a Claude Code fault: ${fault.name}`, extra), { timeoutMs: 30_000, progress });
          await fault.during?.(bench, stream, progress, modelRequestsBefore);
          const outcome = await answer;
          if (fault.sees) return { seen: await fault.sees(bench, outcome, stream), answeredMs: outcome.ms };
          const seen = stream ? await assertOpenAIStreamError(outcome) : assertOpenAIError(outcome, { status: fault.status });
          if (outcome.status !== 200) assert.equal(outcome.status, fault.status, seen);
          assert.match(seen, fault.said);
          return { seen, answeredMs: outcome.ms };
        });
      });
    }
  }

  test('after every Claude Code fault: back to the first baseline, and still serving', async (t) => {
    const since = await bench.nothingLeftBehind(first, { what: 'after all Claude Code faults' });
    const served = await postChat(bench, chatBody('still serving'));
    assert.equal(served.status, 200, served.text.slice(0, 300));
    assert.match(JSON.parse(served.text).choices[0].message.content, /still serving/);
    t.diagnostic(`since the first baseline: ${JSON.stringify(since.delta)}`);
    await bench.stop({ check: true });
  });
});
