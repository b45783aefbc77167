// The fault suite's shared parts (fault-suite-*.test.js): one ccgate serving both doors with short
// limits (FaultBench), a stand-in Claude Code CLI that misbehaves on request and otherwise runs the
// real one, a client without connection reuse (so ccgate's sockets can be counted), what each
// protocol's client must see (checked on the bytes, and with the SDKs' own parsers), and the one
// "nothing left behind" check every fault ends with.

import Anthropic from '@anthropic-ai/sdk';
import { Stream as AnthropicStream } from '@anthropic-ai/sdk/streaming';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import http from 'node:http';
import OpenAI from 'openai';
import { Stream as OpenAIStream } from 'openai/streaming';

import { makeTempDir } from './ccgate.js';
import { jsonOrText, proxyDoorEnv, sleep } from './common.js';
import { cliAnswerLines, writeFakeCli } from './gateway-faults.js';
import { GATEWAY_KEY, GatewayFixture, MODEL, claudeBinary, processTable } from './gateway-harness.js';
import { MockOpenAI } from './mock-openai.js';
import { fdCounts, rssKiB } from './probes.js';

export { claudeMissing } from './gateway-harness.js';

export const SANITIZER_REPORT = /AddressSanitizer|LeakSanitizer|UndefinedBehaviorSanitizer|runtime error:/;

// How far RSS may stay above its baseline after a fault (KiB). Generous: this is the sanitizer
// build, whose allocator keeps freed memory for a while (its quarantine is made small below).
export const RSS_SLACK_KIB = 24 * 1024;

// Every fault must be released within this long after the client got its answer (or left).
export const RELEASE_MS = 10_000;

// A sleep for Promise.race: its timer does not keep the test process alive once the race is won.
export const timeout = (ms) => sleep(ms, { unref: true });

// ccgate's limits for the suite: short, so that every fault ends within seconds. A test file
// adds or overrides what its faults need.
export const SHORT_LIMITS = {
  MAX_RETRIES: 0,
  REQUEST_TIMEOUT: 1, // upstream head
  IDLE_TIMEOUT: 1.5, // upstream silence mid-body (a drip of one byte a second passes it)
  TOTAL_TIMEOUT: 2.5, // one whole upstream exchange (what ends a drip)
  PING_INTERVAL: 0.5, // pings must not hide a stalled upstream
  HEADER_TIMEOUT: 1,
  BODY_TIMEOUT: 1,
  WRITE_TIMEOUT: 1.5,
  KEEPALIVE_TIMEOUT: 1,
  TURN_TIMEOUT: 3, // long enough for a real Claude Code turn on a loaded machine
  INTERRUPT_TIMEOUT: 1,
  TOOL_CALL_TIMEOUT: 3,
  SESSION_IDLE_TIMEOUT: 1, // a conversation a fault leaves idle is ended within about 2 s
  GATEWAY_KEEPALIVE: 0.5,
  MAX_SESSIONS: 1, // a session a fault leaves busy makes the next conversation's start fail
  // A small quarantine, and freed pages given back at once: RSS shows what ccgate holds rather
  // than what the sanitizer build's allocator keeps.
  ASAN_OPTIONS: 'quarantine_size_mb=8:allocator_release_to_os_interval_ms=0',
  LOG_LEVEL: 'info',
};

// ---------- the stand-in CLI ----------

// A /bin/sh stand-in for Claude Code that misbehaves when its model (the client's `model`, passed
// as `--model=`) names a fault, and otherwise execs the pinned CLI. One ccgate can so serve the
// real CLI and every stand-in fault.
export const CLI_FAULTS = {
  exitAtStart: 'fault-exit-at-start', // exits before it reads anything
  hang: 'fault-hang', // reads its turn, then says nothing and ignores SIGINT and SIGTERM
  garbage: 'fault-garbage', // writes bytes that are not stream-json, then a broken JSON line
  hugeLine: 'fault-huge-line', // starts an answer, then writes a 20 MiB line
  noMcp: 'fault-no-mcp', // reports its MCP servers as failed (it never connected) and waits
  endless: 'fault-endless', // answers with text for ever, as fast as its stdout is read
  countBytes: 'fault-count-bytes', // answers with the size of the turn it was given
};

export const HUGE_LINE_BYTES = 20 * 1024 * 1024;

export function writeStandInCli(dir, realCli = claudeBinary) {
  const [start, block, delta] = cliAnswerLines('Hello from the stand-in. ');
  const bigDelta = cliAnswerLines('z'.repeat(16 * 1024))[2];
  const cliEvent = (event) => JSON.stringify({ type: 'stream_event', event });
  const textOpen = `{"type":"stream_event","event":{"type":"content_block_delta","index":0,"delta":{"type":"text_delta","text":"`;
  const init = JSON.stringify({
    type: 'system',
    subtype: 'init',
    tools: [],
    mcp_servers: [
      { name: 'gateway', status: 'failed' },
      { name: 'auth', status: 'failed' },
    ],
  });
  const resultOpen = '{"type":"result","subtype":"success","is_error":false,"result":"';
  const stop = [cliEvent({ type: 'content_block_stop', index: 0 }), cliEvent({ type: 'message_delta', delta: { stop_reason: 'end_turn' }, usage: { output_tokens: 4 } }), cliEvent({ type: 'message_stop' })];
  const wait = 'while :; do sleep 1; done';
  const body = `case " $* " in
*" --model=${CLI_FAULTS.exitAtStart} "*)
  exit 3 ;;
*" --model=${CLI_FAULTS.hang} "*)
  trap '' INT TERM HUP
  read -r first
  ${wait} ;;
*" --model=${CLI_FAULTS.garbage} "*)
  read -r first
  printf '\\000\\377\\033[31m not stream-json \\033[0m\\n\\n'
  echo '{"type":"assistant","message":{"content":[{"type":"text","te'
  ${wait} ;;
*" --model=${CLI_FAULTS.hugeLine} "*)
  read -r first
  echo '${start}'
  echo '${block}'
  echo '${delta}'
  printf '%s' '${textOpen}'
  head -c ${HUGE_LINE_BYTES} /dev/zero | tr '\\000' y
  printf '"}}}\\n'
  ${wait} ;;
*" --model=${CLI_FAULTS.noMcp} "*)
  read -r first
  echo '${init}'
  ${wait} ;;
*" --model=${CLI_FAULTS.endless} "*)
  read -r first
  echo '${start}'
  echo '${block}'
  while :; do echo '${bigDelta}'; done ;;
*" --model=${CLI_FAULTS.countBytes} "*)
  bytes=$(head -n 1 | wc -c)
  echo '${start}'
  echo '${block}'
  printf '%s%s%s\\n' '${textOpen}' "received $bytes bytes" '"}}}'
${stop.map((line) => `  echo '${line}'`).join('\n')}
  printf '%s%s%s\\n' '${resultOpen}' "received $bytes bytes" '"}'
  while read -r next; do :; done ;;
esac
exec '${realCli}' "$@"`;
  return writeFakeCli(dir, 'claude-stand-in', body);
}

// ---------- the bench: one ccgate, both doors ----------

// A ccgate whose proxy door talks to a MockOpenAI (`upstream`) and whose gateway door runs the
// stand-in CLI (the real Claude Code for ordinary models) against a MockAnthropic (`model`).
export class FaultBench {
  upstream;
  gateway;
  standInDir;
  loops = 2; // event loops (THREADS): each may keep one idle upstream connection in its pool
  exited = null; // how ccgate exited, once it has

  static async start({ env = {}, threads = 2 } = {}) {
    const bench = new FaultBench();
    bench.loops = threads;
    bench.standInDir = makeTempDir('ccgate-e2e-stand-in-');
    try {
      bench.upstream = await MockOpenAI.start();
      bench.gateway = await GatewayFixture.start({
        env: {
          ...proxyDoorEnv(bench.upstream),
          CLAUDE_CODE_PATH: writeStandInCli(bench.standInDir),
          THREADS: threads,
          ...SHORT_LIMITS,
          ...env,
        },
      });
    } catch (error) {
      await bench.stop().catch(() => {});
      throw error;
    }
    bench.gate.exited.then((exit) => (bench.exited = exit));
    return bench;
  }

  get gate() {
    return this.gateway.gate;
  }

  get pid() {
    return this.gate.pid;
  }

  get port() {
    return this.gate.port;
  }

  get model() {
    return this.gateway.model;
  }

  // The upstream connections open at the mocks (the proxy door's upstream, the CLIs' model).
  upstreamSockets() {
    return this.upstream.openSocketCount + this.model.openSocketCount;
  }

  // Processes ccgate started that still exist (zombies too), and any process left in its TMPDIR.
  leftoverProcesses() {
    const table = processTable();
    const byPid = new Map(table.map((p) => [p.pid, p]));
    const descends = (p) => {
      for (let up = byPid.get(p.ppid), hops = 0; up && hops < 64; up = byPid.get(up.ppid), hops++) if (up.pid === this.pid) return true;
      return false;
    };
    return table.filter((p) => p.pid !== this.pid && (descends(p) || p.cwd.startsWith(this.gateway.tmpDir)));
  }

  snapshot() {
    return { fds: fdCounts(this.pid), rss: rssKiB(this.pid), upstream: this.upstreamSockets(), at: Date.now() };
  }

  // A baseline once the bench is quiet: no session, no process, no connection but pooled ones.
  async baseline() {
    await this.nothingLeftBehind(null, { what: 'before the fault' });
    return this.snapshot();
  }

  // Everything that must hold once a fault is over, against `base` (null: only what needs no
  // baseline). Polls until it holds; fails naming what is left after `withinMs`. Returns the
  // time it took and the deltas.
  async nothingLeftBehind(base, { what, withinMs = RELEASE_MS, rssSlackKiB = RSS_SLACK_KIB } = {}) {
    const started = Date.now();
    let problems = [];
    for (;;) {
      // A crash or a sanitizer report is the fault's, whatever else holds.
      assert.equal(this.exited, null, `${what}: ccgate exited (${JSON.stringify(this.exited)})\n--- ccgate ---\n${this.gateway.log(4000)}`);
      assert.doesNotMatch(this.gate.stderr, SANITIZER_REPORT, `${what}: a sanitizer report\n--- ccgate ---\n${this.gateway.log(8000)}`);
      problems = this.#leftBehind(base, rssSlackKiB);
      if (problems.length === 0) break;
      if (Date.now() - started > withinMs) {
        assert.fail(`${what}: still there ${withinMs} ms later:\n  ${problems.join('\n  ')}\n--- ccgate ---\n${this.gateway.log(4000)}`);
      }
      await sleep(25);
    }
    const now = this.snapshot();
    const delta = base && {
      pipe: now.fds.pipe - base.fds.pipe,
      pidfd: now.fds.pidfd - base.fds.pidfd,
      socket: now.fds.socket - base.fds.socket,
      other: now.fds.other - base.fds.other,
      rssKiB: now.rss - base.rss,
      upstream: now.upstream - base.upstream,
    };
    return { releasedMs: Date.now() - started, delta, now };
  }

  #leftBehind(base, rssSlackKiB) {
    const problems = [];
    const processes = this.leftoverProcesses();
    if (processes.length) problems.push(`processes: ${processes.map((p) => `${p.pid} ${p.state} ${p.cmdline.slice(0, 80)}`).join('; ')}`);
    const dirs = this.gateway.sessionDirs();
    if (dirs.length) problems.push(`session dirs: ${dirs.join(', ')}`);
    const upstream = this.upstreamSockets();
    const fds = fdCounts(this.pid);
    if (this.model.openSocketCount > 0) problems.push(`${this.model.openSocketCount} model connection(s) open`);
    // An upstream connection whose response never finished must be closed, not kept or pooled.
    const held = [...this.upstream.requests, ...this.model.requests].filter((r) => !r.finished && !r.socketClosed);
    if (held.length) problems.push(`${held.length} upstream connection(s) held with an unfinished response: ${held.map((r) => r.path).join(', ')}`);
    // Each event loop may pool one idle upstream connection; none may be held for a request.
    const pooled = Math.max(base?.upstream ?? 0, this.loops);
    if (this.upstream.openSocketCount > pooled) problems.push(`${this.upstream.openSocketCount} upstream connection(s) open (at most ${pooled} pooled)`);
    if (base) {
      for (const kind of ['pipe', 'pidfd', 'other']) if (fds[kind] > base.fds[kind]) problems.push(`${kind} fds ${base.fds[kind]} → ${fds[kind]}`);
      // Sockets other than upstream connections: listeners and client connections.
      if (fds.socket - upstream > base.fds.socket - base.upstream) problems.push(`client-side sockets ${base.fds.socket - base.upstream} → ${fds.socket - upstream}`);
      const rss = rssKiB(this.pid);
      if (rss - base.rss > rssSlackKiB) problems.push(`RSS ${base.rss} → ${rss} KiB`);
    }
    return problems;
  }

  // Reports one fault's row as a test diagnostic (the table in RELIABILITY.md).
  record(t, row) {
    const d = row.after.delta;
    t.diagnostic(
      `fault ${row.fault} | ${row.seen.slice(0, 200)} | answered in ${row.answeredMs ?? '-'} ms | released ${row.after.releasedMs} ms later | ` +
        `fds Δ pipe ${d.pipe} pidfd ${d.pidfd} socket ${d.socket} other ${d.other} | RSS Δ ${d.rssKiB} KiB`,
    );
  }

  // Stops ccgate (SIGTERM) and asserts it exited cleanly with no sanitizer report.
  async stop({ check = false } = {}) {
    if (this.stopped) return this.stopped;
    this.stopped = this.#stop(check);
    return this.stopped;
  }

  async #stop(check) {
    const exit = await this.gateway?.stop(); // how it exited, even if that was before
    await this.upstream?.close();
    if (this.standInDir) fs.rmSync(this.standInDir, { recursive: true, force: true });
    if (check && exit) {
      assert.doesNotMatch(this.gate.stderr, SANITIZER_REPORT, 'a sanitizer report');
      assert.deepEqual(exit, { code: 0, signal: null }, 'ccgate exited by itself, with 0');
    }
    return exit;
  }
}

// Runs one fault as the suite does: the baseline, the fault (`provoke` returns { seen,
// answeredMs? } once the client has its answer or has left), then the one after-check, recorded.
export async function runFault(t, bench, name, provoke, { withinMs, rssSlackKiB } = {}) {
  const base = await bench.baseline();
  const started = Date.now();
  let outcome;
  try {
    outcome = await provoke(base);
  } catch (error) {
    error.message += `\n--- ccgate ---\n${bench.gateway.log(4000)}`;
    throw error;
  }
  const after = await bench.nothingLeftBehind(base, { what: `after "${name}"`, withinMs, rssSlackKiB });
  bench.record(t, { fault: name, seen: outcome.seen, answeredMs: outcome.answeredMs ?? Date.now() - started - after.releasedMs, after });
  return { outcome, after };
}

// ---------- a client without connection reuse ----------

// One request on its own connection (`Connection: close`, no agent), read to its end: { status,
// headers, text, ms, cut (the connection ended before the response did), timedOut }. `progress`
// (if given) is an object that gets the `status` and a `text` that grows as the response arrives.
export function exchange(port, { method = 'POST', path: requestPath, headers = {}, body = '', timeoutMs = 30_000, progress } = {}) {
  return new Promise((resolve) => {
    const started = Date.now();
    const payload = typeof body === 'string' || Buffer.isBuffer(body) ? body : JSON.stringify(body);
    const chunks = [];
    let status = 0;
    let responseHeaders = {};
    let settled = false;
    let timedOut = false;
    const finish = (extra) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      resolve({ status, headers: responseHeaders, text: Buffer.concat(chunks).toString('utf8'), ms: Date.now() - started, timedOut, ...extra });
    };
    const request = http.request({
      host: '127.0.0.1',
      port,
      method,
      path: requestPath,
      agent: false,
      headers: { connection: 'close', 'content-length': Buffer.byteLength(payload), ...headers },
    });
    const timer = setTimeout(() => {
      timedOut = true;
      request.destroy(new Error(`no whole answer within ${timeoutMs} ms`));
    }, timeoutMs);
    request.on('response', (response) => {
      status = response.statusCode;
      responseHeaders = response.headers;
      if (progress) progress.status = status;
      response.on('data', (chunk) => {
        chunks.push(chunk);
        if (progress) progress.text = (progress.text ?? '') + chunk.toString('utf8');
      });
      response.on('close', () => finish({ cut: !response.complete }));
      response.on('error', () => {});
    });
    request.on('error', (error) => finish({ cut: true, error: error.message }));
    request.end(payload);
  });
}

export const anthropicHeaders = { 'content-type': 'application/json', 'anthropic-version': '2023-06-01', 'x-api-key': 'sk-client-test' };
export const openaiHeaders = { 'content-type': 'application/json', authorization: `Bearer ${GATEWAY_KEY}` };

export const messagesBody = (extra = {}) => ({ model: 'claude-sonnet-4-6', max_tokens: 256, messages: [{ role: 'user', content: 'hi' }], ...extra });
export const chatBody = (text, extra = {}) => ({ model: MODEL, messages: [{ role: 'user', content: text }], ...extra });

export const postMessages = (bench, body, options = {}) => exchange(bench.port, { path: '/v1/messages', headers: anthropicHeaders, body, ...options });
export const postChat = (bench, body, options = {}) => exchange(bench.port, { path: '/v1/chat/completions', headers: openaiHeaders, body, ...options });

// The request heads of both doors, as a raw client writes them.
export function rawHead(door, port, contentLength) {
  const [requestPath, headers] = door === 'proxy' ? ['/v1/messages', anthropicHeaders] : ['/v1/chat/completions', openaiHeaders];
  const lines = Object.entries(headers).map(([name, value]) => `${name}: ${value}\r\n`);
  return `POST ${requestPath} HTTP/1.1\r\nHost: 127.0.0.1:${port}\r\n${lines.join('')}content-length: ${contentLength}\r\n\r\n`;
}

// ---------- what each protocol's client must see ----------

// The SSE events of a response text: [{ event, data (parsed when JSON) }].
export function sseEvents(text) {
  const events = [];
  for (const block of text.split(/\r?\n\r?\n/)) {
    let event = null;
    const data = [];
    for (const line of block.split(/\r?\n/)) {
      if (line.startsWith('event:')) event = line.slice(6).trim();
      else if (line.startsWith('data:')) data.push(line.slice(5).replace(/^ /, ''));
    }
    if (event !== null || data.length) events.push({ event, data: jsonOrText(data.join('\n')) });
  }
  return events;
}

// What the SDK's own stream reader makes of `text`: the error it throws (or null) and the
// events it yielded.
async function sdkReads(Stream, text, headers) {
  const response = new Response(text, { headers: { 'content-type': 'text/event-stream', ...headers } });
  const items = [];
  try {
    for await (const item of Stream.fromSSEResponse(response, new AbortController())) items.push(item);
    return { error: null, items };
  } catch (error) {
    return { error, items };
  }
}

function assertAnswered(outcome) {
  assert.ok(!outcome.timedOut, `the client got no whole answer within its timeout (status ${outcome.status}): ${outcome.text.slice(0, 300)}`);
  assert.ok(outcome.status > 0, `the client got no answer at all: ${outcome.error ?? 'the connection closed'}`);
}

// A non-200 Anthropic error: { type: "error", error: { type, message } }, as the SDK classes it.
export function assertAnthropicError(outcome, { status } = {}) {
  assertAnswered(outcome);
  assert.ok(outcome.status >= 400, `a clear error, not ${outcome.status}: ${outcome.text.slice(0, 300)}`);
  if (status) assert.equal(outcome.status, status, outcome.text.slice(0, 300));
  assert.match(outcome.headers['content-type'] ?? '', /application\/json/);
  assert.ok(!outcome.cut, 'the error body arrived whole');
  const body = JSON.parse(outcome.text);
  assert.equal(body.type, 'error', outcome.text.slice(0, 300));
  assert.equal(typeof body.error?.type, 'string', outcome.text.slice(0, 300));
  assert.ok(body.error.message?.length > 0, 'the error says what happened');
  const sdkError = Anthropic.APIError.generate(outcome.status, body, undefined, new Headers(outcome.headers));
  assert.ok(sdkError instanceof Anthropic.APIError);
  return `${outcome.status} ${body.error.type} (${sdkError.constructor.name}): ${body.error.message}`;
}

// A stream that ends in an Anthropic `error` event (no message_stop anywhere), which the SDK's
// stream reader throws; or, when the failure came before any event, a non-200 error.
export async function assertAnthropicStreamError(outcome) {
  assertAnswered(outcome);
  if (outcome.status !== 200) return assertAnthropicError(outcome);
  const events = sseEvents(outcome.text).filter((e) => e.event !== 'ping');
  const names = events.map((e) => e.event);
  assert.ok(!names.includes('message_stop'), `no message_stop after a failure: ${names.join(', ')}`);
  const last = events.at(-1);
  assert.equal(last?.event, 'error', `the stream ends with an error event: ${names.join(', ')}`);
  assert.equal(last.data.type, 'error');
  assert.ok(last.data.error?.message?.length > 0, JSON.stringify(last.data));
  const { error } = await sdkReads(AnthropicStream, outcome.text, outcome.headers);
  assert.ok(error instanceof Anthropic.APIError, `the SDK's stream reader throws an APIError, not ${error}`);
  return `200 stream [${names.slice(0, 3).join(',')}…] then error ${last.data.error.type} (SDK throws ${error.constructor.name}): ${last.data.error.message}`;
}

// A non-200 OpenAI error: { error: { message, type, param, code } }, as the SDK classes it.
export function assertOpenAIError(outcome, { status } = {}) {
  assertAnswered(outcome);
  assert.ok(outcome.status >= 400, `a clear error, not ${outcome.status}: ${outcome.text.slice(0, 300)}`);
  if (status) assert.equal(outcome.status, status, outcome.text.slice(0, 300));
  assert.match(outcome.headers['content-type'] ?? '', /application\/json/);
  assert.ok(!outcome.cut, 'the error body arrived whole');
  const body = JSON.parse(outcome.text);
  assert.ok(body.error?.message?.length > 0, outcome.text.slice(0, 300));
  assert.equal(typeof body.error.type, 'string');
  assert.ok('param' in body.error && 'code' in body.error, `OpenAI's error shape: ${outcome.text.slice(0, 300)}`);
  const sdkError = OpenAI.APIError.generate(outcome.status, body, undefined, new Headers(outcome.headers));
  assert.ok(sdkError instanceof OpenAI.APIError);
  return `${outcome.status} ${body.error.type} (${sdkError.constructor.name}): ${body.error.message}`;
}

// A chat stream that carries an error chunk, which the SDK's stream reader throws, and no
// finish_reason (a stream that looks finished); or a non-200 error when nothing was streamed.
export async function assertOpenAIStreamError(outcome) {
  assertAnswered(outcome);
  if (outcome.status !== 200) return assertOpenAIError(outcome);
  const data = sseEvents(outcome.text).map((e) => e.data);
  const errorAt = data.findIndex((d) => typeof d === 'object' && d?.error);
  assert.ok(errorAt >= 0, `an error chunk: ${JSON.stringify(data).slice(-400)}`);
  const finishes = data.flatMap((d) => d?.choices ?? []).filter((c) => c.finish_reason);
  assert.deepEqual(finishes, [], 'no finish_reason: the answer was not finished');
  assert.ok(data.slice(errorAt + 1).every((d) => d === '[DONE]'), `nothing but [DONE] after the error: ${JSON.stringify(data.slice(errorAt + 1))}`);
  const { error } = await sdkReads(OpenAIStream, outcome.text, outcome.headers);
  assert.ok(error instanceof OpenAI.APIError, `the SDK's stream reader throws an APIError, not ${error}`);
  const text = data.flatMap((d) => d?.choices ?? []).map((c) => c.delta?.content ?? '').join('');
  return `200 stream (${text.length} chars of content) then an error chunk (SDK throws ${error.constructor.name}): ${data[errorAt].error.message}`;
}

// The test process's soft and hard open-files limits.
export function openFilesLimit(pid = 'self') {
  const match = /Max open files\s+(\d+|unlimited)\s+(\d+|unlimited)/.exec(fs.readFileSync(`/proc/${pid}/limits`, 'utf8'));
  const value = (text) => (text === 'unlimited' ? Infinity : Number(text));
  return { soft: value(match[1]), hard: value(match[2]) };
}
