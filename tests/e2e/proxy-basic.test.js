// The proxy door, non-streaming: the real Anthropic SDK against ccgate against a mock upstream.

import Anthropic from '@anthropic-ai/sdk';
import assert from 'node:assert/strict';
import { after, before, beforeEach, describe, test } from 'node:test';

import { ProxyFixture, UPSTREAM_KEY, rejectsWith, sleep, textOf, user, waitUntil } from './lib/harness.js';
import { Ccgate } from './lib/ccgate.js';
import { chunk, completion, textStream, toolCall, usage } from './lib/mock-openai.js';

describe('proxy door: messages (non-streaming)', () => {
  let proxy;
  let client;

  before(async () => {
    proxy = await ProxyFixture.start({
      env: {
        MODEL_MAP: 'claude-custom-alias=gpt-aliased, claude-sonnet-special=gpt-special',
        CUSTOM_HEADER_X_FOO: 'bar',
        CORS_ORIGINS: 'http://localhost:3000',
      },
    });
    client = proxy.client();
  });
  after(() => proxy?.stop());
  beforeEach(() => proxy.mock.reset());

  test('a text answer comes back as an Anthropic message with the upstream usage', async () => {
    proxy.mock.enqueue({ json: completion({ content: 'Hello there', usage: usage(100, 7, 40) }) });

    const message = await client.messages.create({
      model: 'claude-sonnet-4-6',
      max_tokens: 321,
      messages: [user('hi')],
    });

    assert.equal(message.type, 'message');
    assert.equal(message.role, 'assistant');
    assert.deepEqual(message.content, [{ type: 'text', text: 'Hello there' }]);
    assert.equal(message.stop_reason, 'end_turn');
    assert.equal(message.stop_sequence ?? null, null);
    assert.equal(message.model, 'claude-sonnet-4-6', 'the client model name is echoed');
    assert.equal(message.usage.input_tokens, 60, 'cache reads are subtracted from input tokens');
    assert.equal(message.usage.cache_read_input_tokens, 40);
    assert.equal(message.usage.output_tokens, 7);

    assert.equal(proxy.mock.requests.length, 1);
    const upstream = proxy.mock.requests[0];
    assert.equal(upstream.method, 'POST');
    assert.equal(upstream.path, '/v1/chat/completions');
    assert.equal(upstream.headers.authorization, `Bearer ${UPSTREAM_KEY}`);
    assert.equal(upstream.headers['x-foo'], 'bar', 'CUSTOM_HEADER_X_FOO reaches the upstream');
    assert.equal(upstream.body.model, 'gpt-middle');
    assert.equal(upstream.body.max_tokens, 321);
    assert.ok(!upstream.body.stream, 'a non-streaming request is not streamed upstream');
    const last = upstream.body.messages.at(-1);
    assert.equal(last.role, 'user');
    assert.equal(textOf(last.content), 'hi');
  });

  test('the client key is not forwarded upstream', async () => {
    await client.messages.create({ model: 'claude-sonnet-4-6', max_tokens: 10, messages: [user('hi')] });
    const { headers } = proxy.mock.requests[0];
    assert.equal(headers['x-api-key'], undefined);
    assert.ok(!JSON.stringify(headers).includes('sk-client-test'));
  });

  test('model names map to the configured upstream models, aliases first', async () => {
    const cases = [
      ['claude-3-5-haiku-20241022', 'gpt-small'],
      ['claude-sonnet-4-6-20260101', 'gpt-middle'],
      ['claude-opus-4-1', 'gpt-big'],
      ['Claude-OPUS-Next', 'gpt-big'],
      ['claude-custom-alias', 'gpt-aliased'],
      ['claude-sonnet-special', 'gpt-special'],
      ['qwen2.5-coder:7b', 'qwen2.5-coder:7b'],
      ['gpt-4.1-mini', 'gpt-4.1-mini'],
      ['deepseek/deepseek-chat', 'deepseek/deepseek-chat'],
    ];
    for (const [clientModel, upstreamModel] of cases) {
      proxy.mock.reset();
      const message = await client.messages.create({ model: clientModel, max_tokens: 16, messages: [user('hi')] });
      assert.equal(proxy.mock.requests[0].body.model, upstreamModel, `${clientModel} → ${upstreamModel}`);
      assert.equal(message.model, clientModel, `the response echoes ${clientModel}`);
    }
  });

  test('query strings on /v1/messages are ignored', async () => {
    const response = await proxy.postMessages(
      { model: 'claude-sonnet-4-6', max_tokens: 16, messages: [user('hi')] },
      { query: '?beta=true' },
    );
    assert.equal(response.status, 200);
    const body = await response.json();
    assert.equal(body.type, 'message');
  });

  test('the top-level system prompt and role:"system" entries in messages become system messages', async () => {
    const message = await client.messages.create({
      model: 'claude-sonnet-4-6',
      max_tokens: 64,
      system: [
        { type: 'text', text: 'SYSTEM-ALPHA', cache_control: { type: 'ephemeral' } },
        { type: 'text', text: 'SYSTEM-BETA' },
      ],
      messages: [
        user([{ type: 'text', text: 'first question' }]),
        { role: 'system', content: [{ type: 'text', text: 'SYSTEM-IN-MESSAGES' }], output_config: { effort: 'medium' } },
      ],
    });
    assert.equal(message.type, 'message');

    const { messages } = proxy.mock.requests[0].body;
    assert.equal(messages[0].role, 'system', 'the system prompt comes first');
    assert.match(textOf(messages[0].content), /SYSTEM-ALPHA[\s\S]*SYSTEM-BETA/);
    const inMessages = messages.find((m) => m.role === 'system' && textOf(m.content).includes('SYSTEM-IN-MESSAGES'));
    assert.ok(inMessages, `a system message carries SYSTEM-IN-MESSAGES: ${JSON.stringify(messages)}`);
    assert.ok(messages.some((m) => m.role === 'user' && textOf(m.content) === 'first question'));
  });

  test('unknown fields and blocks Claude Code sends are tolerated, never a 4xx', async () => {
    const tools = [
      { name: 'get_weather', description: 'Weather', input_schema: { type: 'object', properties: { city: { type: 'string' } } } },
      { type: 'web_search_20250305', name: 'web_search', max_uses: 3 },
      { name: 'Deferred', defer_loading: true, input_schema: { type: 'object' }, cache_control: { type: 'ephemeral' } },
    ];
    const messages = [
      user([
        { type: 'text', text: 'read this', cache_control: { type: 'ephemeral' } },
        { type: 'document', source: { type: 'text', media_type: 'text/plain', data: 'DOCUMENT-TEXT' }, title: 'doc' },
        { type: 'mystery_block_from_the_future', payload: { a: 1 } },
      ]),
      {
        role: 'assistant',
        content: [
          { type: 'thinking', thinking: 'let me think', signature: 'c2lnbmF0dXJl' },
          { type: 'redacted_thinking', data: 'ZW5jcnlwdGVk' },
          { type: 'text', text: 'thought about it' },
        ],
      },
      user('go on'),
    ];
    const variants = [
      { thinking: { type: 'adaptive', display: 'updates' } },
      { thinking: { type: 'enabled', budget_tokens: 2048 } },
      { thinking: { type: 'disabled' } },
      { output_config: { effort: 'medium' } },
      { context_management: { edits: [{ type: 'clear_thinking_20251015', keep: 'all' }] } },
      { metadata: { user_id: 'user-123' }, top_k: 5, service_tier: 'auto', some_future_field: { x: [1, 2] } },
    ];
    for (const extra of variants) {
      proxy.mock.reset();
      const response = await proxy.postMessages({ model: 'claude-sonnet-4-6', max_tokens: 256, tools, messages, ...extra });
      const body = await response.text();
      assert.equal(response.status, 200, `${JSON.stringify(extra)} → ${response.status} ${body}`);
      assert.equal(JSON.parse(body).type, 'message');
      const upstream = proxy.mock.requests[0].body;
      const names = (upstream.tools ?? []).map((tool) => tool.function?.name);
      assert.ok(names.includes('get_weather'), `the client tool reaches the upstream: ${JSON.stringify(upstream.tools)}`);
      const openAiTool = upstream.tools.find((tool) => tool.function?.name === 'get_weather');
      assert.equal(openAiTool.type, 'function');
      assert.deepEqual(openAiTool.function.parameters, tools[0].input_schema);
    }
    assert.equal(proxy.mock.requests[0].body.user, 'user-123', 'metadata.user_id → user');
  });

  test('a reasoning model gets max_completion_tokens, others max_tokens', async () => {
    for (const model of ['o3-mini', 'gpt-5-mini', 'o4-mini']) {
      proxy.mock.reset();
      await client.messages.create({ model, max_tokens: 1000, messages: [user('hi')] });
      const body = proxy.mock.requests[0].body;
      assert.equal(body.max_completion_tokens, 1000, `${model} gets max_completion_tokens`);
      assert.equal(body.max_tokens, undefined, `${model} must not get max_tokens`);
    }
    proxy.mock.reset();
    await client.messages.create({ model: 'gpt-4o', max_tokens: 1000, messages: [user('hi')] });
    assert.equal(proxy.mock.requests[0].body.max_tokens, 1000);
    assert.equal(proxy.mock.requests[0].body.max_completion_tokens, undefined);
  });

  test('a thinking budget becomes reasoning_effort for a reasoning model', async () => {
    await client.messages.create({
      model: 'o3-mini',
      max_tokens: 20000,
      thinking: { type: 'enabled', budget_tokens: 16000 },
      messages: [user('hi')],
    });
    const body = proxy.mock.requests[0].body;
    assert.ok(['minimal', 'low', 'medium', 'high', 'xhigh'].includes(body.reasoning_effort), `reasoning_effort: ${body.reasoning_effort}`);
  });

  test('stop_sequences go upstream as stop; a matched stop is reported as stop_sequence', async () => {
    proxy.mock.enqueue({
      json: completion({ content: 'one two', extraChoiceFields: { stop_reason: 'END' } }),
    });
    const message = await client.messages.create({
      model: 'claude-sonnet-4-6',
      max_tokens: 64,
      stop_sequences: ['END', '###'],
      messages: [user('count')],
    });
    assert.deepEqual(proxy.mock.requests[0].body.stop, ['END', '###']);
    assert.equal(message.stop_reason, 'stop_sequence');
    assert.equal(message.stop_sequence, 'END');
  });

  test('finish_reason maps to stop_reason', async () => {
    const cases = [
      ['stop', 'end_turn'],
      ['length', 'max_tokens'],
      ['content_filter', 'refusal'],
    ];
    for (const [finishReason, stopReason] of cases) {
      proxy.mock.enqueue({ json: completion({ content: 'x', finishReason }) });
      const message = await client.messages.create({ model: 'claude-sonnet-4-6', max_tokens: 8, messages: [user('hi')] });
      assert.equal(message.stop_reason, stopReason, `${finishReason} → ${stopReason}`);
    }
  });

  test('a tool call answer becomes tool_use blocks with the upstream ids and parsed input', async () => {
    proxy.mock.enqueue({
      json: completion({
        content: 'Checking.',
        finishReason: 'tool_calls',
        toolCalls: [toolCall('call_abc', 'get_weather', { city: 'Paris' }), toolCall('call_def', 'get_time', { tz: 'CET' })],
      }),
    });
    const message = await client.messages.create({
      model: 'claude-sonnet-4-6',
      max_tokens: 64,
      tools: [
        { name: 'get_weather', input_schema: { type: 'object' } },
        { name: 'get_time', input_schema: { type: 'object' } },
      ],
      messages: [user('weather and time?')],
    });
    assert.equal(message.stop_reason, 'tool_use');
    assert.deepEqual(message.content, [
      { type: 'text', text: 'Checking.' },
      { type: 'tool_use', id: 'call_abc', name: 'get_weather', input: { city: 'Paris' } },
      { type: 'tool_use', id: 'call_def', name: 'get_time', input: { tz: 'CET' } },
    ]);
  });

  test('a tool call without an id gets a toolu_ id', async () => {
    const call = toolCall('', 'get_weather', { city: 'Oslo' });
    delete call.id;
    proxy.mock.enqueue({ json: completion({ finishReason: 'tool_calls', toolCalls: [call] }) });
    const message = await client.messages.create({
      model: 'claude-sonnet-4-6',
      max_tokens: 64,
      tools: [{ name: 'get_weather', input_schema: { type: 'object' } }],
      messages: [user('weather?')],
    });
    const toolUse = message.content.find((block) => block.type === 'tool_use');
    assert.ok(toolUse, JSON.stringify(message.content));
    assert.match(toolUse.id, /^toolu_\w+/);
    assert.deepEqual(toolUse.input, { city: 'Oslo' });
  });

  test('reasoning_content becomes a thinking block before the text', async () => {
    proxy.mock.enqueue({ json: completion({ content: 'The answer is 4.', reasoningContent: '2 plus 2 is 4' }) });
    const message = await client.messages.create({ model: 'claude-sonnet-4-6', max_tokens: 64, messages: [user('2+2?')] });
    assert.equal(message.content[0].type, 'thinking');
    assert.equal(message.content[0].thinking, '2 plus 2 is 4');
    assert.deepEqual(message.content[1], { type: 'text', text: 'The answer is 4.' });
  });

  test('a null or missing upstream usage is not an error', async () => {
    for (const usageValue of [null, undefined]) {
      proxy.mock.enqueue({ json: completion({ content: 'no usage here', usage: usageValue }) });
      const message = await client.messages.create({ model: 'claude-sonnet-4-6', max_tokens: 8, messages: [user('hi')] });
      assert.deepEqual(message.content, [{ type: 'text', text: 'no usage here' }]);
      assert.equal(typeof message.usage.input_tokens, 'number');
      assert.equal(typeof message.usage.output_tokens, 'number');
    }
  });

  test('count_tokens counts tools and tool results, not only text, without calling the upstream', async () => {
    const base = { model: 'claude-sonnet-4-6', messages: [user('What is the weather like in Paris today?')] };
    const textOnly = await client.messages.countTokens(base);
    assert.ok(textOnly.input_tokens > 0, JSON.stringify(textOnly));

    const schema = {
      type: 'object',
      properties: Object.fromEntries(
        Array.from({ length: 20 }, (_, i) => [`parameter_${i}`, { type: 'string', description: `The parameter number ${i} of this tool` }]),
      ),
    };
    const withTools = await client.messages.countTokens({
      ...base,
      tools: [{ name: 'big_tool', description: 'A tool with a large schema', input_schema: schema }],
    });
    assert.ok(withTools.input_tokens > textOnly.input_tokens + 50, `tools counted: ${withTools.input_tokens} vs ${textOnly.input_tokens}`);

    const longResult = 'The weather in Paris is sunny with a light breeze. '.repeat(40);
    const withToolResult = await client.messages.countTokens({
      model: 'claude-sonnet-4-6',
      messages: [
        ...base.messages,
        { role: 'assistant', content: [{ type: 'tool_use', id: 'toolu_1', name: 'get_weather', input: { city: 'Paris' } }] },
        user([{ type: 'tool_result', tool_use_id: 'toolu_1', content: [{ type: 'text', text: longResult }] }]),
      ],
    });
    assert.ok(
      withToolResult.input_tokens > textOnly.input_tokens + 200,
      `tool results counted: ${withToolResult.input_tokens} vs ${textOnly.input_tokens}`,
    );
    assert.equal(proxy.mock.requests.length, 0, 'count_tokens is an estimate, no upstream call');
  });

  test('GET /health, HEAD /, GET / and GET /v1/models answer 200', async () => {
    const health = await proxy.fetch('/health');
    assert.equal(health.status, 200);
    const status = await health.json();
    assert.equal(typeof status.version, 'string', JSON.stringify(status));

    const head = await proxy.fetch('/', { method: 'HEAD' });
    assert.equal(head.status, 200);
    const root = await proxy.fetch('/');
    assert.equal(root.status, 200);
    await root.arrayBuffer();

    const models = await proxy.fetch('/v1/models', { headers: { 'x-api-key': 'sk-client-test', 'anthropic-version': '2023-06-01' } });
    assert.equal(models.status, 200);
    const list = await models.json();
    assert.ok(Array.isArray(list.data) && list.data.length > 0, JSON.stringify(list));
    for (const model of list.data) assert.equal(typeof model.id, 'string');

    const ids = [];
    for await (const model of client.models.list()) ids.push(model.id);
    for (const family of ['haiku', 'sonnet', 'opus']) {
      assert.ok(ids.some((id) => id.includes(family)), `the SDK lists a ${family} model: ${ids.join(', ')}`);
    }
  });

  test('a CORS preflight from an origin in CORS_ORIGINS is answered with Access-Control-Allow-*', async () => {
    const response = await proxy.fetch('/v1/messages', {
      method: 'OPTIONS',
      headers: {
        origin: 'http://localhost:3000',
        'access-control-request-method': 'POST',
        'access-control-request-headers': 'x-api-key,content-type,anthropic-version',
      },
    });
    assert.ok([200, 204].includes(response.status), `status ${response.status}`);
    assert.equal(response.headers.get('access-control-allow-origin'), 'http://localhost:3000');
    const methods = response.headers.get('access-control-allow-methods') ?? '';
    assert.ok(methods === '*' || methods.includes('POST'), `Access-Control-Allow-Methods: ${methods}`);
    const headers = (response.headers.get('access-control-allow-headers') ?? '').toLowerCase();
    assert.ok(headers === '*' || headers.includes('x-api-key'), `Access-Control-Allow-Headers: ${headers}`);
  });

  test('an unknown path is a 404 in Anthropic error shape', async () => {
    const response = await proxy.fetch('/v1/nothing-here', { method: 'POST', body: '{}' });
    assert.equal(response.status, 404);
    const body = await response.json();
    assert.equal(body.type, 'error');
    assert.equal(body.error.type, 'not_found_error');
  });

  test('a body that is not JSON is a 400 invalid_request_error', async () => {
    const response = await proxy.postMessages('{"model": "claude-sonnet-4-6", "messages": [');
    assert.equal(response.status, 400);
    const body = await response.json();
    assert.equal(body.type, 'error');
    assert.equal(body.error.type, 'invalid_request_error');
    assert.equal(proxy.mock.requests.length, 0);
  });
});

describe('proxy door: client authentication', () => {
  const secret = 'sk-ant-client-secret';
  let proxy;

  before(async () => {
    proxy = await ProxyFixture.start({ env: { ANTHROPIC_API_KEY: secret } });
  });
  after(() => proxy?.stop());
  beforeEach(() => proxy.mock.reset());

  const request = { model: 'claude-sonnet-4-6', max_tokens: 16, messages: [user('hi')] };

  test('a request without a key is a 401 authentication_error', async () => {
    const response = await proxy.fetch('/v1/messages', {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'anthropic-version': '2023-06-01' },
      body: JSON.stringify(request),
    });
    assert.equal(response.status, 401);
    const body = await response.json();
    assert.equal(body.type, 'error');
    assert.equal(body.error.type, 'authentication_error');
    assert.equal(proxy.mock.requests.length, 0, 'nothing reaches the upstream');
  });

  test('a wrong key is an AuthenticationError in the SDK, via x-api-key and via Bearer', async () => {
    for (const client of [proxy.client({ xApiKey: 'sk-wrong' }), proxy.client({ authToken: 'sk-wrong' })]) {
      const error = await rejectsWith(client.messages.create(request), Anthropic.AuthenticationError);
      assert.equal(error.status, 401);
      assert.equal(error.type, 'authentication_error');
    }
    const prefix = proxy.client({ xApiKey: secret.slice(0, -1) });
    await rejectsWith(prefix.messages.create(request), Anthropic.AuthenticationError);
    assert.equal(proxy.mock.requests.length, 0);
  });

  test('the right key is accepted as x-api-key and as Authorization: Bearer', async () => {
    const viaHeader = await proxy.client({ xApiKey: secret }).messages.create(request);
    assert.equal(viaHeader.type, 'message');
    const viaBearer = await proxy.client({ authToken: secret }).messages.create(request);
    assert.equal(viaBearer.type, 'message');
    assert.equal(proxy.mock.requests.length, 2);
    for (const upstream of proxy.mock.requests) {
      assert.equal(upstream.headers.authorization, `Bearer ${UPSTREAM_KEY}`, 'the upstream gets the upstream key');
    }
  });

  test('count_tokens requires the key too', async () => {
    const client = proxy.client({ xApiKey: 'sk-wrong' });
    await rejectsWith(client.messages.countTokens({ model: 'claude-sonnet-4-6', messages: [user('hi')] }), Anthropic.AuthenticationError);
  });
});

describe('proxy door: request body limit', () => {
  let proxy;

  before(async () => {
    proxy = await ProxyFixture.start({ env: { MAX_BODY_SIZE: 4096 } });
  });
  after(() => proxy?.stop());

  test('a body over MAX_BODY_SIZE is a 413 request_too_large; one under it passes', async () => {
    const small = await proxy.client().messages.create({ model: 'claude-sonnet-4-6', max_tokens: 8, messages: [user('x'.repeat(1000))] });
    assert.equal(small.type, 'message');

    const error = await rejectsWith(
      proxy.client().messages.create({ model: 'claude-sonnet-4-6', max_tokens: 8, messages: [user('x'.repeat(20_000))] }),
      Anthropic.APIError,
    );
    assert.equal(error.status, 413);
    assert.equal(error.type, 'request_too_large');
    assert.equal(proxy.mock.requests.length, 1, 'the oversized request never reaches the upstream');
  });
});

describe('proxy door: max_tokens clamps', () => {
  let proxy;

  before(async () => {
    proxy = await ProxyFixture.start({ env: { MIN_TOKENS_LIMIT: 256, MAX_TOKENS_LIMIT: 4096 } });
  });
  after(() => proxy?.stop());

  test('max_tokens goes upstream clamped to MIN_TOKENS_LIMIT..MAX_TOKENS_LIMIT', async () => {
    for (const [asked, sent] of [
      [32000, 4096],
      [1000, 1000],
      [1, 256],
    ]) {
      const message = await proxy.client().messages.create({ model: 'claude-sonnet-4-6', max_tokens: asked, messages: [user('hi')] });
      assert.equal(message.type, 'message');
      assert.equal(proxy.mock.requests.at(-1).body.max_tokens, sent, `max_tokens ${asked}`);
    }
  });
});

describe('proxy door: upstream connection pool', () => {
  const request = (client) => client.messages.create({ model: 'claude-sonnet-4-6', max_tokens: 8, messages: [user('hi')] });

  // Two waves of `concurrency` requests that overlap (the mock holds each answer 300 ms): the
  // connections the mock accepted in all.
  async function connectionsForTwoWaves(proxy, concurrency) {
    const client = proxy.client();
    for (let wave = 0; wave < 2; wave++) {
      for (let i = 0; i < concurrency; i++) proxy.mock.enqueue({ json: completion('ok'), delayMs: 300 });
      await Promise.all(Array.from({ length: concurrency }, () => request(client)));
    }
    return proxy.mock.connectionsOpened;
  }

  test('by default a steady load reuses every upstream connection: the pool follows the load', async (t) => {
    const proxy = await ProxyFixture.start({ env: { THREADS: 1 } });
    t.after(() => proxy.stop());
    // 80: more than the fixed 64 the pool kept before it followed the load.
    assert.equal(await connectionsForTwoWaves(proxy, 80), 80, 'the second wave reuses the first wave\'s connections');
  });

  test('UPSTREAM_MAX_IDLE caps the pooled connections of each event loop', async (t) => {
    const proxy = await ProxyFixture.start({ env: { THREADS: 1, UPSTREAM_MAX_IDLE: 2 } });
    t.after(() => proxy.stop());
    assert.equal(await connectionsForTwoWaves(proxy, 6), 6 + 4, 'two kept, four opened again');
    await waitUntil(() => proxy.mock.openSocketCount === 2, 3000, 'only two idle connections stay open');
  });

  test('a stream that ends cleanly leaves its connection to the next request; one abandoned on a broken event does not', async (t) => {
    const proxy = await ProxyFixture.start({ env: { THREADS: 1 } });
    t.after(() => proxy.stop());
    const streamText = async () => {
      const stream = proxy.client().messages.stream({ model: 'claude-sonnet-4-6', max_tokens: 8, messages: [user('hi')] });
      return (await stream.finalMessage()).content[0]?.text;
    };
    for (let i = 0; i < 3; i++) {
      proxy.mock.enqueue({ stream: textStream(['one ', 'two']) });
      assert.equal(await streamText(), 'one two');
    }
    assert.equal(proxy.mock.connectionsOpened, 1, 'three clean streams over one upstream connection');
    // A malformed event inside an otherwise well-formed HTTP body: the client gets an error
    // event, and the connection, whose bytes can no longer be trusted, is closed.
    proxy.mock.enqueue({ stream: [chunk({ role: 'assistant', content: '' }), 'data: {"choices": [\n\n', ...textStream(['rest']).slice(1)] });
    await assert.rejects(streamText(), /broke the stream/);
    proxy.mock.enqueue({ stream: textStream(['after']) });
    assert.equal(await streamText(), 'after');
    assert.equal(proxy.mock.connectionsOpened, 2, 'a fresh connection after the broken stream');
  });

  test('pooled connections idle longer than UPSTREAM_KEEPALIVE_TIMEOUT are closed', async (t) => {
    const proxy = await ProxyFixture.start({ env: { THREADS: 1, UPSTREAM_KEEPALIVE_TIMEOUT: 0.5 } });
    t.after(() => proxy.stop());
    await request(proxy.client());
    assert.equal(proxy.mock.openSocketCount, 1, 'pooled after the answer');
    await sleep(900);
    await request(proxy.client()); // the stale connection is dropped, not reused
    assert.equal(proxy.mock.connectionsOpened, 2);
  });
});

describe('proxy door: Azure OpenAI', () => {
  for (const [form, suffix, deployment] of [
    ['resource root', '', 'gpt-middle'],
    ['full deployment URL', '/openai/deployments/my-deploy', 'my-deploy'],
  ]) {
    test(`a ${form} base URL builds the deployment URL with api-version and the api-key header`, async (t) => {
      const proxy = await ProxyFixture.start({
        defaults: false,
        env: (mock) => ({
          OPENAI_BASE_URL: `${mock.origin}${suffix}`,
          OPENAI_API_KEY: 'azure-key',
          AZURE_API_VERSION: '2024-06-01',
          MIDDLE_MODEL: 'gpt-middle',
        }),
      });
      t.after(() => proxy.stop());
      const message = await proxy.client().messages.create({ model: 'claude-sonnet-4-6', max_tokens: 8, messages: [user('hi')] });
      assert.equal(message.type, 'message');
      const upstream = proxy.mock.requests[0];
      assert.equal(upstream.url, `/openai/deployments/${deployment}/chat/completions?api-version=2024-06-01`);
      assert.equal(upstream.headers['api-key'], 'azure-key');
      assert.equal(upstream.headers.authorization, undefined);
    });
  }
});

describe('ccgate process', () => {
  test('SIGTERM stops it gracefully with exit code 0', async () => {
    const proxy = await ProxyFixture.start();
    const { code, signal } = await proxy.stop();
    assert.equal(signal, null, proxy.gate.stderr);
    assert.equal(code, 0, proxy.gate.stderr);
  });

  test('a .env in the working directory is read but never overrides the environment', async (t) => {
    const proxy = await ProxyFixture.start({
      defaults: false,
      env: (mock) => ({ OPENAI_BASE_URL: mock.baseURL, OPENAI_API_KEY: UPSTREAM_KEY, BIG_MODEL: 'gpt-from-env' }),
      dotenv: 'BIG_MODEL=gpt-from-dotenv\nSMALL_MODEL=gpt-small-from-dotenv\n',
    });
    t.after(() => proxy.stop());
    const client = proxy.client();
    await client.messages.create({ model: 'claude-opus-4-1', max_tokens: 8, messages: [user('hi')] });
    await client.messages.create({ model: 'claude-3-5-haiku', max_tokens: 8, messages: [user('hi')] });
    assert.equal(proxy.mock.requests[0].body.model, 'gpt-from-env');
    assert.equal(proxy.mock.requests[1].body.model, 'gpt-small-from-dotenv');
  });

  test('a bad configuration value stops start-up with a message naming the variable', async () => {
    let started;
    try {
      started = await Ccgate.start({ env: { MAX_RETRIES: 'lots' } });
    } catch (error) {
      assert.match(error.message, /exited first/);
      assert.match(error.message, /MAX_RETRIES/);
      return;
    }
    await started.stop();
    assert.fail(`ccgate started with MAX_RETRIES=lots\n${started.stderr}`);
  });
});
