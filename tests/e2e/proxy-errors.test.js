// Upstream failures as the client sees them: Anthropic error classes and statuses, retries,
// mid-stream failures, timeouts, and cancellation reaching the upstream connection.

import Anthropic from '@anthropic-ai/sdk';
import assert from 'node:assert/strict';
import net from 'node:net';
import { after, before, beforeEach, describe, test } from 'node:test';

import { ProxyFixture, readSSE, rejectsWith, sleep, user, withTimeout } from './lib/harness.js';
import { chunk, completion, textStream } from './lib/mock-openai.js';

const request = (extra = {}) => ({ model: 'claude-sonnet-4-6', max_tokens: 256, messages: [user('hi')], ...extra });

const openAiError = (message, type, code = null) => ({ error: { message, type, param: null, code } });

const upstreamErrors = [
  {
    status: 400,
    body: openAiError("Invalid value for 'temperature': must be at most 2.", 'invalid_request_error', 'invalid_value'),
    said: "Invalid value for 'temperature'",
    ErrorClass: Anthropic.BadRequestError,
    clientStatus: 400,
    type: 'invalid_request_error',
  },
  {
    status: 401,
    body: openAiError('Incorrect API key provided: sk-upstr****', 'invalid_request_error', 'invalid_api_key'),
    said: 'Incorrect API key provided',
    ErrorClass: Anthropic.AuthenticationError,
    clientStatus: 401,
    type: 'authentication_error',
  },
  {
    status: 403,
    body: openAiError('Project does not have access to model gpt-middle', 'invalid_request_error', 'model_not_found'),
    said: 'does not have access to model',
    ErrorClass: Anthropic.PermissionDeniedError,
    clientStatus: 403,
    type: 'permission_error',
  },
  {
    status: 404,
    body: openAiError('The model `gpt-middle` does not exist or you do not have access to it.', 'invalid_request_error', 'model_not_found'),
    said: 'does not exist',
    ErrorClass: Anthropic.NotFoundError,
    clientStatus: 404,
    type: 'not_found_error',
  },
  {
    status: 429,
    headers: { 'retry-after': '7' },
    body: openAiError('Rate limit reached for gpt-middle in organization org-x on tokens per min.', 'tokens', 'rate_limit_exceeded'),
    said: 'Rate limit reached',
    ErrorClass: Anthropic.RateLimitError,
    clientStatus: 429,
    type: 'rate_limit_error',
    retryAfter: '7',
  },
  {
    status: 500,
    body: openAiError('The server had an error while processing your request.', 'server_error'),
    said: 'The server had an error',
    ErrorClass: Anthropic.InternalServerError,
    clientStatus: 500,
    type: 'api_error',
  },
  {
    status: 503,
    body: openAiError('The engine is currently overloaded, please try again later.', 'server_error'),
    said: 'currently overloaded',
    ErrorClass: Anthropic.OverloadedError,
    clientStatus: 529,
    type: 'overloaded_error',
  },
];

describe('proxy door: upstream errors (MAX_RETRIES=0)', () => {
  let proxy;
  let client;

  before(async () => {
    proxy = await ProxyFixture.start({ env: { MAX_RETRIES: 0 } });
    client = proxy.client();
  });
  after(() => proxy?.stop());
  beforeEach(() => proxy.mock.reset());

  for (const failure of upstreamErrors) {
    test(`upstream ${failure.status} → ${failure.clientStatus} ${failure.type}`, async () => {
      proxy.mock.enqueue({ status: failure.status, json: failure.body, headers: failure.headers });
      const error = await rejectsWith(client.messages.create(request()), failure.ErrorClass);
      assert.equal(error.status, failure.clientStatus);
      assert.equal(error.type, failure.type);
      assert.equal(error.error?.type, 'error', 'the body is in Anthropic error shape');
      assert.ok(error.apiMessage?.includes(failure.said), `the message says what the upstream said: ${error.apiMessage}`);
      if (failure.retryAfter) assert.equal(error.headers.get('retry-after'), failure.retryAfter);
      assert.equal(proxy.mock.requests.length, 1);
    });

    test(`streaming: upstream ${failure.status} → a real HTTP ${failure.clientStatus}, not a 200 stream`, async () => {
      proxy.mock.enqueue({ status: failure.status, json: failure.body, headers: failure.headers });
      const response = await proxy.postMessages(request({ stream: true }));
      assert.equal(response.status, failure.clientStatus);
      assert.match(response.headers.get('content-type') ?? '', /application\/json/);
      const body = await response.json();
      assert.equal(body.type, 'error');
      assert.equal(body.error.type, failure.type);
      assert.ok(body.error.message.includes(failure.said), body.error.message);

      proxy.mock.enqueue({ status: failure.status, json: failure.body, headers: failure.headers });
      await rejectsWith(client.messages.stream(request()).finalMessage(), failure.ErrorClass);
    });
  }

  test('an upstream error body that is not JSON still gives an Anthropic-shaped error', async () => {
    proxy.mock.enqueue({ status: 500, body: '<html><body>Internal Server Error from nginx</body></html>', headers: { 'content-type': 'text/html' } });
    const error = await rejectsWith(client.messages.create(request()), Anthropic.InternalServerError);
    assert.equal(error.type, 'api_error');
    assert.ok(error.apiMessage?.length > 0);
  });

  test('an upstream that closes the connection without answering is a 5xx error, not a hang', async () => {
    // More than one: a client may resend once on a fresh connection when a pooled one was closed.
    proxy.mock.enqueue({ destroy: true }, { destroy: true }, { destroy: true });
    const error = await rejectsWith(withTimeout(client.messages.create(request()), 10_000, 'an error'), Anthropic.APIError);
    assert.ok(error.status >= 500, `status ${error.status}`);
    assert.equal(error.error?.type, 'error');
  });

  test('an upstream failing mid-stream ends the stream with an error event, no hang', async () => {
    proxy.mock.enqueue({ stream: textStream(['partial ', 'answer ', 'then the ', 'line dies']), delayMs: 10, destroyAfter: 3 });
    const response = await proxy.postMessages(request({ stream: true }));
    assert.equal(response.status, 200);
    const events = await withTimeout(readSSE(response), 10_000, 'the end of the stream');
    const names = events.map((e) => e.event).filter((name) => name !== 'ping');
    assert.equal(names[0], 'message_start');
    assert.equal(names.at(-1), 'error', `the stream ends with an error event: ${names.join(', ')}`);
    assert.ok(!names.includes('message_stop'), 'no message_stop after a failure');
    const error = events.at(-1).data;
    assert.equal(error.type, 'error');
    assert.equal(typeof error.error.type, 'string');
    assert.equal(typeof error.error.message, 'string');

    proxy.mock.enqueue({ stream: textStream(['partial ', 'answer ', 'then the ', 'line dies']), delayMs: 10, destroyAfter: 3 });
    const stream = client.messages.stream(request());
    await rejectsWith(withTimeout(stream.finalMessage(), 10_000, 'the SDK stream failing'), Anthropic.AnthropicError);
  });

  test('an upstream stream that ends without finish_reason or [DONE] is an error, not a clean stop', async () => {
    proxy.mock.enqueue({ stream: [chunk({ role: 'assistant' }), chunk({ content: 'trunc' })], done: false });
    const response = await proxy.postMessages(request({ stream: true }));
    const events = await withTimeout(readSSE(response), 10_000, 'the end of the stream');
    const names = events.map((e) => e.event).filter((name) => name !== 'ping');
    assert.equal(names.at(-1), 'error', `a truncated upstream stream is reported: ${names.join(', ')}`);
  });
});

describe('proxy door: retries (MAX_RETRIES=2)', () => {
  let proxy;
  let client;

  before(async () => {
    proxy = await ProxyFixture.start({ env: { MAX_RETRIES: 2 } });
    client = proxy.client();
  });
  after(() => proxy?.stop());
  beforeEach(() => proxy.mock.reset());

  const overloaded = { status: 503, json: openAiError('overloaded', 'server_error') };

  test('upstream 503 then 200 → success after two upstream requests', async () => {
    proxy.mock.enqueue(overloaded, { json: completion({ content: 'second time lucky' }) });
    const message = await client.messages.create(request());
    assert.deepEqual(message.content, [{ type: 'text', text: 'second time lucky' }]);
    assert.equal(proxy.mock.requests.length, 2);
    assert.deepEqual(proxy.mock.requests[1].body, proxy.mock.requests[0].body, 'the retry sends the same request');
  });

  test('streaming: upstream 503 then a stream → the stream succeeds', async () => {
    proxy.mock.enqueue(overloaded, { stream: textStream(['streamed ', 'after retry']) });
    const message = await client.messages.stream(request()).finalMessage();
    assert.deepEqual(message.content, [{ type: 'text', text: 'streamed after retry' }]);
    assert.equal(proxy.mock.requests.length, 2);
  });

  test('a connection closed without an answer is retried', async () => {
    proxy.mock.enqueue({ destroy: true }, { json: completion({ content: 'reconnected' }) });
    const message = await client.messages.create(request());
    assert.deepEqual(message.content, [{ type: 'text', text: 'reconnected' }]);
    assert.equal(proxy.mock.requests.length, 2);
  });

  test('429 Retry-After is honoured before retrying', async () => {
    proxy.mock.enqueue(
      { status: 429, json: openAiError('slow down', 'requests', 'rate_limit_exceeded'), headers: { 'retry-after': '1' } },
      { json: completion({ content: 'after waiting' }) },
    );
    const message = await client.messages.create(request());
    assert.deepEqual(message.content, [{ type: 'text', text: 'after waiting' }]);
    const [first, second] = proxy.mock.requests;
    assert.ok(second.receivedAt - first.receivedAt >= 900, `waited ${second.receivedAt - first.receivedAt} ms`);
  });

  test('retries stop after MAX_RETRIES: three 503s → 529 overloaded_error', async () => {
    proxy.mock.enqueue(overloaded, overloaded, overloaded, { json: completion({ content: 'too late' }) });
    const error = await rejectsWith(client.messages.create(request()), Anthropic.OverloadedError);
    assert.equal(error.status, 529);
    assert.equal(proxy.mock.requests.length, 3);
  });

  test('a 400 is not retried', async () => {
    proxy.mock.enqueue({ status: 400, json: openAiError('bad request', 'invalid_request_error') }, { json: completion({ content: 'no' }) });
    await rejectsWith(client.messages.create(request()), Anthropic.BadRequestError);
    assert.equal(proxy.mock.requests.length, 1);
  });

  test('nothing is retried once the stream has started', async () => {
    proxy.mock.enqueue({ stream: textStream(['one ', 'two ', 'three']), destroyAfter: 2 }, { stream: textStream(['must not be used']) });
    const response = await proxy.postMessages(request({ stream: true }));
    const events = await withTimeout(readSSE(response), 10_000, 'the end of the stream');
    assert.equal(events.filter((e) => e.event !== 'ping').at(-1).event, 'error');
    await sleep(200);
    assert.equal(proxy.mock.requests.length, 1);
  });
});

describe('proxy door: upstream timeout (REQUEST_TIMEOUT=1)', () => {
  let proxy;

  before(async () => {
    proxy = await ProxyFixture.start({ env: { REQUEST_TIMEOUT: 1, MAX_RETRIES: 0 } });
  });
  after(() => proxy?.stop());
  beforeEach(() => proxy.mock.reset());

  test('an upstream that never answers → 504 within a few seconds', async () => {
    proxy.mock.enqueue({ hang: true });
    const started = Date.now();
    const error = await rejectsWith(proxy.client().messages.create(request()), Anthropic.GatewayTimeoutError);
    assert.equal(error.status, 504);
    assert.equal(error.error?.type, 'error');
    assert.ok(Date.now() - started < 4000, `took ${Date.now() - started} ms`);
  });

  test('streaming: an upstream that never answers → a real HTTP 504', async () => {
    proxy.mock.enqueue({ hang: true });
    const response = await proxy.postMessages(request({ stream: true }));
    assert.equal(response.status, 504);
    const body = await response.json();
    assert.equal(body.type, 'error');
  });
});

describe('proxy door: CONNECT_TIMEOUT', () => {
  test('an https upstream that accepts TCP and never answers the TLS handshake → 504 at CONNECT_TIMEOUT', async (t) => {
    const silent = net.createServer((socket) => socket.on('error', () => {}));
    await new Promise((resolve) => silent.listen(0, '127.0.0.1', resolve));
    t.after(() => silent.close());
    const proxy = await ProxyFixture.start({
      env: { OPENAI_BASE_URL: `https://127.0.0.1:${silent.address().port}/v1`, CONNECT_TIMEOUT: 1, REQUEST_TIMEOUT: 30, MAX_RETRIES: 0 },
    });
    t.after(() => proxy.stop());
    const started = Date.now();
    const error = await rejectsWith(proxy.client().messages.create(request()), Anthropic.GatewayTimeoutError);
    const took = Date.now() - started;
    assert.equal(error.error?.error?.type, 'timeout_error');
    assert.match(error.message, /connect timeout/);
    assert.ok(took >= 900 && took < 5_000, `answered after ${took} ms`);
  });
});

describe('proxy door: client abort closes the upstream connection', () => {
  let proxy;
  let client;

  before(async () => {
    proxy = await ProxyFixture.start();
    client = proxy.client();
  });
  after(() => proxy?.stop());
  beforeEach(() => proxy.mock.reset());

  test('aborting a stream mid-way closes the upstream connection within 2 s', async () => {
    const pieces = Array.from({ length: 100 }, (_, i) => `piece ${i} `);
    proxy.mock.enqueue({ stream: textStream(pieces), delayMs: 100 });
    const controller = new AbortController();
    const stream = client.messages.stream(request(), { signal: controller.signal });
    await new Promise((resolve) => stream.once('text', resolve));
    const [upstream] = await proxy.mock.waitForRequests(1);
    controller.abort();
    await stream.done().catch(() => {});

    await withTimeout(upstream.closed, 2000, 'the upstream connection closing');
  });

  test('aborting a stream while the upstream is silent closes the upstream connection within 2 s', async () => {
    proxy.mock.enqueue({ stream: [chunk({ role: 'assistant' }), chunk({ content: 'first words' })], end: false, done: false });
    const controller = new AbortController();
    const stream = client.messages.stream(request(), { signal: controller.signal });
    await new Promise((resolve) => stream.once('text', resolve));
    const [upstream] = await proxy.mock.waitForRequests(1);
    controller.abort();
    await stream.done().catch(() => {});

    await withTimeout(upstream.closed, 2000, 'the upstream connection closing');
  });

  test('aborting a non-streaming request closes the upstream connection within 2 s', async () => {
    proxy.mock.enqueue({ hang: true });
    const controller = new AbortController();
    const pending = client.messages.create(request(), { signal: controller.signal });
    const [upstream] = await proxy.mock.waitForRequests(1);
    controller.abort();
    await rejectsWith(pending, Anthropic.APIUserAbortError);

    await withTimeout(upstream.closed, 2000, 'the upstream connection closing');
  });

  test('ccgate keeps serving after aborted requests', async () => {
    const message = await client.messages.create(request());
    assert.equal(message.type, 'message');
  });
});
