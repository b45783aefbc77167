// The client's own tools through the gateway door: the mock model calls `mcp__gateway__<tool>`,
// the real CLI calls ccgate's MCP server, ccgate hands the call to the client as OpenAI
// `tool_calls` and feeds the client's `role: "tool"` answer back to the waiting CLI.

import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import OpenAI from 'openai';

import {
  GatewayFixture,
  MODEL,
  assistantTurn,
  claudeMissing,
  rejectsWith,
  timeTool,
  toolMessage,
  user,
  weatherTool,
  withLog,
  withTimeout,
} from './lib/gateway-harness.js';
import { GATEWAY_TOOL_PREFIX, lastUserText, toolResultsOf } from './lib/mock-anthropic.js';

// The tool call ids the client sees: ccgate's own, like OpenAI's (the model's stay with the CLI).
const CLIENT_CALL_ID = /^call_[A-Za-z0-9]{24}$/;

describe('gateway: client tools', { skip: claudeMissing }, () => {
  let gateway;
  const log = () => gateway;

  before(async () => {
    gateway = await GatewayFixture.start();
  });
  after(() => gateway?.stop());

  const requestFor = (marker) => {
    const request = gateway.model.messageRequests.find((r) => lastUserText(r.body).includes(marker));
    assert.ok(request, `the model received a request with "${marker}"`);
    return request;
  };
  // The model request that carried the client's results for these tool-use ids.
  const resultRequestFor = (ids) => {
    const request = gateway.model.messageRequests.find((r) => {
      const carried = toolResultsOf(r.body).map((result) => result.tool_use_id);
      return ids.every((id) => carried.includes(id));
    });
    assert.ok(request, `the model received the tool results for ${ids.join(', ')}`);
    return request;
  };

  test(
    'one tool round trip, not streamed: tool_calls under the client name and a call_ id of its own, then the result reaches the model',
    withLog(log, async () => {
      const client = gateway.client();
      const ask = user('Please call get_weather with {"city":"Paris"} (round trip, not streamed)');
      const first = await client.chat.completions.create({ model: MODEL, messages: [ask], tools: [weatherTool] });

      const toolRequest = requestFor('(round trip, not streamed)');
      const offered = toolRequest.body.tools.find((tool) => tool.name === `${GATEWAY_TOOL_PREFIX}get_weather`);
      assert.ok(offered, `the model is offered the client tool: ${JSON.stringify(toolRequest.body.tools.map((t) => t.name))}`);
      assert.match(offered.description ?? '', /Get the current weather for a city/);
      assert.deepEqual(offered.input_schema?.properties?.city, weatherTool.function.parameters.properties.city);
      const [modelCall] = toolRequest.answer.toolUses;

      const [choice] = first.choices;
      assert.equal(choice.finish_reason, 'tool_calls');
      assert.equal(choice.message.role, 'assistant');
      assert.equal(choice.message.tool_calls?.length, 1, JSON.stringify(choice.message));
      const [call] = choice.message.tool_calls;
      assert.match(call.id, CLIENT_CALL_ID, 'the client sees an id of ccgate\'s own');
      assert.notEqual(call.id, modelCall.id, 'not the model\'s tool_use id');
      assert.equal(call.type, 'function');
      assert.equal(call.function.name, 'get_weather');
      assert.deepEqual(JSON.parse(call.function.arguments), { city: 'Paris' });

      const second = await client.chat.completions.create({
        model: MODEL,
        messages: [ask, assistantTurn(choice.message), toolMessage(call.id, 'Sunny, 21 °C')],
        tools: [weatherTool],
      });
      assert.equal(second.choices[0].finish_reason, 'stop');
      assert.equal(second.choices[0].message.content, 'Tool said: Sunny, 21 °C');
      assert.ok(!second.choices[0].message.tool_calls?.length);

      const resultRequest = resultRequestFor([modelCall.id]);
      assert.deepEqual(toolResultsOf(resultRequest.body), [{ tool_use_id: modelCall.id, text: 'Sunny, 21 °C', is_error: false }]);
      assert.equal(
        resultRequest.headers['x-claude-code-session-id'],
        toolRequest.headers['x-claude-code-session-id'],
        'the waiting CLI received the result (same session), not a replay',
      );
    }),
  );

  test(
    'one tool round trip, streamed and assembled by the SDK stream helper',
    withLog(log, async () => {
      const client = gateway.client();
      const ask = user('Please call get_weather with {"city":"Reykjavik","unit":"celsius"} (round trip, streamed)');
      const firstStream = client.chat.completions.stream({ model: MODEL, messages: [ask], tools: [weatherTool] });
      const toolChunks = [];
      firstStream.on('chunk', (chunk) => {
        for (const choice of chunk.choices) for (const delta of choice.delta?.tool_calls ?? []) toolChunks.push(delta);
      });
      const first = await firstStream.finalChatCompletion();
      const [modelCall] = requestFor('(round trip, streamed)').answer.toolUses;

      const [choice] = first.choices;
      assert.equal(choice.finish_reason, 'tool_calls');
      assert.equal(choice.message.tool_calls?.length, 1, JSON.stringify(choice.message));
      const [call] = choice.message.tool_calls;
      assert.match(call.id, CLIENT_CALL_ID);
      assert.equal(call.function.name, 'get_weather');
      assert.deepEqual(JSON.parse(call.function.arguments), { city: 'Reykjavik', unit: 'celsius' });
      assert.equal(toolChunks[0]?.id, call.id, 'the opening tool_call delta carries the id');
      assert.equal(toolChunks[0]?.function?.name, 'get_weather', 'and the client name');
      assert.ok(
        toolChunks.filter((delta) => delta.function?.arguments).length >= 2,
        `the arguments stream in fragments: ${JSON.stringify(toolChunks)}`,
      );

      const secondStream = client.chat.completions.stream({
        model: MODEL,
        messages: [ask, assistantTurn(choice.message), toolMessage(call.id, 'Windy, 4 °C')],
        tools: [weatherTool],
      });
      const second = await secondStream.finalChatCompletion();
      assert.equal(second.choices[0].finish_reason, 'stop');
      assert.equal(second.choices[0].message.content, 'Tool said: Windy, 4 °C');
      assert.deepEqual(toolResultsOf(resultRequestFor([modelCall.id]).body), [{ tool_use_id: modelCall.id, text: 'Windy, 4 °C', is_error: false }]);
    }),
  );

  test(
    'two tool calls in one turn come back together and are answered in one follow-up',
    withLog(log, async () => {
      const client = gateway.client();
      const tools = [weatherTool, timeTool];
      const ask = user('Please call get_weather with {"city":"Oslo"} and get_time with {"zone":"CET"} (two calls)');
      const first = await client.chat.completions.create({ model: MODEL, messages: [ask], tools });
      const modelCalls = requestFor('(two calls)').answer.toolUses;
      assert.equal(modelCalls.length, 2);

      const [choice] = first.choices;
      assert.equal(choice.finish_reason, 'tool_calls');
      const calls = choice.message.tool_calls ?? [];
      assert.deepEqual(
        calls.map((c) => ({ name: c.function.name, args: JSON.parse(c.function.arguments) })),
        [
          { name: 'get_weather', args: { city: 'Oslo' } },
          { name: 'get_time', args: { zone: 'CET' } },
        ],
      );
      assert.ok(calls.every((c) => CLIENT_CALL_ID.test(c.id)) && calls[0].id !== calls[1].id, JSON.stringify(calls));

      // Answered in the reverse order: results are matched by tool_call_id, not by position.
      const second = await client.chat.completions.create({
        model: MODEL,
        messages: [ask, assistantTurn(choice.message), toolMessage(calls[1].id, '14:05 CET'), toolMessage(calls[0].id, 'Snow in Oslo')],
        tools,
      });
      assert.equal(second.choices[0].finish_reason, 'stop');
      const results = toolResultsOf(resultRequestFor(modelCalls.map((c) => c.id)).body);
      const textById = Object.fromEntries(results.map((result) => [result.tool_use_id, result.text]));
      assert.deepEqual(textById, { [modelCalls[0].id]: 'Snow in Oslo', [modelCalls[1].id]: '14:05 CET' });
      assert.ok(results.every((result) => !result.is_error));
      assert.match(second.choices[0].message.content, /Snow in Oslo/);
      assert.match(second.choices[0].message.content, /14:05 CET/);
    }),
  );

  test(
    'a tool whose name the CLI would not accept as is still reaches the client under its own name',
    withLog(log, async () => {
      const client = gateway.client();
      const oddTool = {
        type: 'function',
        function: {
          name: 'get.weather-v2',
          description: 'Weather lookup, second version (get.weather-v2).',
          parameters: { type: 'object', properties: { city: { type: 'string' } }, required: ['city'] },
        },
      };
      const ask = user('Please call get.weather-v2 with {"city":"Lima"} (odd name)');
      const first = await client.chat.completions.create({ model: MODEL, messages: [ask], tools: [oddTool] });
      const request = requestFor('(odd name)');
      const gatewayTools = request.body.tools.map((tool) => tool.name).filter((name) => name.startsWith(GATEWAY_TOOL_PREFIX));
      assert.equal(gatewayTools.length, 1, JSON.stringify(gatewayTools));
      assert.match(gatewayTools[0], /^mcp__gateway__[A-Za-z0-9_-]+$/, 'the model sees a name the CLI accepts');

      const [choice] = first.choices;
      assert.equal(choice.finish_reason, 'tool_calls', JSON.stringify(choice));
      const [call] = choice.message.tool_calls;
      assert.equal(call.function.name, 'get.weather-v2');
      assert.deepEqual(JSON.parse(call.function.arguments), { city: 'Lima' });

      const second = await client.chat.completions.create({
        model: MODEL,
        messages: [ask, assistantTurn(choice.message), toolMessage(call.id, 'Cloudy in Lima')],
        tools: [oddTool],
      });
      assert.equal(second.choices[0].message.content, 'Tool said: Cloudy in Lima');
    }),
  );

  test(
    'a tool the client did not give is refused: the client never sees it, the turn ends with content',
    withLog(log, async () => {
      const client = gateway.client();
      const completion = await client.chat.completions.create({
        model: MODEL,
        messages: [user('Now force-call mcp__gateway__forbidden_tool with {"path":"/etc/passwd"} (not given)')],
        tools: [weatherTool],
      });
      const [forbidden] = requestFor('(not given)').answer.toolUses;
      const [choice] = completion.choices;
      assert.ok(!choice.message.tool_calls?.length, `no tool call reaches the client: ${JSON.stringify(choice.message.tool_calls)}`);
      assert.equal(choice.finish_reason, 'stop');
      assert.match(choice.message.content ?? '', /^Tool said: /, 'the model went on after the refusal');

      const [refusal] = toolResultsOf(resultRequestFor([forbidden.id]).body);
      assert.equal(refusal.is_error, true, `the model got an error result: ${JSON.stringify(refusal)}`);
    }),
  );

  test(
    'in a turn that calls a client tool and a tool the client did not give, only the client tool reaches the client',
    withLog(log, async () => {
      const client = gateway.client();
      const ask = user('Now force-call mcp__gateway__get_weather with {"city":"Rome"} and Bash with {"command":"id"} (mixed)');
      const first = await client.chat.completions.create({ model: MODEL, messages: [ask], tools: [weatherTool] });
      const [weather, bash] = requestFor('(mixed)').answer.toolUses;

      const [choice] = first.choices;
      assert.equal(choice.finish_reason, 'tool_calls');
      assert.deepEqual(
        (choice.message.tool_calls ?? []).map((c) => c.function.name),
        ['get_weather'],
      );
      const [weatherCall] = choice.message.tool_calls;

      const second = await client.chat.completions.create({
        model: MODEL,
        messages: [ask, assistantTurn(choice.message), toolMessage(weatherCall.id, 'Hot in Rome')],
        tools: [weatherTool],
      });
      assert.equal(second.choices[0].finish_reason, 'stop');
      assert.match(second.choices[0].message.content, /Hot in Rome/);
      const results = toolResultsOf(resultRequestFor([weather.id, bash.id]).body);
      assert.deepEqual(
        results.map((result) => [result.tool_use_id, result.is_error]).sort(),
        [
          [bash.id, true],
          [weather.id, false],
        ].sort(),
      );
    }),
  );
});

describe('gateway: a tool call whose result never comes', { skip: claudeMissing }, () => {
  let gateway;
  const log = () => gateway;

  before(async () => {
    gateway = await GatewayFixture.start({ env: { TOOL_CALL_TIMEOUT: 2 } });
  });
  after(() => gateway?.stop());

  test(
    'times out into an error result for the model, and a late answer gets a 4xx saying so instead of a hang',
    withLog(log, async () => {
      const client = gateway.client();
      const ask = user('Please call get_weather with {"city":"Nuuk"} (never answered)');
      const first = await client.chat.completions.create({ model: MODEL, messages: [ask], tools: [weatherTool] });
      const handedOut = Date.now();
      const [choice] = first.choices;
      assert.equal(choice.finish_reason, 'tool_calls');
      const [call] = choice.message.tool_calls;

      const [modelCall] = gateway.model.messageRequests.find((r) => lastUserText(r.body).includes('(never answered)')).answer.toolUses;
      const resultRequest = await gateway.model.waitForToolResult(modelCall.id, { timeoutMs: 15_000 });
      const waited = resultRequest.receivedAt - handedOut;
      const [result] = toolResultsOf(resultRequest.body);
      assert.equal(result.is_error, true, `the model got an error result: ${JSON.stringify(result)}`);
      assert.ok(waited >= 1500, `the call waited for TOOL_CALL_TIMEOUT=2 s (waited ${waited} ms)`);
      assert.ok(waited < 10_000, `and not much longer (waited ${waited} ms)`);

      const late = client.chat.completions.create({
        model: MODEL,
        messages: [ask, assistantTurn(choice.message), toolMessage(call.id, 'Too late: freezing')],
        tools: [weatherTool],
      });
      const error = await withTimeout(rejectsWith(late, OpenAI.APIError), 15_000, 'an answer to the late tool result');
      assert.ok(error.status >= 400 && error.status < 500, `a 4xx (got ${error.status}: ${error.message})`);
      assert.match(error.message, /expired|unknown|timed out|no longer/i);
      assert.ok(
        !gateway.model.messageRequests.some((r) => toolResultsOf(r.body).some((res) => res.text === 'Too late: freezing')),
        'the late result never reached the model',
      );
    }),
  );
});
