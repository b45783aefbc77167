// The fault suite, upstream faults (the proxy door): each fault of the list, on its own, for a
// streaming and a non-streaming request. The client must get a clear Anthropic error (a non-200
// error body, or a stream that ends with an `error` event, which the SDK's stream reader throws),
// never a 200 that looks finished; then nothing may be left behind (lib/fault-suite.js): fds back
// to the baseline, no process, no session dir, the upstream connection closed (never pooled
// half-read), RSS back near its baseline.

import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';

import { sleep, waitUntil } from './lib/common.js';
import { FaultBench, RELEASE_MS, assertAnthropicError, assertAnthropicStreamError, messagesBody, postMessages, runFault } from './lib/fault-suite.js';
import { chunk, completion, textStream } from './lib/mock-openai.js';

const sse = (items) => items.map((item) => (typeof item === 'string' ? item : `data: ${JSON.stringify(item)}\n\n`)).join('');
const CAPTIVE_PORTAL = '<!DOCTYPE html>\n<html><head><title>Sign in to the guest Wi-Fi</title></head><body>Accept the terms</body></html>\n';
const HUNDRED_MB = 100 * 1024 * 1024;

// Timers of a scripted fault never keep the test process alive.
const pause = (ms) => sleep(ms, { unref: true });

// Writes `piece` unless the peer is gone; waits for the socket to drain (or close).
async function send(res, piece) {
  if (res.destroyed || res.socket?.destroyed) return false;
  if (res.write(piece)) return true;
  await new Promise((resolve) => {
    res.once('drain', resolve);
    res.once('close', resolve);
  });
  return !res.destroyed;
}

const contentTypeOf = (stream) => (stream ? 'text/event-stream' : 'application/json');
const firstBytesOf = (stream) => (stream ? sse([chunk({ role: 'assistant', content: '' }), chunk({ content: 'half an ans' })]) : '{"id":"chatcmpl-cut","object":"chat.completion","choices":[{"index":0,"message":{"role":"assistant","content":"half an ans');

// The faults: how the mock upstream misbehaves (for a streaming request or not), what status a
// non-200 answer must have (when it must be one), what its message must say, and whether ccgate
// must close the upstream connection although the mock finished its answer (one it stopped
// reading cannot be pooled; one whose answer never finished is checked after every fault).
const faults = [
  {
    name: 'upstream reset before headers',
    behaviour: () => ({ destroy: true }),
    status: 502,
  },
  {
    name: 'upstream reset after headers',
    behaviour: (stream) => ({
      handler: async (req, res) => {
        res.writeHead(200, { 'content-type': contentTypeOf(stream) });
        res.flushHeaders();
        await pause(50);
        res.socket.destroy();
      },
    }),
    status: (stream) => (stream ? undefined : 502),
  },
  {
    name: 'upstream reset mid-stream',
    behaviour: (stream) =>
      stream
        ? { stream: textStream(['one ', 'two ', 'three ', 'four']), delayMs: 20, destroyAfter: 3 }
        : {
            handler: async (req, res) => {
              const text = firstBytesOf(false);
              res.writeHead(200, { 'content-type': 'application/json', 'content-length': text.length * 2 });
              res.write(text);
              await pause(50);
              res.socket.destroy();
            },
          },
    status: (stream) => (stream ? undefined : 502),
  },
  {
    name: 'upstream stall before headers',
    behaviour: () => ({ hang: true }),
    status: 504,
  },
  {
    name: 'upstream stall mid-stream',
    behaviour: (stream) => ({
      handler: async (req, res) => {
        const text = firstBytesOf(stream);
        res.writeHead(200, { 'content-type': contentTypeOf(stream), ...(stream ? {} : { 'content-length': text.length * 2 }) });
        res.write(text);
      },
    }),
    status: (stream) => (stream ? undefined : 504),
  },
  {
    name: 'upstream 500',
    behaviour: () => ({ status: 500, json: { error: { message: 'The server had an error while processing your request.', type: 'server_error', param: null, code: null } } }),
    status: 500,
    said: /The server had an error/,
  },
  {
    name: 'upstream 503',
    behaviour: () => ({ status: 503, json: { error: { message: 'The engine is currently overloaded.', type: 'server_error', param: null, code: null } } }),
    status: 529,
    said: /overloaded/,
  },
  {
    name: 'upstream malformed chunk',
    behaviour: (stream) =>
      stream
        ? { stream: [chunk({ role: 'assistant', content: '' }), chunk({ content: 'partial' }), 'data: {"choices": [{"delta": {"content": "x"\n\n', ...textStream(['rest']).slice(1)] }
        : { body: '{"id":"chatcmpl-bad","choices":[{"message":{"content":"x"}}', headers: { 'content-type': 'application/json' } },
    status: (stream) => (stream ? undefined : 502),
    closes: (stream) => stream,
  },
  {
    name: 'upstream 100 MB error body',
    behaviour: () => ({
      handler: async (req, res) => {
        const open = '{"error":{"type":"server_error","message":"a very long story: ';
        const close = '"}}';
        res.writeHead(500, { 'content-type': 'application/json', 'content-length': HUNDRED_MB });
        const piece = 'x'.repeat(1024 * 1024);
        if (!(await send(res, open))) return;
        for (let written = open.length; written < HUNDRED_MB - close.length; written += piece.length) {
          if (!(await send(res, piece.slice(0, Math.min(piece.length, HUNDRED_MB - close.length - written))))) return;
        }
        res.end(close);
      },
    }),
    status: 500,
    said: /HTTP 500/,
  },
  {
    name: 'upstream HTML body with status 200',
    behaviour: () => ({ body: CAPTIVE_PORTAL, headers: { 'content-type': 'text/html; charset=utf-8' } }),
    status: 502,
  },
  {
    name: 'upstream slow drip of one byte a second',
    behaviour: (stream) => ({
      handler: async (req, res) => {
        const text = stream ? firstBytesOf(true) + sse(textStream(['dripping']).slice(1)) : JSON.stringify(completion({ content: 'dripping' }));
        res.writeHead(200, { 'content-type': contentTypeOf(stream), ...(stream ? {} : { 'content-length': text.length }) });
        res.flushHeaders();
        // The first event whole (the stream begins), then one byte a second.
        let at = stream ? firstBytesOf(true).length : 0;
        if (at && !(await send(res, text.slice(0, at)))) return;
        for (; at < text.length; at++) {
          await pause(1000);
          if (!(await send(res, text[at]))) return;
        }
        res.end();
      },
    }),
    status: (stream) => (stream ? undefined : 504),
  },
  {
    name: 'upstream slow drip of its response head',
    behaviour: () => ({
      handler: async (req, res) => {
        const head = 'HTTP/1.1 200 OK\r\ncontent-type: application/json\r\ncontent-length: 2\r\n\r\n{}';
        for (const byte of head) {
          if (res.socket.destroyed) return;
          res.socket.write(byte);
          await pause(1000);
        }
      },
    }),
    status: 504,
  },
];

const valueFor = (value, stream) => (typeof value === 'function' ? value(stream) : value);

describe('fault suite: upstream faults on the proxy door', () => {
  let bench;
  let first;

  before(async () => {
    bench = await FaultBench.start();
    // Warm: both modes served once (the allocator, the upstream pool), then the first baseline.
    for (const stream of [false, true]) {
      const warm = await postMessages(bench, messagesBody({ stream }));
      assert.equal(warm.status, 200, warm.text.slice(0, 300));
    }
    first = await bench.baseline();
  });
  after(() => bench?.stop());

  for (const fault of faults) {
    for (const stream of [false, true]) {
      const name = `${fault.name} (${stream ? 'streaming' : 'not streaming'})`;
      test(name, async (t) => {
        let records = [];
        await runFault(t, bench, name, async () => {
          bench.upstream.reset();
          // Several, for a client that resends once on a fresh connection when a pooled one failed.
          bench.upstream.enqueue(fault.behaviour(stream), fault.behaviour(stream));
          const outcome = await postMessages(bench, messagesBody({ stream }), { timeoutMs: 15_000 });
          records = [...bench.upstream.requests];
          const status = valueFor(fault.status, stream);
          const seen = stream ? await assertAnthropicStreamError(outcome) : assertAnthropicError(outcome);
          if (status) assert.equal(outcome.status, status, `status: ${seen}`);
          if (fault.said) assert.match(seen, fault.said);
          assert.ok(records.length >= 1, 'the request reached the upstream');
          return { seen, answeredMs: outcome.ms };
        });
        if (valueFor(fault.closes, stream)) {
          await waitUntil(() => records.every((r) => r.socketClosed), RELEASE_MS, 'ccgate closing the faulty upstream connection (not pooling it)');
        }
      });
    }
  }

  test('after every upstream fault: back to the first baseline, and still serving', async (t) => {
    const since = await bench.nothingLeftBehind(first, { what: 'after all upstream faults' });
    bench.upstream.reset();
    const served = await postMessages(bench, messagesBody());
    assert.equal(served.status, 200, served.text.slice(0, 300));
    assert.equal(JSON.parse(served.text).content[0].text, 'Hello from the mock upstream.');
    t.diagnostic(`since the first baseline: fds Δ ${JSON.stringify(since.delta)}`);
    await bench.stop({ check: true });
  });
});
