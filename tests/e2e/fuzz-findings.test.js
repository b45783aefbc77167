// What the fuzzers (tests/fuzz) found, through the real binary and real sockets. Each of these
// was mishandled before its fix. (The other findings are unit tests: see tests/fuzz/README.md.)

import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';

import { ProxyFixture } from './lib/harness.js';

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
