// The gateway's tool policy (gateway.policy: in the configuration file) with the real Claude Code
// CLI, the mock model and the real `openai` SDK: a call the policy denies never reaches the client
// as tool_calls (the model gets the reason as the tool's error result and answers in the same
// response); an allowed one does, with the arguments a webhook may have rewritten.

import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';

import { makeTempDir } from './lib/ccgate.js';
import { GatewayFixture, MODEL, assistantTurn, claudeMissing, timeTool, toolMessage, user, weatherTool, withLog } from './lib/gateway-harness.js';
import { lastUserText, toolResultsOf } from './lib/mock-anthropic.js';
import { PolicyWebhook } from './lib/policy-webhook.js';

// A gateway whose configuration file holds `yaml` (its gateway: section).
async function gatewayWith(yaml, env = {}) {
  const dir = makeTempDir('ccgate-e2e-policy-');
  const file = path.join(dir, 'ccgate.yaml');
  fs.writeFileSync(file, yaml);
  const fixture = await GatewayFixture.start({ env: { CCGATE_CONFIG: file, ...env } });
  const stop = fixture.stop.bind(fixture);
  fixture.stop = async () => {
    await stop();
    fs.rmSync(dir, { recursive: true, force: true });
  };
  return fixture;
}

// The model requests that carried tool results for the request whose prompt has `marker`.
function resultsAfter(gateway, marker) {
  const first = gateway.model.messageRequests.findIndex((r) => lastUserText(r.body).includes(marker));
  assert.ok(first >= 0, `the model got "${marker}"`);
  return gateway.model.messageRequests.slice(first + 1).flatMap((r) => toolResultsOf(r.body));
}

// A streamed response read with the SDK: the final message and every tool_calls delta.
async function streamed(client, body) {
  const stream = client.chat.completions.stream(body);
  const toolDeltas = [];
  stream.on('chunk', (chunk) => {
    for (const choice of chunk.choices) toolDeltas.push(...(choice.delta?.tool_calls ?? []));
  });
  const completion = await stream.finalChatCompletion();
  return { choice: completion.choices[0], toolDeltas };
}

const callsOf = (choice) => (choice.message.tool_calls ?? []).map((c) => ({ name: c.function.name, args: JSON.parse(c.function.arguments) }));

async function policyMetrics(gateway) {
  const text = await (await gateway.fetch('/metrics')).text();
  const counts = {};
  for (const [, labels, value] of text.matchAll(/^ccgate_gateway_tool_policy_decisions_total\{([^}]*)\} (\S+)$/gm)) counts[labels] = Number(value);
  return counts;
}

describe('gateway tool policy: rules and the schema check', { skip: claudeMissing }, () => {
  let gateway;
  const log = () => gateway;
  before(async () => {
    gateway = await gatewayWith(
      [
        'gateway:',
        '  policy:',
        '    rules:',
        '      - tools: [get_weather]',
        '        action: deny',
        '        reason: weather lookups are switched off on this server',
        '      - tools: ["get_*"]',
        '        action: allow',
        '    default: deny',
        '',
      ].join('\n'),
    );
  });
  after(() => gateway?.stop());

  for (const stream of [false, true]) {
    test(
      `a client tool denied by a rule never reaches the client; the model gets the reason and answers in the same response (${stream ? 'streamed' : 'not streamed'})`,
      withLog(log, async () => {
        const client = gateway.client();
        const marker = `(denied by a rule, ${stream ? 'streamed' : 'whole'})`;
        const body = { model: MODEL, messages: [user(`Please call get_weather with {"city":"Paris"} ${marker}`)], tools: [weatherTool, timeTool] };
        const { choice, toolDeltas } = stream ? await streamed(client, body) : { choice: (await client.chat.completions.create(body)).choices[0], toolDeltas: [] };

        assert.equal(choice.finish_reason, 'stop', JSON.stringify(choice));
        assert.equal(choice.message.tool_calls?.length ?? 0, 0, 'no tool_calls');
        assert.deepEqual(toolDeltas, [], 'no tool_calls delta was streamed');
        const [result] = resultsAfter(gateway, marker);
        assert.equal(result.is_error, true);
        assert.equal(result.text, 'The tool policy denied this call to get_weather: weather lookups are switched off on this server');
        assert.equal(choice.message.content, `Tool said: ${result.text}`);
        assert.match(gateway.log(), /tool policy denies get_weather: rule 1 \(deny get_weather\)/);
      }),
    );

    test(
      `a client tool a rule allows reaches the client as tool_calls and its result the model (${stream ? 'streamed' : 'not streamed'})`,
      withLog(log, async () => {
        const client = gateway.client();
        const ask = user(`Please call get_time with {"zone":"UTC"} (allowed, ${stream ? 'streamed' : 'whole'})`);
        const body = { model: MODEL, messages: [ask], tools: [weatherTool, timeTool] };
        const { choice, toolDeltas } = stream ? await streamed(client, body) : { choice: (await client.chat.completions.create(body)).choices[0], toolDeltas: [] };
        assert.equal(choice.finish_reason, 'tool_calls', JSON.stringify(choice));
        assert.deepEqual(callsOf(choice), [{ name: 'get_time', args: { zone: 'UTC' } }]);
        if (stream) assert.equal(toolDeltas[0]?.id, choice.message.tool_calls[0].id, 'streamed with its id');

        const second = await client.chat.completions.create({ ...body, messages: [ask, assistantTurn(choice.message), toolMessage(choice.message.tool_calls[0].id, '12:00 UTC')] });
        assert.equal(second.choices[0].finish_reason, 'stop');
        assert.equal(second.choices[0].message.content, 'Tool said: 12:00 UTC');
      }),
    );
  }

  test(
    'two calls in one message: only the allowed one reaches the client; the model gets its result and the denial',
    withLog(log, async () => {
      const client = gateway.client();
      const ask = user('Please call get_weather with {"city":"Oslo"} and get_time with {"zone":"CET"} (parallel)');
      const body = { model: MODEL, messages: [ask], tools: [weatherTool, timeTool] };
      const first = await streamed(client, body);
      assert.equal(first.choice.finish_reason, 'tool_calls');
      assert.deepEqual(callsOf(first.choice), [{ name: 'get_time', args: { zone: 'CET' } }]);
      assert.ok(first.toolDeltas.every((delta) => delta.index === 0), `one call, index 0: ${JSON.stringify(first.toolDeltas)}`);

      const second = await client.chat.completions.create({ ...body, messages: [ask, assistantTurn(first.choice.message), toolMessage(first.choice.message.tool_calls[0].id, '14:05 CET')] });
      assert.equal(second.choices[0].finish_reason, 'stop');
      const results = resultsAfter(gateway, '(parallel)');
      assert.equal(results.length, 2, JSON.stringify(results));
      assert.deepEqual(
        results.map((r) => [r.is_error, r.text]).sort(),
        [
          [false, '14:05 CET'],
          [true, 'The tool policy denied this call to get_weather: weather lookups are switched off on this server'],
        ],
      );
    }),
  );

  test(
    'arguments that break the tool\'s own schema are denied with the first error\'s path',
    withLog(log, async () => {
      const client = gateway.client();
      const marker = '(schema)';
      const first = await client.chat.completions.create({ model: MODEL, messages: [user(`Please call get_time with {"zone":42} ${marker}`)], tools: [timeTool] });
      assert.equal(first.choices[0].finish_reason, 'stop');
      assert.equal(first.choices[0].message.tool_calls, undefined);
      const [result] = resultsAfter(gateway, marker);
      assert.equal(result.text, 'The tool policy denied this call to get_time: its arguments do not match the tool\'s input schema: input.zone: expected string');
      assert.match(first.choices[0].message.content, /input\.zone: expected string/);
    }),
  );

  test(
    'a tool no rule allows is denied by the default, and every decision is counted by kind',
    withLog(log, async () => {
      const client = gateway.client();
      const lookup = { type: 'function', function: { name: 'lookup_user', description: 'Look up a user.', parameters: { type: 'object', properties: { id: { type: 'string' } } } } };
      const first = await client.chat.completions.create({ model: MODEL, messages: [user('Please call lookup_user with {"id":"u1"} (default)')], tools: [lookup] });
      assert.equal(first.choices[0].finish_reason, 'stop');
      assert.match(first.choices[0].message.content, /lookup_user: no rule of this server allows it/);

      const counts = await policyMetrics(gateway);
      assert.ok(counts['decision="deny",rule_kind="rule"'] >= 3, JSON.stringify(counts));
      assert.ok(counts['decision="allow",rule_kind="rule"'] >= 3, JSON.stringify(counts));
      assert.equal(counts['decision="deny",rule_kind="schema"'], 1, JSON.stringify(counts));
      assert.equal(counts['decision="deny",rule_kind="default"'], 1, JSON.stringify(counts));
    }),
  );
});

describe('gateway tool policy: call limits', { skip: claudeMissing }, () => {
  let gateway;
  const log = () => gateway;
  before(async () => {
    gateway = await gatewayWith('gateway:\n  policy:\n    max_calls_per_turn: 1\n    max_calls_per_conversation: 2\n');
    // After the client's weather result, the model calls a second tool in the same turn.
    gateway.model.rule = (record) => {
      if (toolResultsOf(record.body).some((r) => r.text === 'Sunny')) return { toolUses: [{ name: 'mcp__gateway__get_time', input: { zone: 'UTC' } }] };
      return undefined;
    };
  });
  after(() => gateway?.stop());

  test(
    'the call past max_calls_per_turn is denied; a new turn may call again until max_calls_per_conversation',
    withLog(log, async () => {
      const client = gateway.client();
      const tools = [weatherTool, timeTool];
      const ask = user('Please call get_weather with {"city":"Rome"} (limits)');
      const first = await client.chat.completions.create({ model: MODEL, messages: [ask], tools });
      assert.deepEqual(callsOf(first.choices[0]), [{ name: 'get_weather', args: { city: 'Rome' } }]);

      // The second call of the turn: denied, and the model answers in this response.
      const history = [ask, assistantTurn(first.choices[0].message), toolMessage(first.choices[0].message.tool_calls[0].id, 'Sunny')];
      const second = await client.chat.completions.create({ model: MODEL, messages: history, tools });
      assert.equal(second.choices[0].finish_reason, 'stop', JSON.stringify(second.choices[0]));
      assert.equal(second.choices[0].message.tool_calls, undefined);
      assert.match(second.choices[0].message.content, /^Tool said: The tool policy denied this call to get_time: this turn has made the 1 tool calls it may make \(max_calls_per_turn\)/);
      assert.match(gateway.log(), /tool policy denies get_time: max_calls_per_turn/);

      // A new turn of the same conversation: one more call (the conversation's second) is allowed.
      const ask2 = user('Please call get_time with {"zone":"CET"} (limits, turn 2)');
      const history2 = [...history, { role: 'assistant', content: second.choices[0].message.content }, ask2];
      const third = await client.chat.completions.create({ model: MODEL, messages: history2, tools });
      assert.deepEqual(callsOf(third.choices[0]), [{ name: 'get_time', args: { zone: 'CET' } }]);
      const history3 = [...history2, assistantTurn(third.choices[0].message), toolMessage(third.choices[0].message.tool_calls[0].id, '13:00 CET')];
      const fourth = await client.chat.completions.create({ model: MODEL, messages: history3, tools });
      assert.equal(fourth.choices[0].message.content, 'Tool said: 13:00 CET');

      // The third turn: the conversation has made its 2 calls.
      const ask3 = user('Please call get_time with {"zone":"JST"} (limits, turn 3)');
      const fifth = await client.chat.completions.create({ model: MODEL, messages: [...history3, { role: 'assistant', content: fourth.choices[0].message.content }, ask3], tools });
      assert.equal(fifth.choices[0].finish_reason, 'stop');
      assert.match(fifth.choices[0].message.content, /this conversation has made the 2 tool calls it may make \(max_calls_per_conversation\)/);
    }),
  );
});

describe('gateway tool policy: the webhook', { skip: claudeMissing }, () => {
  let gateway;
  let hook;
  const log = () => gateway;
  const TIMEOUT_MS = 1500;
  before(async () => {
    hook = await PolicyWebhook.start();
    hook.answer = ({ input }) => {
      if (input?.city === 'Mordor') return { json: { allow: false, reason: 'Mordor is off limits' } };
      if (input?.city === 'Lyon') return { json: { allow: true, input: { city: 'Lyon, France' } } };
      if (input?.city === 'Atlantis') return { hang: true };
      if (input?.city === 'Bad') return { status: 500, json: { error: 'oops' } };
      return { json: { allow: true } };
    };
    gateway = await gatewayWith(
      ['gateway:', '  policy:', '    webhook:', `      url: ${hook.url}`, '      headers:', '        authorization: Bearer ${POLICY_TOKEN}', `      timeout: ${TIMEOUT_MS / 1000}`, ''].join('\n'),
      { POLICY_TOKEN: 'policy-secret' },
    );
  });
  after(async () => {
    await gateway?.stop();
    await hook?.close();
  });

  const ask = (city, marker) => user(`Please call get_weather with {"city":"${city}"} ${marker}`);
  const hookCall = (city) => hook.requests.find((r) => r.body.input?.city === city);

  test(
    'a webhook that allows: it gets {conversation, tool, input} with its headers, and the client gets the call',
    withLog(log, async () => {
      const client = gateway.client();
      const first = await client.chat.completions.create({ model: MODEL, messages: [ask('Paris', '(hook allows)')], tools: [weatherTool] });
      assert.deepEqual(callsOf(first.choices[0]), [{ name: 'get_weather', args: { city: 'Paris' } }]);
      const call = hookCall('Paris');
      assert.ok(call, 'the webhook was asked');
      assert.equal(call.method, 'POST');
      assert.equal(call.headers.authorization, 'Bearer policy-secret');
      assert.match(call.headers['content-type'], /^application\/json/);
      assert.deepEqual(Object.keys(call.body).sort(), ['conversation', 'input', 'tool']);
      assert.equal(call.body.tool, 'get_weather');
      assert.match(call.body.conversation, /^\S{8,}$/);
    }),
  );

  test(
    'a webhook that rewrites the arguments: the client sees the rewritten ones (streamed)',
    withLog(log, async () => {
      const client = gateway.client();
      const marker = '(hook rewrites)';
      const body = { model: MODEL, messages: [ask('Lyon', marker)], tools: [weatherTool] };
      const first = await streamed(client, body);
      assert.equal(first.choice.finish_reason, 'tool_calls');
      assert.deepEqual(callsOf(first.choice), [{ name: 'get_weather', args: { city: 'Lyon, France' } }]);
      const second = await client.chat.completions.create({ ...body, messages: [...body.messages, assistantTurn(first.choice.message), toolMessage(first.choice.message.tool_calls[0].id, 'Rain in Lyon')] });
      assert.equal(second.choices[0].message.content, 'Tool said: Rain in Lyon');
    }),
  );

  test(
    'a webhook that denies: no tool_calls, the model gets its reason',
    withLog(log, async () => {
      const client = gateway.client();
      const first = await client.chat.completions.create({ model: MODEL, messages: [ask('Mordor', '(hook denies)')], tools: [weatherTool] });
      assert.equal(first.choices[0].finish_reason, 'stop');
      assert.equal(first.choices[0].message.tool_calls, undefined);
      assert.equal(first.choices[0].message.content, 'Tool said: The tool policy denied this call to get_weather: Mordor is off limits');
      assert.match(gateway.log(), /tool policy denies get_weather: webhook: Mordor is off limits/);
    }),
  );

  test(
    'a webhook that does not answer in time, or answers 500: the call is denied (fails closed)',
    withLog(log, async () => {
      const client = gateway.client();
      const started = Date.now();
      const first = await client.chat.completions.create({ model: MODEL, messages: [ask('Atlantis', '(hook hangs)')], tools: [weatherTool] });
      const elapsed = Date.now() - started;
      assert.ok(hookCall('Atlantis'), 'the webhook was asked');
      assert.equal(first.choices[0].finish_reason, 'stop');
      assert.equal(first.choices[0].message.tool_calls, undefined);
      assert.match(first.choices[0].message.content, new RegExp(`the policy webhook could not decide \\(no answer within ${TIMEOUT_MS} ms\\)`));
      assert.ok(elapsed >= TIMEOUT_MS, `denied only once the webhook's time was up (${elapsed} ms)`);
      assert.match(gateway.log(), new RegExp(`tool policy denies get_weather: webhook: no answer within ${TIMEOUT_MS} ms`));

      const failing = await client.chat.completions.create({ model: MODEL, messages: [ask('Bad', '(hook fails)')], tools: [weatherTool] });
      assert.match(failing.choices[0].message.content, /the policy webhook could not decide \(it answered HTTP 500\)/);
      const counts = await policyMetrics(gateway);
      assert.equal(counts['decision="deny",rule_kind="webhook_error"'], 2, JSON.stringify(counts));
      assert.equal(counts['decision="deny",rule_kind="webhook"'], 1, JSON.stringify(counts));
    }),
  );
});
