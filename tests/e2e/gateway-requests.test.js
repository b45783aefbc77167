// The gateway door's requests under abuse and at its edges, with the real `openai` SDK and the
// real Claude Code CLI: OpenAI's bounds on stop and tools, JSON nesting (request bodies, tool
// schemas, the CLI's own output), tool lists cached only for admitted requests, tool_choice
// "none", tool results reaching only their own conversation (even when the model repeats its
// ids), a follow-up that carries tool results and a new user message, and the MCP endpoints
// answering an unknown session and a wrong secret alike.

import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import OpenAI from 'openai';

import {
  GatewayFixture,
  MODEL,
  assistantTurn,
  claudeMissing,
  readChatSSE,
  rejectsWith,
  sleep,
  timeTool,
  toolMessage,
  user,
  weatherTool,
  withLog,
} from './lib/gateway-harness.js';
import { jsonDepth, liveMcpServer, nestedSchema, nestedValue } from './lib/gateway-requests.js';
import { GATEWAY_TOOL_PREFIX, lastUserText, toolResultsOf } from './lib/mock-anthropic.js';
import { chunk, textStream, toolCallChunks, usage, usageChunk } from './lib/mock-openai.js';
import { rssKiB } from './lib/probes.js';

// Where the old gateway hung, the client gives up after this long and the test fails.
const HANG_LIMIT_MS = 20_000;

const textOf = (content) =>
  typeof content === 'string' ? content : Array.isArray(content) ? content.filter((p) => p.type === 'text').map((p) => p.text).join('') : '';

const manyTools = (count, descriptionOf = (i) => `Tool number ${i}.`) =>
  Array.from({ length: count }, (_, i) => ({
    type: 'function',
    function: { name: `tool_${i}`, description: descriptionOf(i), parameters: { type: 'object', properties: { q: { type: 'string' } } } },
  }));

describe('gateway requests: bounds, depth, tool_choice, follow-ups, MCP refusals', { skip: claudeMissing }, () => {
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
  const client = (options = {}) => gateway.client(options);

  // ---- item 1: OpenAI's bounds ----

  test(
    'five stop sequences, a stop sequence too long, or 129 tools: 400 in OpenAI\'s words, and nothing runs',
    withLog(log, async (t) => {
      const modelRequests = gateway.model.messageRequests.length;
      const dirs = gateway.sessionDirs().length;
      const ask = [user('bounded request (bounds)')];

      const stops = await rejectsWith(
        client().chat.completions.create({ model: MODEL, messages: ask, stop: ['a', 'b', 'c', 'd', 'e'] }),
        OpenAI.BadRequestError,
      );
      assert.equal(stops.status, 400);
      assert.equal(stops.message, "400 Invalid 'stop': array too long. Expected an array with maximum length 4, but got an array with length 5 instead.");
      assert.equal(stops.param, 'stop');
      assert.equal(stops.code, 'array_above_max_length');
      assert.equal(stops.type, 'invalid_request_error');

      const long = await rejectsWith(
        client().chat.completions.create({ model: MODEL, messages: ask, stop: ['END', 'x'.repeat(257)] }),
        OpenAI.BadRequestError,
      );
      assert.equal(long.param, 'stop[1]');
      assert.match(long.message, /string too long\. Expected a string with maximum length 256, but got a string with length 257 instead\./);

      const tools = await rejectsWith(
        client().chat.completions.create({ model: MODEL, messages: ask, tools: manyTools(129) }),
        OpenAI.BadRequestError,
      );
      assert.equal(tools.message, "400 Invalid 'tools': array too long. Expected an array with maximum length 128, but got an array with length 129 instead.");
      assert.equal(tools.param, 'tools');
      assert.equal(tools.code, 'array_above_max_length');

      assert.equal(gateway.model.messageRequests.length, modelRequests, 'no model call was made');
      assert.equal(gateway.sessionDirs().length, dirs, 'no Claude Code session was started');
    }),
  );

  test(
    'exactly four stop sequences and exactly 128 tools are served',
    withLog(log, async (t) => {
      const completion = await client().chat.completions.create({
        model: MODEL,
        messages: [user('at the bounds (limits ok)')],
        stop: ['@@1', '@@2', '@@3', '@@4'],
        tools: manyTools(128),
      });
      assert.equal(completion.choices[0].finish_reason, 'stop');
      const offered = requestFor('(limits ok)').body.tools.filter((tool) => tool.name.startsWith(GATEWAY_TOOL_PREFIX));
      assert.equal(offered.length, 128, 'the model is offered all 128 client tools');
    }),
  );

  // ---- item 3: JSON depth ----

  test(
    'arguments 40 levels deep for a tool with a shallow schema make the whole round trip (the MCP call carries them)',
    withLog(log, async (t) => {
      const anyObject = { type: 'function', function: { name: 'store_tree', description: 'Stores any object.', parameters: { type: 'object' } } };
      const argument = nestedValue(40, 'leaf');
      const ask = user(`Please call store_tree with ${JSON.stringify(argument)} (deep arguments)`);
      const first = await client({ timeout: HANG_LIMIT_MS }).chat.completions.create({ model: MODEL, messages: [ask], tools: [anyObject] });
      const [choice] = first.choices;
      assert.equal(choice.finish_reason, 'tool_calls');
      const [call] = choice.message.tool_calls;
      assert.deepEqual(JSON.parse(call.function.arguments), argument);

      const second = await client({ timeout: HANG_LIMIT_MS }).chat.completions.create({
        model: MODEL,
        messages: [ask, assistantTurn(choice.message), toolMessage(call.id, 'stored')],
        tools: [anyObject],
      });
      assert.equal(second.choices[0].message.content, 'Tool said: stored', 'the client\'s result reached the model');
    }),
  );

  test(
    'a tool schema nested 97 levels deep reaches the model whole, and deep arguments make the round trip',
    withLog(log, async (t) => {
      const schema = nestedSchema(48); // JSON depth 97: the body is 101 deep, under MAX_JSON_DEPTH=128
      const deepTool = { type: 'function', function: { name: 'deep_tool', description: 'Takes a deeply nested argument.', parameters: schema } };
      const argument = nestedValue(40, 'bottom');
      const ask = user(`Please call deep_tool with ${JSON.stringify(argument)} (deep schema)`);
      const first = await client().chat.completions.create({ model: MODEL, messages: [ask], tools: [deepTool] });

      const offered = requestFor('(deep schema)').body.tools.find((tool) => tool.name === `${GATEWAY_TOOL_PREFIX}deep_tool`);
      assert.ok(offered, 'the model is offered the deep tool');
      assert.equal(jsonDepth(offered.input_schema), jsonDepth(schema), 'with its whole schema');
      assert.deepEqual(offered.input_schema.required, ['child']);

      const [choice] = first.choices;
      assert.equal(choice.finish_reason, 'tool_calls', JSON.stringify(choice).slice(0, 400));
      const [call] = choice.message.tool_calls;
      assert.deepEqual(JSON.parse(call.function.arguments), argument, 'the client gets the deep arguments whole');

      const second = await client().chat.completions.create({
        model: MODEL,
        messages: [ask, assistantTurn(choice.message), toolMessage(call.id, 'deep result')],
        tools: [deepTool],
      });
      assert.equal(second.choices[0].message.content, 'Tool said: deep result', 'the result reached the model');
    }),
  );

  test(
    'a body nested deeper than MAX_JSON_DEPTH gets a 400 that names the limit',
    withLog(log, async (t) => {
      const deepTool = { type: 'function', function: { name: 'too_deep', parameters: nestedSchema(70) } }; // 145 levels
      const response = await gateway.postChat({ model: MODEL, messages: [user('too deep (body)')], tools: [deepTool] });
      const { error } = await response.json();
      t.diagnostic(`145-deep body: ${response.status} ${error?.message}`);
      assert.equal(response.status, 400);
      assert.equal(error.type, 'invalid_request_error');
      assert.match(error.message, /MAX_JSON_DEPTH/);
      assert.match(error.message, /128/);
    }),
  );

  test(
    'Claude Code output lines as deep as real tool inputs make them are read: a denied deep call still ends its turn',
    withLog(log, async (t) => {
      // tool_choice "none": the model calls deep_tool anyway, ccgate's approval denies it, and the
      // CLI's result line lists the denied call with its input, 40 levels deep, 43 in the line.
      const deepTool = { type: 'function', function: { name: 'deep_tool', description: 'Takes any object.', parameters: { type: 'object' } } };
      const input = nestedValue(40);
      const completion = await client({ timeout: HANG_LIMIT_MS }).chat.completions.create({
        model: MODEL,
        messages: [user(`Please call deep_tool with ${JSON.stringify(input)} (deep denial)`)],
        tools: [deepTool],
        tool_choice: 'none',
      });
      assert.deepEqual(requestFor('(deep denial)').answer.toolUses[0].input, input, 'the model did call it, deeply');
      assert.equal(completion.choices[0].finish_reason, 'stop');
      assert.match(completion.choices[0].message.content ?? '', /^Tool said: .*tool_choice: none/);
    }),
  );

  test(
    'a Claude Code output line deeper than ccgate reads ends the turn with an error naming the limit, never a hang',
    withLog(log, async (t) => {
      // The model calls a tool it was not given with input 200 levels deep: the CLI's lines about
      // it (the assistant message, the permission denial in the result) are that deep too.
      const input = nestedValue(200);
      const ask = user(`Now force-call mcp__gateway__not_given with ${JSON.stringify(input)} (deep line)`);
      const sessionsBefore = gateway.sessionDirs().length;
      const error = await rejectsWith(
        client({ timeout: HANG_LIMIT_MS }).chat.completions.create({ model: MODEL, messages: [ask], tools: [weatherTool] }),
        OpenAI.APIError,
      );
      t.diagnostic(`200-deep CLI line: ${error.status} ${error.message}`);
      assert.equal(error.status, 502, `a 502 (got ${error.status}: ${error.message})`);
      assert.match(error.message, /MAX_JSON_DEPTH/);
      for (let waited = 0; gateway.sessionDirs().length > sessionsBefore && waited < 5_000; waited += 100) await sleep(100);
      assert.equal(gateway.sessionDirs().length, sessionsBefore, 'the failed turn\'s session is ended');
    }),
  );

  // ---- item 4: tool_choice "none" ----

  for (const stream of [false, true]) {
    test(
      `tool_choice "none" (${stream ? 'streamed' : 'not streamed'}): the model calls a tool anyway, the client gets no tool_calls and a normal answer`,
      withLog(log, async (t) => {
        const marker = `(choice none ${stream ? 'streamed' : 'plain'})`;
        const request = { model: MODEL, messages: [user(`Please call get_weather with {"city":"Rome"} ${marker}`)], tools: [weatherTool], tool_choice: 'none' };
        let message;
        let finishReason;
        let sawToolCallDelta = false;
        if (stream) {
          const streamed = client().chat.completions.stream(request);
          streamed.on('chunk', (c) => (sawToolCallDelta ||= c.choices.some((choice) => choice.delta?.tool_calls?.length)));
          const completion = await streamed.finalChatCompletion();
          [{ message, finish_reason: finishReason }] = completion.choices;
        } else {
          const completion = await client().chat.completions.create(request);
          [{ message, finish_reason: finishReason }] = completion.choices;
        }
        const [modelCall] = requestFor(marker).answer.toolUses;
        assert.ok(modelCall, 'the model did call get_weather');

        t.diagnostic(`tool_choice none: finish_reason ${finishReason}, ${message.tool_calls?.length ?? 0} tool_calls`);
        assert.ok(!message.tool_calls?.length, `no tool_calls reach the client: ${JSON.stringify(message.tool_calls)}`);
        assert.equal(sawToolCallDelta, false, 'not even as a streamed delta');
        assert.equal(finishReason, 'stop');
        assert.match(message.content ?? '', /^Tool said: .*tool_choice: none/, 'the model answered after the denial');
        const denial = await gateway.model.waitForToolResult(modelCall.id, { timeoutMs: 5_000 });
        assert.equal(toolResultsOf(denial.body)[0].is_error, true, 'the model got the denial as an error result');
      }),
    );
  }

  // ---- item 6: tool results and then a new user message ----

  test(
    'a follow-up with the tool result and then a new user message: the model sees both, the client gets one answer',
    withLog(log, async (t) => {
      const marker = '(result and new text)';
      const ask = user(`Please call get_weather with {"city":"Paris"} ${marker}`);
      const first = await client().chat.completions.create({ model: MODEL, messages: [ask], tools: [weatherTool] });
      const [choice] = first.choices;
      assert.equal(choice.finish_reason, 'tool_calls');
      const [call] = choice.message.tool_calls;
      const [modelCall] = requestFor(marker).answer.toolUses;

      // Answer with what the model was given: the tool result, and the user's words next to it.
      gateway.model.rule = (record) => {
        const results = toolResultsOf(record.body);
        if (!results.some((result) => result.tool_use_id === modelCall.id)) return undefined;
        const said = JSON.stringify(record.body.messages.slice(-3)).match(/NEW-TEXT: [^"\\]*/)?.[0] ?? 'nothing else';
        return { text: `Tool said: ${results.map((r) => r.text).join(' | ')}; the user also said ${said}` };
      };
      try {
        const sent = Date.now();
        const second = await client({ timeout: HANG_LIMIT_MS }).chat.completions.create({
          model: MODEL,
          messages: [ask, assistantTurn(choice.message), toolMessage(call.id, 'Sunny in Paris'), user('NEW-TEXT: and tomorrow?')],
          tools: [weatherTool],
        });
        t.diagnostic(`follow-up with result + new text answered in ${Date.now() - sent} ms: ${JSON.stringify(second.choices[0].message.content)}`);
        // The CLI shows the new text with the result (one model call), or, when it reads the text
        // too late for that, right after (a second call): either way one answer that knows both.
        assert.equal(second.choices[0].finish_reason, 'stop');
        assert.ok(!second.choices[0].message.tool_calls?.length);
        const content = second.choices[0].message.content;
        assert.match(content, /^Tool said: Sunny in Paris/, 'the model had the tool result');
        assert.match(content, /NEW-TEXT: and tomorrow\?/, 'and the new text');

        const carrying = gateway.model.messageRequests.filter((r) => toolResultsOf(r.body).some((result) => result.tool_use_id === modelCall.id));
        assert.equal(carrying.length, 1, 'the result reached the model once');
        const session = carrying[0].headers['x-claude-code-session-id'];
        assert.ok(
          gateway.model.messageRequests.some((r) => r.headers['x-claude-code-session-id'] === session && JSON.stringify(r.body.messages).includes('NEW-TEXT: and tomorrow?')),
          'the new text reached the model in the same conversation',
        );
      } finally {
        gateway.model.rule = undefined;
      }
    }),
  );

  test(
    'two tool calls answered in a streamed follow-up that adds a new user message: one answer that knows both results and the text',
    withLog(log, async (t) => {
      const marker = '(two results and new text)';
      const ask = user(`Please call get_weather with {"city":"Oslo"} and get_time with {"zone":"CET"} ${marker}`);
      const tools = [weatherTool, timeTool];
      const first = await client().chat.completions.create({ model: MODEL, messages: [ask], tools });
      const [choice] = first.choices;
      assert.equal(choice.message.tool_calls?.length, 2, JSON.stringify(choice));
      const modelCalls = requestFor(marker).answer.toolUses;

      gateway.model.rule = (record) => {
        const results = toolResultsOf(record.body);
        if (!modelCalls.every((call) => results.some((result) => result.tool_use_id === call.id))) return undefined;
        const said = JSON.stringify(record.body.messages.slice(-3)).match(/NEW-TEXT: [^"\\]*/)?.[0] ?? 'nothing else';
        return { text: `Tool said: ${results.map((r) => r.text).join(' | ')}; the user also said ${said}` };
      };
      try {
        const [weather, time] = choice.message.tool_calls;
        const stream = client().chat.completions.stream(
          {
            model: MODEL,
            messages: [ask, assistantTurn(choice.message), toolMessage(time.id, '14:05 CET'), toolMessage(weather.id, 'Snow in Oslo'), user('NEW-TEXT: pack what?')],
            tools,
          },
          { signal: AbortSignal.timeout(HANG_LIMIT_MS) },
        );
        const second = await stream.finalChatCompletion();
        assert.equal(second.choices[0].finish_reason, 'stop');
        const content = second.choices[0].message.content;
        assert.match(content, /^Tool said: Snow in Oslo \| 14:05 CET/, 'the model had both results');
        assert.match(content, /NEW-TEXT: pack what\?/, 'and the new text');
      } finally {
        gateway.model.rule = undefined;
      }
    }),
  );

  test(
    'a follow-up that leaves a tool call unanswered gets OpenAI\'s 400 at once instead of waiting on the call',
    withLog(log, async (t) => {
      const ask = user('Please call get_weather with {"city":"Lyon"} (unanswered)');
      const first = await client().chat.completions.create({ model: MODEL, messages: [ask], tools: [weatherTool] });
      const [choice] = first.choices;
      assert.equal(choice.finish_reason, 'tool_calls');
      const [call] = choice.message.tool_calls;

      const sent = Date.now();
      const error = await rejectsWith(
        client({ timeout: HANG_LIMIT_MS }).chat.completions.create({
          model: MODEL,
          messages: [ask, assistantTurn(choice.message), user('never mind the weather (unanswered)')],
          tools: [weatherTool],
        }),
        OpenAI.BadRequestError,
      );
      t.diagnostic(`unanswered tool call: ${error.status} after ${Date.now() - sent} ms`);
      assert.match(error.message, /must be followed by tool messages responding to each 'tool_call_id'/);
      assert.match(error.message, new RegExp(call.id));
      assert.equal(error.param, 'messages.[1].role');

      // The conversation is still there for the right follow-up.
      const answered = await client().chat.completions.create({
        model: MODEL,
        messages: [ask, assistantTurn(choice.message), toolMessage(call.id, 'Drizzle in Lyon')],
        tools: [weatherTool],
      });
      assert.equal(answered.choices[0].message.content, 'Tool said: Drizzle in Lyon');
    }),
  );

  // ---- item 7: MCP refusals ----

  test(
    'the MCP endpoints answer an unknown session and a wrong secret with the same status and body',
    withLog(log, async (t) => {
      const first = await client().chat.completions.create({
        model: MODEL,
        messages: [user('Please call get_weather with {"city":"Bergen"} (mcp refusals)')],
        tools: [weatherTool],
      });
      assert.equal(first.choices[0].finish_reason, 'tool_calls', 'a live session waits on its tool call');
      const live = liveMcpServer(gateway);
      const unknownUrl = live.url.replace(live.sessionId, 'x'.repeat(live.sessionId.length));
      const list = JSON.stringify({ jsonrpc: '2.0', id: 1, method: 'tools/list' });
      const post = async (url, secret) => {
        const response = await fetch(url, {
          method: 'POST',
          headers: { 'content-type': 'application/json', accept: 'application/json, text/event-stream', [live.secretHeader]: secret },
          body: list,
        });
        return { status: response.status, body: await response.text() };
      };

      const allowed = await post(live.url, live.secret);
      assert.equal(allowed.status, 200, 'the live session with its secret is served');
      assert.match(allowed.body, /"tools"/);

      const wrongSecret = await post(live.url, `${live.secret.slice(0, -1)}#`);
      const unknownSession = await post(unknownUrl, live.secret);
      const unknownNoSecret = await post(unknownUrl, '');
      t.diagnostic(`MCP: wrong secret → ${wrongSecret.status} ${wrongSecret.body}; unknown session → ${unknownSession.status} ${unknownSession.body}`);
      assert.ok(wrongSecret.status >= 400 && wrongSecret.status < 500, `refused (${wrongSecret.status})`);
      assert.deepEqual(unknownSession, wrongSecret, 'an unknown session and a wrong secret look the same');
      assert.deepEqual(unknownNoSecret, wrongSecret);
      assert.doesNotMatch(wrongSecret.body, /secret|forbidden/i, 'the answer does not say the session exists');
    }),
  );
});

// ---- item 2: only admitted requests' tools are cached ----

describe('gateway requests: refused requests leave no tool lists behind', { skip: claudeMissing }, () => {
  let gateway;
  const log = () => gateway;

  before(async () => {
    // quarantine_size_mb=0: a sanitizer build would otherwise keep freed memory for a while.
    gateway = await GatewayFixture.start({ env: { ASAN_OPTIONS: 'quarantine_size_mb=0:detect_leaks=0' } });
  });
  after(() => gateway?.stop());

  test(
    'forty requests refused with 404, each with 3 MB of new tools, do not grow ccgate\'s memory',
    withLog(log, async (t) => {
      const refused = async (round) => {
        const filler = 'x'.repeat(30_000);
        const tools = manyTools(100, (i) => `Round ${round} tool ${i}: ${filler}`);
        const response = await gateway.postChat({
          model: MODEL,
          messages: [
            user('weather?'),
            { role: 'assistant', content: null, tool_calls: [{ id: 'call_nobody', type: 'function', function: { name: 'tool_0', arguments: '{}' } }] },
            toolMessage('call_nobody', 'a result for a conversation that does not exist'),
          ],
          tools,
        });
        assert.equal(response.status, 404, 'the tool call belongs to no conversation');
        await response.arrayBuffer();
      };
      for (let round = 0; round < 5; round++) await refused(round); // the allocator's own start-up
      await sleep(200);
      const before = rssKiB(gateway.gate.pid);
      for (let round = 5; round < 45; round++) await refused(round);
      await sleep(200);
      const grown = rssKiB(gateway.gate.pid) - before;
      t.diagnostic(`RSS ${Math.round(before / 1024)} MB before, +${Math.round(grown / 1024)} MB after 40 refused requests with 3 MB of tools each`);
      // 40 × 3 MB of descriptions: kept, they would be 120 MB.
      assert.ok(grown < 40 * 1024, `RSS grew by ${Math.round(grown / 1024)} MB over 40 refused requests`);
    }),
  );
});

// ---- item 5: tool results reach only their own conversation ----

describe('gateway requests: two conversations whose model repeats its tool call ids (CLAUDE_CODE_BASE_URL=self)', { skip: claudeMissing }, () => {
  let gateway;
  const log = () => gateway;

  before(async () => {
    gateway = await GatewayFixture.start({ self: true });
  });
  after(() => gateway?.stop());

  test(
    'both get call_0 from the model; the client sees two different ids and each result reaches its own conversation',
    withLog(log, async (t) => {
      // Like many OpenAI-compatible servers: every conversation's first call is call_0.
      gateway.upstream.defaultRule = (record) => {
        const messages = record.body?.messages ?? [];
        const result = messages.findLast((m) => m.role === 'tool');
        if (result) return { stream: textStream(['The tool said: ', textOf(result.content)], { usage: usage(200, 8) }) };
        const city = JSON.stringify(messages).match(/weather in (\w+) \(repeated ids\)/)?.[1] ?? 'Nowhere';
        return {
          stream: [
            chunk({ role: 'assistant', content: '' }),
            ...toolCallChunks(0, 'call_0', 'mcp__gateway__get_weather', [`{"city":"${city}"}`]),
            chunk({}, { finishReason: 'tool_calls' }),
            usageChunk(usage(150, 12)),
          ],
        };
      };
      const conversation = (city) => {
        const ask = user(`what is the weather in ${city} (repeated ids)`);
        return { city, ask, first: gateway.client({ timeout: HANG_LIMIT_MS }).chat.completions.create({ model: MODEL, messages: [ask], tools: [weatherTool] }) };
      };
      const conversations = [conversation('Berlin'), conversation('Madrid')];
      for (const c of conversations) {
        const completion = await c.first;
        const [choice] = completion.choices;
        assert.equal(choice.finish_reason, 'tool_calls', `${c.city}: ${JSON.stringify(choice)}`);
        assert.deepEqual(JSON.parse(choice.message.tool_calls[0].function.arguments), { city: c.city });
        c.choice = choice;
        c.call = choice.message.tool_calls[0];
      }
      const upstreamCallIds = gateway.upstream.requests.filter((r) => /\(repeated ids\)/.test(JSON.stringify(r.body?.messages))).length;
      assert.ok(upstreamCallIds >= 2, 'both conversations reached the model');
      t.diagnostic(`client ids: ${conversations.map((c) => `${c.city}=${c.call.id}`).join(', ')}`);
      assert.notEqual(conversations[0].call.id, conversations[1].call.id, 'the client sees ids unique across conversations');
      for (const c of conversations) assert.notEqual(c.call.id, 'call_0');

      // Answered the other way round, at the same time.
      const answers = await Promise.all(
        [...conversations].reverse().map((c) =>
          gateway
            .client({ timeout: HANG_LIMIT_MS })
            .chat.completions.create({
              model: MODEL,
              messages: [c.ask, assistantTurn(c.choice.message), toolMessage(c.call.id, `RESULT-FOR-${c.city}`)],
              tools: [weatherTool],
            })
            .then((completion) => ({ city: c.city, content: completion.choices[0].message.content })),
        ),
      );
      for (const { city, content } of answers) assert.equal(content, `The tool said: RESULT-FOR-${city}`, `${city} got its own result`);

      for (const c of conversations) {
        const followUp = gateway.upstream.requests.findLast(
          (r) => JSON.stringify(r.body?.messages ?? []).includes(`weather in ${c.city} (repeated ids)`) && r.body.messages.some((m) => m.role === 'tool'),
        );
        const toolResult = followUp.body.messages.findLast((m) => m.role === 'tool');
        assert.equal(toolResult.tool_call_id, 'call_0', 'the model is answered under its own id');
        assert.match(textOf(toolResult.content), new RegExp(`RESULT-FOR-${c.city}`));
      }
    }),
  );
});
