// An upstream that answers 200 with something other than what was asked, and upstream streams
// that break the SSE rules: the client gets a clear Anthropic error, never a silent forward.
//  - a streaming request answered with HTML or JSON: 502 api_error before any byte of a stream;
//  - an SSE line longer than MAX_LINE_SIZE: an error event (or a 502 when nothing was sent yet);
//  - a data line that is not JSON: an error event (comments and empty data lines are keep-alive);
//  - a non-streaming answer larger than MAX_RESPONSE_SIZE: 502 naming the variable.

import Anthropic from '@anthropic-ai/sdk';
import assert from 'node:assert/strict';
import { after, before, beforeEach, describe, test } from 'node:test';

import { ProxyFixture, readSSE, rejectsWith, sleep, user, withTimeout } from './lib/harness.js';
import { chunk, completion, textStream } from './lib/mock-openai.js';
import { rssKiB } from './lib/probes.js';

const request = (extra = {}) => ({ model: 'claude-sonnet-4-6', max_tokens: 256, messages: [user('hi')], ...extra });

const CAPTIVE_PORTAL = '<!DOCTYPE html>\n<html><head><title>Sign in to the guest Wi-Fi</title></head><body>Accept the terms</body></html>\n';

// A 200 answer with exactly these headers (no content-type unless given) and body pieces.
function rawAnswer({ contentType, pieces, delayMs = 0, hold = false }) {
  return {
    handler: async (req, res) => {
      res.writeHead(200, contentType ? { 'content-type': contentType } : {});
      res.flushHeaders();
      for (const piece of pieces) {
        if (delayMs) await sleep(delayMs);
        if (res.destroyed) return;
        res.write(piece);
      }
      if (!hold) res.end();
    },
  };
}

const sse = (items) => items.map((item) => (typeof item === 'string' ? item : `data: ${JSON.stringify(item)}\n\n`));

async function expect502BeforeAnyStreamByte(proxy, said) {
  const response = await proxy.postMessages(request({ stream: true }));
  const text = await response.text();
  assert.equal(response.status, 502, `status ${response.status}, body: ${text.slice(0, 300)}`);
  assert.match(response.headers.get('content-type') ?? '', /application\/json/);
  assert.ok(!text.includes('message_start'), 'no stream event was sent');
  const body = JSON.parse(text);
  assert.equal(body.type, 'error');
  assert.equal(body.error.type, 'api_error');
  for (const words of said) assert.ok(body.error.message.includes(words), `the message names the problem (${words}): ${body.error.message}`);
  return body.error.message;
}

describe('proxy door: an upstream answering 200 with something else', () => {
  let proxy;
  let client;

  before(async () => {
    proxy = await ProxyFixture.start({ env: { MAX_RETRIES: 0 } });
    client = proxy.client();
  });
  after(() => proxy?.stop());
  beforeEach(() => proxy.mock.reset());

  test('streaming, answered with an HTML page (captive portal) → 502 naming text/html, no stream', async () => {
    proxy.mock.enqueue(rawAnswer({ contentType: 'text/html; charset=utf-8', pieces: [CAPTIVE_PORTAL] }));
    await expect502BeforeAnyStreamByte(proxy, ['text/html']);

    proxy.mock.enqueue(rawAnswer({ contentType: 'text/html', pieces: [CAPTIVE_PORTAL] }));
    const error = await rejectsWith(client.messages.stream(request()).finalMessage(), Anthropic.InternalServerError);
    assert.equal(error.status, 502);
    assert.equal(error.type, 'api_error');
  });

  test('streaming, answered with a JSON error object → 502 carrying its message', async () => {
    const body = JSON.stringify({ error: { message: 'Model gpt-middle is not served on this endpoint', type: 'invalid_request_error' } });
    proxy.mock.enqueue(rawAnswer({ contentType: 'application/json', pieces: [body] }));
    await expect502BeforeAnyStreamByte(proxy, ['application/json', 'Model gpt-middle is not served on this endpoint']);
  });

  test('streaming, answered with a whole chat.completion (stream: true ignored) → 502 naming the content type', async () => {
    proxy.mock.enqueue({ json: completion({ content: 'not a stream' }) });
    await expect502BeforeAnyStreamByte(proxy, ['application/json']);

    proxy.mock.enqueue({ json: completion({ content: 'not a stream' }) });
    const error = await rejectsWith(client.messages.stream(request()).finalMessage(), Anthropic.InternalServerError);
    assert.equal(error.status, 502);
  });

  test('streaming, no content type and an HTML body → 502 (the first bytes are looked at)', async () => {
    proxy.mock.enqueue(rawAnswer({ pieces: [CAPTIVE_PORTAL] }));
    await expect502BeforeAnyStreamByte(proxy, ['not an event stream']);
  });

  test('streaming, no content type and a JSON error body → 502 carrying its message', async () => {
    proxy.mock.enqueue(rawAnswer({ contentType: 'text/plain', pieces: ['{"error":{"message":"quota exhausted for this key"}}'] }));
    await expect502BeforeAnyStreamByte(proxy, ['quota exhausted for this key']);
  });

  test('streaming, no content type (or text/plain) but a real event stream, split anywhere → served', async () => {
    for (const contentType of [undefined, 'text/plain', 'application/octet-stream']) {
      const bytes = sse(textStream(['Hello ', 'there'])).join('') + 'data: [DONE]\n\n';
      const pieces = [bytes.slice(0, 3), bytes.slice(3, 9), bytes.slice(9)];
      proxy.mock.enqueue(rawAnswer({ contentType, pieces, delayMs: 20 }));
      const message = await client.messages.stream(request()).finalMessage();
      assert.equal(message.content[0].text, 'Hello there', `content type ${contentType}`);
    }
  });

  test('non-streaming, answered 200 with an HTML page → 502 api_error (as before)', async () => {
    proxy.mock.enqueue(rawAnswer({ contentType: 'text/html', pieces: [CAPTIVE_PORTAL] }));
    const error = await rejectsWith(client.messages.create(request()), Anthropic.InternalServerError);
    assert.equal(error.status, 502);
    assert.equal(error.type, 'api_error');
    assert.ok(error.apiMessage?.includes('not JSON'), error.apiMessage);
  });
});

describe('proxy door: upstream SSE framing', () => {
  let proxy;
  let client;

  before(async () => {
    proxy = await ProxyFixture.start({ env: { MAX_RETRIES: 0, MAX_LINE_SIZE: 65536 } });
    client = proxy.client();
  });
  after(() => proxy?.stop());
  beforeEach(() => proxy.mock.reset());

  const lastEvent = (events) => events.filter((e) => e.event !== 'ping').at(-1);

  test('an SSE line longer than MAX_LINE_SIZE ends the stream with an error event naming the limit', async () => {
    const long = chunk({ content: 'x'.repeat(100_000) });
    proxy.mock.enqueue({ stream: [...textStream(['short ']).slice(0, 2), long, ...textStream(['after']).slice(1)] });
    const response = await proxy.postMessages(request({ stream: true }));
    assert.equal(response.status, 200);
    const events = await withTimeout(readSSE(response), 10_000, 'the end of the stream');
    const last = lastEvent(events);
    assert.equal(last.event, 'error', `ends with an error: ${events.map((e) => e.event).join(', ')}`);
    assert.equal(last.data.error.type, 'api_error');
    assert.match(last.data.error.message, /MAX_LINE_SIZE/);
    assert.ok(!JSON.stringify(events).includes('x'.repeat(1000)), 'the long line was not relayed');
  });

  test('a line that never ends is cut at MAX_LINE_SIZE at once, not buffered until a timeout', async () => {
    const before = rssKiB(proxy.gate.pid);
    const started = Date.now();
    proxy.mock.enqueue(rawAnswer({ contentType: 'text/event-stream', pieces: ['data: {"choices":[{"delta":{"content":"', ...Array(64).fill('y'.repeat(16_384))], hold: true }));
    const response = await proxy.postMessages(request({ stream: true }));
    const events = await withTimeout(readSSE(response), 10_000, 'the end of the stream');
    assert.equal(lastEvent(events).event, 'error');
    assert.match(lastEvent(events).data.error.message, /MAX_LINE_SIZE/);
    assert.ok(Date.now() - started < 5000, `released after ${Date.now() - started} ms`);
    await withTimeout(proxy.mock.requests[0].closed, 5000, 'the upstream connection closing');
    assert.ok(rssKiB(proxy.gate.pid) - before < 64 * 1024, 'memory stays bounded');
  });

  test('without a content type, a first line longer than MAX_LINE_SIZE is a 502 (nothing was sent yet)', async () => {
    proxy.mock.enqueue(rawAnswer({ pieces: ['data: ' + 'z'.repeat(70_000), '\n\n'] }));
    await expect502BeforeAnyStreamByte(proxy, ['MAX_LINE_SIZE']);
  });

  test('a data line that is not JSON ends the stream with an error event, not silence', async () => {
    proxy.mock.enqueue({ stream: [chunk({ role: 'assistant', content: '' }), chunk({ content: 'partial' }), 'data: <html>upstream hiccup</html>\n\n', ...textStream(['rest']).slice(1)] });
    const response = await proxy.postMessages(request({ stream: true }));
    const events = await withTimeout(readSSE(response), 10_000, 'the end of the stream');
    const last = lastEvent(events);
    assert.equal(last.event, 'error', `ends with an error: ${events.map((e) => e.event).join(', ')}`);
    assert.match(last.data.error.message, /not JSON/);

    proxy.mock.enqueue({ stream: [chunk({ role: 'assistant', content: '' }), 'data: {"choices": [\n\n', ...textStream(['rest']).slice(1)] });
    await rejectsWith(withTimeout(client.messages.stream(request()).finalMessage(), 10_000, 'the SDK stream failing'), Anthropic.AnthropicError);
  });

  test('keep-alive noise (comments, empty lines, empty data lines, unknown fields) is tolerated', async () => {
    proxy.mock.enqueue({
      stream: [
        ': keep-alive\n\n',
        '\n\n',
        chunk({ role: 'assistant', content: '' }),
        ':OPENROUTER PROCESSING\n\n',
        'data: \n\n',
        'data:\n\n',
        'id: 7\nretry: 1000\n\n',
        chunk({ content: 'Hello' }),
        'event: ping\ndata: \n\n',
        chunk({ content: ' world' }),
        chunk({}, { finishReason: 'stop' }),
      ],
    });
    const message = await client.messages.stream(request()).finalMessage();
    assert.equal(message.content[0].text, 'Hello world');
    assert.equal(message.stop_reason, 'end_turn');
  });
});

describe('proxy door: MAX_RESPONSE_SIZE bounds a non-streaming upstream answer', () => {
  let proxy;
  let client;

  before(async () => {
    proxy = await ProxyFixture.start({ env: { MAX_RETRIES: 0, MAX_RESPONSE_SIZE: 65536 } });
    client = proxy.client();
  });
  after(() => proxy?.stop());
  beforeEach(() => proxy.mock.reset());

  test('an answer over the limit is a 502 naming MAX_RESPONSE_SIZE; one under it passes', async () => {
    proxy.mock.enqueue({ json: completion({ content: 'a'.repeat(100_000) }) });
    const error = await rejectsWith(client.messages.create(request()), Anthropic.InternalServerError);
    assert.equal(error.status, 502);
    assert.match(error.apiMessage ?? '', /MAX_RESPONSE_SIZE/);

    proxy.mock.enqueue({ json: completion({ content: 'b'.repeat(30_000) }) });
    const message = await client.messages.create(request());
    assert.equal(message.content[0].text.length, 30_000);
  });
});
