// The proxy door validates an Anthropic request as the real API does: a malformed request gets a
// 400 invalid_request_error whose message names the field, and nothing reaches the upstream.
// What the real API tolerates (unknown top-level fields, unknown block types, role "system"
// entries that Claude Code puts in messages) stays tolerated. Request bodies are parsed with
// MAX_JSON_DEPTH (real tool schemas nest 64 levels and more).

import Anthropic from '@anthropic-ai/sdk';
import assert from 'node:assert/strict';
import { after, before, beforeEach, describe, test } from 'node:test';

import { ProxyFixture, rejectsWith, user } from './lib/harness.js';

const tools = [{ name: 'get_weather', description: 'Weather for a city', input_schema: { type: 'object', properties: { city: { type: 'string' } } } }];
const valid = { model: 'claude-sonnet-4-6', max_tokens: 256, messages: [user('hi')] };
const without = (key) => Object.fromEntries(Object.entries(valid).filter(([name]) => name !== key));

// [what is wrong, the request, what the message must say]
const invalidRequests = [
  ['messages missing', without('messages'), 'messages: Field required'],
  ['messages not an array', { ...valid, messages: 'hi' }, 'messages: Input should be a valid list'],
  ['messages empty', { ...valid, messages: [] }, 'messages: at least one message is required'],
  ['a message that is not an object', { ...valid, messages: [user('hi'), 42] }, 'messages.1:'],
  ['a message without a role', { ...valid, messages: [{ content: 'hi' }] }, 'messages.0.role: Field required'],
  ['a message with role "tool"', { ...valid, messages: [user('hi'), { role: 'tool', content: 'x' }] }, "messages.1.role: Input should be 'user' or 'assistant'"],
  ['a message with role "developer"', { ...valid, messages: [{ role: 'developer', content: 'x' }] }, "messages.0.role: Input should be 'user' or 'assistant'"],
  ['a message without content', { ...valid, messages: [{ role: 'user' }] }, 'messages.0.content: Field required'],
  ['content that is a number', { ...valid, messages: [{ role: 'user', content: 42 }] }, 'messages.0.content:'],
  ['content that is an object', { ...valid, messages: [user('hi'), { role: 'assistant', content: { type: 'text', text: 'x' } }] }, 'messages.1.content:'],
  ['content blocks that are not objects', { ...valid, messages: [user(['just a string'])] }, 'messages.0.content.0:'],
  ['a content block without a type', { ...valid, messages: [user([{ text: 'hi' }])] }, 'messages.0.content.0.type: Field required'],
  ['system that is a number', { ...valid, system: 42 }, 'system:'],
  ['system that is an object', { ...valid, system: { type: 'text', text: 'S' } }, 'system:'],
  ['a tool without a name', { ...valid, tools: [...tools, { description: 'nameless', input_schema: { type: 'object' } }] }, 'tools.1.name: Field required'],
  ['a tool whose input_schema is not an object', { ...valid, tools: [{ name: 'x', input_schema: 'object' }] }, 'tools.0.input_schema:'],
  ['tool_choice naming a tool that is not offered', { ...valid, tools, tool_choice: { type: 'tool', name: 'get_time' } }, 'tool_choice.name:'],
  ['tool_choice naming a tool with no tools at all', { ...valid, tool_choice: { type: 'tool', name: 'get_weather' } }, 'tool_choice.name:'],
  ['tool_choice of an unknown type', { ...valid, tools, tool_choice: { type: 'sometimes' } }, 'tool_choice.type:'],
  ['tool_choice that is a string', { ...valid, tools, tool_choice: 'auto' }, 'tool_choice: Input should be a valid dictionary'],
  ['max_tokens missing', without('max_tokens'), 'max_tokens: Field required'],
  ['max_tokens a string', { ...valid, max_tokens: '100' }, 'max_tokens: Input should be a valid integer'],
  ['max_tokens a fraction', { ...valid, max_tokens: 100.5 }, 'max_tokens: Input should be a valid integer'],
  ['max_tokens zero', { ...valid, max_tokens: 0 }, 'max_tokens: Input should be greater than or equal to 1'],
  ['max_tokens negative', { ...valid, max_tokens: -1 }, 'max_tokens: Input should be greater than or equal to 1'],
  ['max_tokens 2^31', { ...valid, max_tokens: 2 ** 31 }, 'max_tokens: Input should be less than or equal to'],
  ['max_tokens 1e20', { ...valid, max_tokens: 1e20 }, 'max_tokens: Input should be less than or equal to'],
  ['model missing', without('model'), 'model: Field required'],
  ['model a number', { ...valid, model: 4 }, 'model: Input should be a valid string'],
];

// A tool schema nested `depth` levels (an object or array is one level), `depth` even.
function nestedSchema(depth) {
  let schema = { type: 'object', properties: {} };
  for (let level = 2; level < depth; level += 2) schema = { type: 'object', properties: { inner: schema } };
  return schema;
}

function depthOf(value) {
  if (value === null || typeof value !== 'object') return 0;
  const children = Array.isArray(value) ? value : Object.values(value);
  return 1 + Math.max(0, ...children.map(depthOf));
}

describe('proxy door: request validation', () => {
  let proxy;
  let client;

  before(async () => {
    proxy = await ProxyFixture.start();
    client = proxy.client();
  });
  after(() => proxy?.stop());
  beforeEach(() => proxy.mock.reset());

  for (const [what, body, said] of invalidRequests) {
    test(`${what} → 400 naming the field, nothing sent upstream`, async () => {
      const error = await rejectsWith(client.messages.create(body), Anthropic.BadRequestError);
      assert.equal(error.status, 400);
      assert.equal(error.type, 'invalid_request_error');
      assert.ok(error.apiMessage?.includes(said), `the message names the field (${said}): ${error.apiMessage}`);
      assert.equal(proxy.mock.requests.length, 0, `the upstream received ${JSON.stringify(proxy.mock.requests[0]?.body)}`);
    });
  }

  test('tools not an array → 400 naming the field, nothing sent upstream (raw: the SDK iterates tools)', async () => {
    const response = await proxy.postMessages({ ...valid, tools: { get_weather: tools[0] } });
    const body = await response.json();
    assert.equal(response.status, 400, JSON.stringify(body));
    assert.equal(body.error.type, 'invalid_request_error');
    assert.equal(body.error.message, 'tools: Input should be a valid list');
    assert.equal(proxy.mock.requests.length, 0);
  });

  test('a 20-digit max_tokens is refused, not sent upstream as 9223372036854775807', async () => {
    const text = '{"model":"claude-sonnet-4-6","max_tokens":99999999999999999999,"messages":[{"role":"user","content":"hi"}]}';
    const response = await proxy.postMessages(text);
    const body = await response.json();
    assert.equal(response.status, 400, JSON.stringify(body));
    assert.equal(body.error.type, 'invalid_request_error');
    assert.match(body.error.message, /^max_tokens: /);
    assert.equal(proxy.mock.requests.length, 0);

    const huge = text.replace('99999999999999999999', '18446744073709551615');
    const second = await proxy.postMessages(huge);
    assert.equal(second.status, 400);
    assert.equal(proxy.mock.requests.length, 0);
  });

  test('a streaming request that is invalid gets a plain 400, not a stream', async () => {
    const response = await proxy.postMessages({ ...valid, messages: [], stream: true });
    assert.equal(response.status, 400);
    assert.match(response.headers.get('content-type') ?? '', /application\/json/);
    const body = await response.json();
    assert.equal(body.type, 'error');
    assert.match(body.error.message, /^messages: /);

    const error = await rejectsWith(client.messages.stream({ ...valid, max_tokens: 0 }).finalMessage(), Anthropic.BadRequestError);
    assert.ok(error.apiMessage?.startsWith('max_tokens: '), error.apiMessage);
    assert.equal(proxy.mock.requests.length, 0);
  });

  test('what the real API accepts still passes: role "system" entries, unknown blocks and fields, max_tokens 128000 and 4096.0', async () => {
    const message = await client.messages.create({
      ...valid,
      max_tokens: 128000,
      system: [{ type: 'text', text: 'S' }],
      messages: [
        user([{ type: 'text', text: 'hi' }, { type: 'block_from_the_future', x: 1 }]),
        { role: 'system', content: 'be brief' },
        { role: 'assistant', content: [{ type: 'thinking', thinking: 't', signature: 's' }, { type: 'text', text: 'ok' }] },
        user('go on'),
      ],
      tools: [...tools, { type: 'web_search_20250305', name: 'web_search', max_uses: 1 }],
      tool_choice: { type: 'tool', name: 'get_weather' },
      some_future_field: { a: [1] },
    });
    assert.equal(message.type, 'message');
    const upstream = proxy.mock.requests[0].body;
    assert.equal(upstream.max_tokens, 128000);
    assert.deepEqual(upstream.tool_choice, { type: 'function', function: { name: 'get_weather' } });
    assert.deepEqual(
      upstream.messages.map((m) => m.role),
      ['system', 'user', 'system', 'assistant', 'user'],
    );

    const response = await proxy.postMessages('{"model":"claude-sonnet-4-6","max_tokens":4096.0,"messages":[{"role":"user","content":"hi"}]}');
    assert.equal(response.status, 200);
    assert.equal(proxy.mock.requests[1].body.max_tokens, 4096);
  });

  test('a request with nothing left to send upstream is refused, not sent as messages: []', async () => {
    const only = [user(''), { role: 'assistant', content: [{ type: 'thinking', thinking: 't', signature: 's' }] }, user([])];
    const error = await rejectsWith(client.messages.create({ ...valid, messages: only }), Anthropic.BadRequestError);
    assert.ok(error.apiMessage?.startsWith('messages: '), error.apiMessage);
    assert.equal(proxy.mock.requests.length, 0);
  });

  test('count_tokens validates model and messages the same way, without calling the upstream', async () => {
    const cases = [
      [{ messages: [user('hi')] }, 'model: Field required'],
      [{ model: 'claude-sonnet-4-6' }, 'messages: Field required'],
      [{ model: 'claude-sonnet-4-6', messages: [] }, 'messages: at least one message is required'],
      [{ model: 'claude-sonnet-4-6', messages: [{ role: 'robot', content: 'x' }] }, "messages.0.role: Input should be 'user' or 'assistant'"],
      [{ model: 'claude-sonnet-4-6', messages: [user('hi')], tools: 'none' }, 'tools: Input should be a valid list'],
    ];
    for (const [body, said] of cases) {
      const error = await rejectsWith(client.messages.countTokens(body), Anthropic.BadRequestError);
      assert.ok(error.apiMessage?.includes(said), `${JSON.stringify(body)}: ${error.apiMessage}`);
    }
    const counted = await client.messages.countTokens({ model: 'claude-sonnet-4-6', messages: [user('hi')] });
    assert.ok(counted.input_tokens > 0);
    assert.equal(proxy.mock.requests.length, 0);
  });

  test('a tool schema nested 64 levels is accepted and reaches the upstream intact', async () => {
    const schema = nestedSchema(64);
    assert.equal(depthOf(schema), 64);
    const deepTools = [{ name: 'deep', description: 'a deep schema', input_schema: schema }];
    const message = await client.messages.create({ ...valid, tools: deepTools });
    assert.equal(message.type, 'message');
    assert.deepEqual(proxy.mock.requests[0].body.tools[0].function.parameters, schema);

    const counted = await client.messages.countTokens({ model: valid.model, messages: valid.messages, tools: deepTools });
    assert.ok(counted.input_tokens > 0);
  });

  test('a body nested deeper than MAX_JSON_DEPTH (128) is a 400 naming the limit and the variable', async () => {
    let deep = 'x';
    for (let level = 0; level < 200; level++) deep = [deep];
    for (const path of ['/v1/messages', '/v1/messages/count_tokens']) {
      const response = await proxy.fetch(path, {
        method: 'POST',
        headers: { 'content-type': 'application/json', 'anthropic-version': '2023-06-01', 'x-api-key': 'sk-client-test' },
        body: JSON.stringify({ ...valid, some_future_field: deep }),
      });
      const body = await response.json();
      assert.equal(response.status, 400, `${path}: ${JSON.stringify(body)}`);
      assert.equal(body.error.type, 'invalid_request_error');
      assert.match(body.error.message, /MAX_JSON_DEPTH/, body.error.message);
      assert.match(body.error.message, /128/, body.error.message);
    }
    assert.equal(proxy.mock.requests.length, 0);
  });
});

describe('proxy door: MAX_JSON_DEPTH is configurable', () => {
  let proxy;

  before(async () => {
    proxy = await ProxyFixture.start({ env: { MAX_JSON_DEPTH: 40 } });
  });
  after(() => proxy?.stop());

  test('with MAX_JSON_DEPTH=40 a 64-level schema is refused with a message naming 40', async () => {
    const error = await rejectsWith(
      proxy.client().messages.create({ ...valid, tools: [{ name: 'deep', input_schema: nestedSchema(64) }] }),
      Anthropic.BadRequestError,
    );
    assert.match(error.apiMessage ?? '', /MAX_JSON_DEPTH/);
    assert.match(error.apiMessage ?? '', /\b40\b/);
    assert.equal(proxy.mock.requests.length, 0);
  });
});
