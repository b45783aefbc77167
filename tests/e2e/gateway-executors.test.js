// Tools ccgate runs itself (gateway.tools in the configuration file: a webhook or a command) and
// the Claude Code built-ins an operator allows (gateway.builtin_tools), through the gateway door
// with the real `openai` SDK, the real Claude Code CLI and the mock model. The model calls a
// server-side tool like a client tool (`mcp__gateway__<name>`); ccgate runs it and the model
// gets its result, while the client sees no tool_calls, only the model's answer.

import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import OpenAI from 'openai';

import { makeTempDir } from './lib/ccgate.js';
import {
  GatewayFixture,
  MODEL,
  assistantTurn,
  claudeMissing,
  processTable,
  rejectsWith,
  user,
  waitUntil,
  weatherTool,
  withLog,
} from './lib/gateway-harness.js';
import { GATEWAY_TOOL_PREFIX, lastUserText, toolNamesOf, toolResultsOf } from './lib/mock-anthropic.js';
import { fdCounts } from './lib/probes.js';
import { ToolWebhook, toolCommandScript } from './lib/tool-executors.js';

const HANG_TIMEOUT_S = 2;
const FLOOD_LIMIT = 65536;
const BIG_LIMIT = 1000;

function configYaml(hook, pidDir) {
  const command = (mode, extra = '') => `      command:\n        run: [${JSON.stringify(process.execPath)}, ${JSON.stringify(toolCommandScript)}, ${mode}]\n${extra}`;
  return `gateway:
  tools:
    - name: lookup_order
      description: Look up an order by its id.
      input_schema:
        type: object
        properties: {id: {type: string, description: The order id}}
        required: [id]
      webhook:
        url: ${hook.url}/lookup
        headers: {authorization: "Bearer hook-secret"}
        timeout: 5
    - name: order_service_down
      description: An order service that fails.
      webhook: {url: ${hook.url}/fail}
    - name: order_service_slow
      description: An order service that never answers.
      webhook: {url: ${hook.url}/hang, timeout: 1}
    - name: order_service_verbose
      description: An order service that answers too much.
      webhook: {url: ${hook.url}/big, max_output: ${BIG_LIMIT}}
    - name: count_letters
      description: Counts the letters of a word.
      input_schema: {type: object, properties: {word: {type: string}}, required: [word]}
${command('echo', '        env: {TOOL_MARKER: marked}\n')}
    - name: spell_check
      description: Checks a word.
${command('fail')}
    - name: flood
      description: Writes far too much.
${command('flood', `        max_output: ${FLOOD_LIMIT}\n`)}
    - name: stuck
      description: Never finishes.
${command('hang', `        timeout: ${HANG_TIMEOUT_S}\n        env: {PID_DIR: ${JSON.stringify(pidDir)}}\n`)}
  builtin_tools:
    - models: ["son*"]
      tools: [Read, Glob]
`;
}

describe('gateway: server-side tool executors and built-in tools', { skip: claudeMissing }, () => {
  let gateway;
  let hook;
  let dir;
  const log = () => gateway;

  before(async () => {
    hook = await ToolWebhook.start();
    hook.bigBytes = 4 * BIG_LIMIT;
    dir = makeTempDir('ccgate-e2e-executors-');
    fs.writeFileSync(path.join(dir, 'ccgate.yaml'), configYaml(hook, dir));
    gateway = await GatewayFixture.start({ env: { CCGATE_CONFIG: path.join(dir, 'ccgate.yaml') } });
  });
  after(async () => {
    await gateway?.stop();
    await hook?.close();
    if (dir) fs.rmSync(dir, { recursive: true, force: true });
  });

  const requestFor = (marker) => {
    const request = gateway.model.messageRequests.find((r) => lastUserText(r.body).includes(marker));
    assert.ok(request, `the model received a request with "${marker}"`);
    return request;
  };

  // What the model got back for the tool call it made in answer to the message with `marker`.
  async function toolResultFor(marker) {
    const [use] = requestFor(marker).answer.toolUses;
    assert.ok(use, `the model called a tool for "${marker}"`);
    const request = await gateway.model.waitForToolResult(use.id);
    return toolResultsOf(request.body).find((result) => result.tool_use_id === use.id);
  }

  // One request of a new conversation; its reply, read whole (streamed or not).
  async function ask(text, { stream = false, tools = [weatherTool], model = MODEL } = {}) {
    const client = gateway.client();
    if (!stream) {
      const completion = await client.chat.completions.create({ model, messages: [user(text)], tools });
      return { finish: completion.choices[0].finish_reason, message: completion.choices[0].message };
    }
    const chunks = [];
    for await (const chunk of await client.chat.completions.create({ model, messages: [user(text)], tools, stream: true })) chunks.push(chunk);
    const deltas = chunks.flatMap((chunk) => chunk.choices.map((choice) => choice.delta));
    return {
      finish: chunks.flatMap((chunk) => chunk.choices).findLast((choice) => choice.finish_reason)?.finish_reason,
      message: { content: deltas.map((delta) => delta.content ?? '').join(''), tool_calls: deltas.flatMap((delta) => delta.tool_calls ?? []) },
    };
  }

  const assertNoToolCalls = (reply) => {
    assert.equal(reply.finish, 'stop', JSON.stringify(reply));
    assert.equal(reply.message.tool_calls?.length ?? 0, 0, `the client sees no tool_calls: ${JSON.stringify(reply.message)}`);
  };

  test(
    'a webhook tool: offered beside the client tools, called with the input, its JSON answer reaches the model, the client sees no tool_calls',
    withLog(log, async () => {
      const marker = '(webhook executor)';
      const reply = await ask(`Please call lookup_order with {"id":"A17"} ${marker}`);
      assertNoToolCalls(reply);
      assert.match(reply.message.content, /shipped-A17/, 'the model used the result');

      const offered = toolNamesOf(requestFor(marker).body);
      assert.ok(offered.includes(`${GATEWAY_TOOL_PREFIX}lookup_order`), JSON.stringify(offered));
      assert.ok(offered.includes(`${GATEWAY_TOOL_PREFIX}get_weather`), 'with the client tool');
      const schema = requestFor(marker).body.tools.find((tool) => tool.name === `${GATEWAY_TOOL_PREFIX}lookup_order`).input_schema;
      assert.deepEqual(schema.required, ['id']);

      const calls = hook.calls.filter((call) => call.path === '/lookup');
      assert.equal(calls.length, 1);
      assert.equal(calls[0].method, 'POST');
      assert.deepEqual(calls[0].input, { id: 'A17' });
      assert.equal(calls[0].headers.authorization, 'Bearer hook-secret');
      assert.equal(calls[0].headers['x-ccgate-tool'], 'lookup_order');
      assert.match(calls[0].headers['x-ccgate-conversation'] ?? '', /^[0-9a-z]{8}$/i);
      const result = await toolResultFor(marker);
      assert.equal(result.is_error, false);
      assert.deepEqual(JSON.parse(result.text), { order: 'A17', status: 'shipped-A17' });
    }),
  );

  test(
    'a command tool, streamed: the input on stdin, stdout the result, in the conversation\'s work dir with a scrubbed environment',
    withLog(log, async () => {
      const marker = '(command executor)';
      const reply = await ask(`Please call count_letters with {"word":"banana"} ${marker}`, { stream: true });
      assertNoToolCalls(reply);
      assert.match(reply.message.content, /count=6 for banana/);

      const result = await toolResultFor(marker);
      assert.equal(result.is_error, false);
      const [first, seen] = result.text.split('\n');
      assert.equal(first, 'count=6 for banana');
      const { env, home, cwd, marker: toolMarker } = JSON.parse(seen);
      const allowed = (name) => ['PATH', 'LANG', 'HOME', 'TOOL_MARKER'].includes(name) || name.startsWith('LC_');
      assert.deepEqual(env.filter((name) => !allowed(name)), [], `only PATH, LANG, LC_*, HOME and the tool's env: ${env}`);
      assert.equal(toolMarker, 'marked');
      assert.ok(cwd.startsWith(gateway.tmpDir) && cwd.endsWith('/work'), `runs in the session's work dir: ${cwd}`);
      assert.ok(home.startsWith(gateway.tmpDir) && home.endsWith('/tool-home'), `HOME is private: ${home}`);
      assert.ok(!env.includes('GATEWAY_API_KEY') && !env.includes('CLAUDE_CODE_API_KEY'));
    }),
  );

  test(
    'failures are error results the model sees: a command that exits 3, a webhook that answers 500 or never, oversize output',
    withLog(log, async () => {
      const cases = [
        ['spell_check', '{"word":"qwzx"}', /spell_check failed \(exit status 3\): no such word: qwzx/],
        ['order_service_down', '{"id":"B2"}', /order_service_down failed: its service answered HTTP 500: the order service is down/],
        ['order_service_slow', '{"id":"C3"}', /order_service_slow failed: its service gave no answer within 1000 ms/],
        ['order_service_verbose', '{"id":"D4"}', new RegExp(`an answer larger than ${BIG_LIMIT} bytes`)],
        ['flood', '{}', new RegExp(`flood wrote more than ${FLOOD_LIMIT} bytes of output \\(its max_output\\); it was stopped`)],
      ];
      for (const [name, input, expected] of cases) {
        const marker = `(failing ${name})`;
        const reply = await ask(`Please call ${name} with ${input} ${marker}`);
        assertNoToolCalls(reply);
        const result = await toolResultFor(marker);
        assert.equal(result.is_error, true, `${name}: an error result`);
        assert.match(result.text, expected);
        assert.match(reply.message.content, expected, `${name}: the model answered with it`);
      }
    }),
  );

  test(
    'a command that hangs is killed with its process group at its timeout: the model gets the error, no process or descriptor is left',
    withLog(log, async (t) => {
      const client = gateway.client();
      const opening = [user('Hello (before the stuck tool)')];
      const first = await client.chat.completions.create({ model: MODEL, messages: opening, tools: [weatherTool] });
      const before = fdCounts(gateway.gate.pid);

      const marker = '(stuck command)';
      const started = Date.now();
      const messages = [...opening, assistantTurn(first.choices[0].message), user(`Please call stuck with {"tag":"t1"} ${marker}`)];
      const reply = await client.chat.completions.create({ model: MODEL, messages, tools: [weatherTool] });
      const elapsed = Date.now() - started;
      assertNoToolCalls({ finish: reply.choices[0].finish_reason, message: reply.choices[0].message });
      const result = await toolResultFor(marker);
      assert.equal(result.is_error, true);
      assert.match(result.text, new RegExp(`stuck did not finish within ${HANG_TIMEOUT_S} s \\(its timeout\\); it was stopped`));
      assert.ok(elapsed >= HANG_TIMEOUT_S * 1000, `not before its timeout (${elapsed} ms)`);

      const pids = fs.readFileSync(path.join(dir, 't1.pids'), 'utf8').split(' ').map(Number);
      assert.equal(pids.length, 2);
      const alive = () => processTable().filter((p) => pids.includes(p.pid) && p.state !== 'Z');
      await waitUntil(() => alive().length === 0, 5000, 'the command and its child are gone', () => JSON.stringify(alive()));
      // The same conversation's CLI is still there: ccgate holds exactly what it held before.
      await waitUntil(
        () => {
          const now = fdCounts(gateway.gate.pid);
          return now.pipe === before.pipe && now.pidfd === before.pidfd;
        },
        5000,
        'ccgate holds no pipe or pidfd of the command any more',
        () => JSON.stringify({ before, now: fdCounts(gateway.gate.pid) }),
      );
      t.diagnostic(`answered after ${elapsed} ms; ccgate fds before ${JSON.stringify(before)}, after ${JSON.stringify(fdCounts(gateway.gate.pid))}`);
    }),
  );

  test(
    'a client tool whose name is a server-side tool\'s (as given, or as the model would see it) is refused with a 400 naming it',
    withLog(log, async () => {
      const client = gateway.client();
      for (const name of ['lookup_order', 'lookup.order']) {
        const clashing = { type: 'function', function: { name, description: 'Mine.', parameters: { type: 'object', properties: {} } } };
        const error = await rejectsWith(client.chat.completions.create({ model: MODEL, messages: [user('hi')], tools: [weatherTool, clashing] }), OpenAI.BadRequestError);
        assert.equal(error.status, 400);
        assert.equal(error.param, 'tools');
        assert.equal(error.code, 'tool_name_reserved');
        assert.match(error.message, new RegExp(`'${name.replace('.', '\\.')}'`));
      }
    }),
  );

  test(
    'an allowed built-in reads a file in the conversation\'s dir; a path outside it, a symlink out of it and ".." are refused',
    withLog(log, async () => {
      const client = gateway.client();
      const dirsBefore = new Set(gateway.sessionDirs());
      const opening = [user('Hello (built-in tools)')];
      const first = await client.chat.completions.create({ model: MODEL, messages: opening });
      const offered = toolNamesOf(requestFor('(built-in tools)').body);
      assert.ok(offered.includes('Read') && offered.includes('Glob'), `the allowed built-ins are offered: ${offered}`);
      assert.ok(!offered.includes('Bash') && !offered.includes('Grep'), `and no other: ${offered}`);

      const [sessionDir] = gateway.sessionDirs().filter((name) => !dirsBefore.has(name));
      assert.ok(sessionDir, 'the conversation has its own dir');
      const work = path.join(gateway.tmpDir, sessionDir, 'work');
      fs.writeFileSync(path.join(work, 'note.txt'), 'the secret word is tangerine\n');
      fs.symlinkSync('/etc/hostname', path.join(work, 'escape.txt'));

      let messages = [...opening, assistantTurn(first.choices[0].message)];
      const turn = async (text) => {
        messages = [...messages, user(text)];
        const reply = await client.chat.completions.create({ model: MODEL, messages });
        assertNoToolCalls({ finish: reply.choices[0].finish_reason, message: reply.choices[0].message });
        messages = [...messages, assistantTurn(reply.choices[0].message)];
        return reply.choices[0].message.content;
      };

      assert.match(await turn(`force-call Read with {"file_path":"${work}/note.txt"} (read inside)`), /tangerine/);
      assert.equal((await toolResultFor('(read inside)')).is_error, false);
      assert.match(await turn('force-call Glob with {"pattern":"*.txt"} (glob inside)'), /note\.txt/);

      const refused = [
        ['(read outside)', 'Read with {"file_path":"/etc/hostname"}', /Read may only use paths inside this conversation's working directory; file_path "\/etc\/hostname" is outside it/],
        ['(read symlink)', `Read with {"file_path":"${work}/escape.txt"}`, /file_path ".*escape\.txt" is outside it/],
        ['(glob up)', 'Glob with {"pattern":"*","path":".."}', /Glob may only use paths inside .*; path ".*" is outside it/],
        ['(glob absolute)', 'Glob with {"pattern":"/etc/*"}', /pattern "\/etc\/\*" is outside it/],
      ];
      for (const [marker, call, expected] of refused) {
        const content = await turn(`force-call ${call} ${marker}`);
        const result = await toolResultFor(marker);
        assert.equal(result.is_error, true, `${marker}: refused`);
        assert.match(result.text, expected);
        assert.match(content, expected, `${marker}: the model was told why`);
      }
    }),
  );

  test(
    'a model no builtin_tools rule names gets no built-in tool',
    withLog(log, async () => {
      await ask('Hello (no built-ins for opus)', { model: 'opus', tools: [] });
      const offered = toolNamesOf(requestFor('(no built-ins for opus)').body);
      assert.deepEqual(offered.filter((name) => !name.startsWith(GATEWAY_TOOL_PREFIX)), [], `only ccgate's MCP tools: ${offered}`);
      assert.ok(offered.includes(`${GATEWAY_TOOL_PREFIX}lookup_order`), 'the server-side tools are there without client tools');
    }),
  );
});
