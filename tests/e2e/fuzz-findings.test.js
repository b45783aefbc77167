// What the fuzzers (tests/fuzz) found, through the real binary and real sockets. Each of these
// was mishandled before its fix. (The other findings are unit tests: see tests/fuzz/README.md.)

import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';

import { ProxyFixture, user } from './lib/harness.js';
import { chunk, completion, toolCall } from './lib/mock-openai.js';

// 1e999 is valid JSON syntax, but no double holds it: it parses to infinity, which ccgate's JSON
// library writes back as `Infinity`.
describe('a number too large for a double', () => {
  let proxy;
  before(async () => {
    proxy = await ProxyFixture.start();
  });
  after(async () => {
    await proxy?.stop();
  });

  const post = (path, body) =>
    proxy.fetch(path, {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'anthropic-version': '2023-06-01' },
      body,
    });

  test('the proxy door answers 400 naming the problem, and nothing goes upstream', async () => {
    const before = proxy.mock.requests.length;
    const response = await post(
      '/v1/messages',
      '{"model":"claude-sonnet-4-5","max_tokens":64,"temperature":1e999,"messages":[{"role":"user","content":"hi"}]}',
    );
    assert.equal(response.status, 400);
    const answer = await response.json();
    assert.equal(answer.type, 'error');
    assert.equal(answer.error.type, 'invalid_request_error');
    assert.match(answer.error.message, /too large/);
    assert.equal(proxy.mock.requests.length, before, 'nothing was sent upstream');
  });

  test("the upstream's tool arguments holding one reach the client as text, in a JSON body", async () => {
    // Before: the body said "input":{"n":Infinity} and the SDK could not parse it.
    proxy.mock.enqueue({
      json: completion({ finishReason: 'tool_calls', toolCalls: [toolCall('call_1', 'get_weather', '{"n":1e999}')] }),
    });
    const message = await proxy.client().messages.create({
      model: 'claude-sonnet-4-5',
      max_tokens: 64,
      messages: [user('hi')],
    });
    assert.deepEqual(message.content, [
      { type: 'tool_use', id: 'call_1', name: 'get_weather', input: { raw_arguments: '{"n":1e999}' } },
    ]);
    assert.equal(message.stop_reason, 'tool_use');
  });

  test('the gateway door answers 400 in OpenAI shape before starting anything', async () => {
    const response = await post(
      '/v1/chat/completions',
      '{"model":"sonnet","messages":[{"role":"user","content":"hi"}],' +
        '"tools":[{"type":"function","function":{"name":"f","parameters":{"type":"object","maximum":1e999}}}]}',
    );
    assert.equal(response.status, 400);
    const answer = await response.json();
    assert.equal(answer.error.type, 'invalid_request_error');
    assert.match(answer.error.message, /too large/);
  });
});

// An upstream error page in another encoding than UTF-8 (here Latin-1): its text went into the
// client's error body byte for byte, and JSON that is not UTF-8 is not JSON (Python's json.loads
// rejects it; JavaScript silently mangles it).
describe('an upstream error body that is not UTF-8', () => {
  let proxy;
  before(async () => {
    proxy = await ProxyFixture.start();
  });
  after(async () => {
    await proxy?.stop();
  });

  test('reaches the client as valid UTF-8, stray bytes replaced', async () => {
    proxy.mock.enqueue({ status: 400, body: Buffer.from('Fehler: ung\xfcltiger Wert', 'latin1') });
    const response = await proxy.postMessages({ model: 'claude-sonnet-4-5', max_tokens: 64, messages: [user('hi')] });
    assert.equal(response.status, 400);
    const bytes = Buffer.from(await response.arrayBuffer());
    const text = new TextDecoder('utf-8', { fatal: true }).decode(bytes); // threw before the fix
    const answer = JSON.parse(text);
    assert.equal(answer.error.type, 'invalid_request_error');
    assert.match(answer.error.message, /Fehler: ung\uFFFDltiger Wert/);
  });
});

// The upstream says finish_reason "tool_calls" but its only call never names a function: no
// tool_use block can be made. Before: stop_reason "tool_use" with no tool to run.
describe('tool_calls without a usable call', () => {
  let proxy;
  before(async () => {
    proxy = await ProxyFixture.start();
  });
  after(async () => {
    await proxy?.stop();
  });

  test('streamed: the turn ends with end_turn', async () => {
    proxy.mock.enqueue({
      stream: [
        chunk({ role: 'assistant', content: 'Let me check.' }),
        chunk({ tool_calls: [{ index: 0, id: 'call_1', type: 'function', function: { arguments: '{}' } }] }),
        chunk({}, { finishReason: 'tool_calls' }),
      ],
    });
    const message = await proxy
      .client()
      .messages.stream({ model: 'claude-sonnet-4-5', max_tokens: 64, messages: [user('hi')] })
      .finalMessage();
    assert.deepEqual(message.content.map((block) => block.type), ['text']);
    assert.equal(message.content[0].text, 'Let me check.');
    assert.equal(message.stop_reason, 'end_turn');
  });

  test('not streamed: the turn ends with end_turn', async () => {
    proxy.mock.enqueue({
      json: completion({ content: 'Let me check.', finishReason: 'tool_calls', toolCalls: [{ id: 'call_1', type: 'function' }] }),
    });
    const message = await proxy.client().messages.create({ model: 'claude-sonnet-4-5', max_tokens: 64, messages: [user('hi')] });
    assert.deepEqual(message.content, [{ type: 'text', text: 'Let me check.' }]);
    assert.equal(message.stop_reason, 'end_turn');
  });
});
