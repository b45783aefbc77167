// Measures what a ccgate binary does with the proxy-door faults of issue 8 (bad requests,
// upstreams answering 200 with something else, long or broken SSE lines), for the before/after
// table: status codes, what reached the upstream, first bytes, time to release, RSS and CPU.
// Not a test: prints one line per case.
//
//   CCGATE_BIN=/path/to/ccgate node tests/e2e/tools/probe-proxy-faults.mjs

import fs from 'node:fs';

import { ProxyFixture, sleep, user } from '../lib/harness.js';
import { completion, textStream } from '../lib/mock-openai.js';
import { rssKiB } from '../lib/probes.js';

const valid = { model: 'claude-sonnet-4-6', max_tokens: 256, messages: [user('hi')] };

function cpuMs(pid) {
  const fields = fs.readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1].split(' ');
  return ((Number(fields[11]) + Number(fields[12])) * 1000) / 100; // utime + stime, in ticks of 10 ms
}

function raw({ contentType, pieces, hold = false, delayMs = 0 }) {
  return {
    handler: async (req, res) => {
      res.writeHead(200, contentType ? { 'content-type': contentType } : {});
      res.flushHeaders();
      for (const piece of pieces) {
        if (res.destroyed) return;
        if (delayMs) await sleep(delayMs);
        await new Promise((resolve) => (res.write(piece) ? resolve() : res.once('drain', resolve)));
      }
      if (!hold) res.end();
    },
  };
}

async function answer(proxy, path, body) {
  const started = Date.now();
  const response = await proxy.fetch(path, {
    method: 'POST',
    headers: { 'content-type': 'application/json', 'x-api-key': 'k', 'anthropic-version': '2023-06-01' },
    body: typeof body === 'string' ? body : JSON.stringify(body),
    signal: AbortSignal.timeout(60_000),
  });
  let text = '';
  try {
    text = await response.text();
  } catch (error) {
    text = `<${error.name}>`;
  }
  const events = [...text.matchAll(/^event: (\w+)/gm)].map((m) => m[1]);
  const message = /"message":"((?:[^"\\]|\\.)*)"/.exec(text)?.[1] ?? '';
  return { status: response.status, type: response.headers.get('content-type'), events, message, ms: Date.now() - started };
}

function line(name, result, extra = '') {
  const events = result.events.length ? ` events=[${result.events.join(',')}]` : '';
  console.log(`${name.padEnd(44)} ${result.status} ${result.ms}ms${events} ${result.message.slice(0, 150)} ${extra}`);
}

const requestCases = [
  ['messages: []', { ...valid, messages: [] }],
  ['role "tool"', { ...valid, messages: [user('a'), { role: 'tool', content: 'x' }] }],
  ['content 42', { ...valid, messages: [{ role: 'user', content: 42 }] }],
  ['system 42', { ...valid, system: 42 }],
  ['tools {}', { ...valid, tools: {} }],
  ['tool without a name', { ...valid, tools: [{ input_schema: { type: 'object' } }] }],
  ['tool_choice naming no offered tool', { ...valid, tool_choice: { type: 'tool', name: 'nope' } }],
  ['tool_choice {type:"mystery"}', { ...valid, tools: [{ name: 'T', input_schema: { type: 'object' } }], tool_choice: { type: 'mystery' } }],
  ['max_tokens 10000000000000000000 (20 digits)', JSON.stringify(valid).replace('"max_tokens":256', '"max_tokens":10000000000000000000')],
  ['max_tokens 99999999999999999999', JSON.stringify(valid).replace('"max_tokens":256', '"max_tokens":99999999999999999999')],
  ['max_tokens 2^31', { ...valid, max_tokens: 2 ** 31 }],
];

let schema = { type: 'object', properties: {} };
for (let level = 2; level < 64; level += 2) schema = { type: 'object', properties: { inner: schema } };
let deep = 'x';
for (let level = 0; level < 200; level++) deep = [deep];

const proxy = await ProxyFixture.start({ env: { MAX_RETRIES: 0, MAX_RESPONSE_SIZE: 65536 } });
try {
  console.log(`binary: ${process.env.CCGATE_BIN}`);
  for (const [name, body] of requestCases) {
    proxy.mock.reset();
    const result = await answer(proxy, '/v1/messages', body);
    const sent = proxy.mock.requests[0]?.body;
    const upstream = sent ? `upstream got messages=${JSON.stringify(sent.messages).slice(0, 60)} max_tokens=${sent.max_tokens} tool_choice=${JSON.stringify(sent.tool_choice)}` : 'upstream got nothing';
    line(name, result, upstream);
  }
  proxy.mock.reset();
  line('count_tokens without model', await answer(proxy, '/v1/messages/count_tokens', { messages: [user('hi')] }));
  line('tool schema nested 64 levels', await answer(proxy, '/v1/messages', { ...valid, tools: [{ name: 'deep', input_schema: schema }] }));
  line('body nested 200 levels', await answer(proxy, '/v1/messages', { ...valid, extra: deep }));

  const streamCases = [
    ['stream answered 200 text/html', raw({ contentType: 'text/html', pieces: ['<!DOCTYPE html><html><title>Guest Wi-Fi</title></html>'] })],
    ['stream answered 200 JSON error', raw({ contentType: 'application/json', pieces: ['{"error":{"message":"model not served here"}}'] })],
    ['stream answered 200 chat.completion', { json: completion({ content: 'whole' }) }],
    ['stream, no content type, HTML body', raw({ pieces: ['<html><body>portal</body></html>'] })],
    ['stream, no content type, real SSE', raw({ pieces: textStream(['ok']).map((c) => `data: ${JSON.stringify(c)}\n\n`).concat('data: [DONE]\n\n') })],
    ['data line that is not JSON', raw({ contentType: 'text/event-stream', pieces: [`data: ${JSON.stringify(textStream(['a'])[0])}\n\n`, 'data: <html>oops</html>\n\n', ...textStream(['b']).slice(1).map((c) => `data: ${JSON.stringify(c)}\n\n`), 'data: [DONE]\n\n'] })],
  ];
  for (const [name, behaviour] of streamCases) {
    proxy.mock.reset();
    proxy.mock.enqueue(behaviour);
    line(name, await answer(proxy, '/v1/messages', { ...valid, stream: true }));
  }

  proxy.mock.reset();
  proxy.mock.enqueue({ json: completion({ content: 'a'.repeat(100_000) }) });
  line('100 KB answer, MAX_RESPONSE_SIZE=65536', await answer(proxy, '/v1/messages', valid));
} finally {
  await proxy.stop();
}

// A 32 MiB SSE line that never ends, sent in 4 KiB pieces, with the default MAX_LINE_SIZE (16 MiB).
const big = await ProxyFixture.start({ env: { MAX_RETRIES: 0 } });
try {
  const pid = big.gate.pid;
  const rssBefore = rssKiB(pid);
  const cpuBefore = cpuMs(pid);
  const piece = 'y'.repeat(4096);
  big.mock.enqueue(raw({ contentType: 'text/event-stream', pieces: ['data: {"choices":[{"delta":{"content":"', ...Array(8192).fill(piece)], hold: true }));
  const started = Date.now();
  const pending = answer(big, '/v1/messages', { ...valid, stream: true });
  const outcome = await Promise.race([pending, sleep(45_000).then(() => null)]);
  const rssAfter = rssKiB(pid);
  const cpu = cpuMs(pid) - cpuBefore;
  await Promise.race([big.mock.requests[0]?.closed, sleep(2000)]);
  const closed = big.mock.requests[0]?.socketClosed ? `after ${big.mock.requests[0].socketClosedAt - started} ms` : 'no';
  if (outcome) line('32 MiB line without end (MAX_LINE_SIZE 16 MiB)', outcome, `rss +${Math.round((rssAfter - rssBefore) / 1024)} MiB, cpu ${cpu} ms, upstream closed ${closed}`);
  else console.log(`${'32 MiB line without end (MAX_LINE_SIZE 16 MiB)'.padEnd(44)} no end after ${Date.now() - started} ms; rss +${Math.round((rssAfter - rssBefore) / 1024)} MiB, cpu ${cpu} ms, upstream closed ${closed}`);
} finally {
  await big.stop(2000);
}
process.exit(0);
