// The faults the soak injects at a steady rate, each with what a careful server must do about
// it. A verdict is one of:
//   expected       the client got a clear error in its own protocol (or, where the fault
//                  allows it, the right answer); that what it held is let go is judged by
//                  the series and the release check
//   fake_success   the client was told all went well, but the answer is cut, altered or wrong
//   unclear_error  it failed, but not with an error of the client's protocol
//   not_released   the server kept holding what the fault took (a connection, a stream) past
//                  the bound its settings promise
//   hung           no answer within the bound its settings promise
// `needs` names the setting a fault relies on (issue 8's), so a failure says what is missing.

import http from 'node:http';
import net from 'node:net';
import { directive } from './bodies.mjs';
import { bodyHeaders, errorStatus, exchange, isAnthropicError, isOpenAiError, parseJson } from './soak-http.mjs';
import {
  chat,
  checkStubText,
  checkToolCall,
  gatewayHeaders,
  gatewayModel,
  mockDeltaText,
  proxyBody,
  proxyHeaders,
  randomInt,
  readAnthropicStream,
  readChatCompletion,
  readChatStream,
  stubTextPattern,
  toolName,
  tools,
} from './soak-traffic.mjs';
import { sleep } from './stats.mjs';

const verdict = (name, detail = '', figure) => ({ verdict: name, detail: String(detail).slice(0, 300), figure });
const expected = (detail, figure) => verdict('expected', detail, figure);

const seconds = (ms) => `${(ms / 1000).toFixed(1)} s`;

// ---- how each door must fail -------------------------------------------------------------

// Proxy door: an Anthropic error status before the stream, or a stream that ends with an
// error event and never says message_stop. `prefix`: text the stream must have delivered
// first, unaltered, when it got that far.
function judgeAnthropicFailure(result, { prefix = '' } = {}) {
  if (result.error === 'timeout') return verdict('hung', `no answer in ${seconds(result.ms)}`);
  if (result.status === undefined) return verdict('unclear_error', `connection ${result.error}`);
  if (result.status !== 200)
    return errorStatus(result, isAnthropicError)
      ? expected(`${result.status} ${parseJson(result.text).error.type}`, result.ms)
      : verdict('unclear_error', `${result.status} ${String(result.text).slice(0, 120)}`);
  if (!String(result.headers?.['content-type']).startsWith('text/event-stream'))
    return verdict('fake_success', `200 ${result.headers?.['content-type']}: ${String(result.text).slice(0, 120)}`);
  const read = readAnthropicStream(result.text ?? '');
  if (read.stopped) return verdict('fake_success', `message_stop after ${read.text.length} bytes of text`);
  if (!read.text.startsWith(prefix.slice(0, read.text.length)))
    return verdict('fake_success', 'the text delivered before the error is altered');
  if (read.error && isAnthropicError(read.error)) return expected(`200 then error event ${read.error.error.type}`, result.ms);
  return verdict('unclear_error', `stream ended without an error event (${result.error ?? 'closed'})`);
}

// Gateway door: an OpenAI error status, or a stream whose last chunk is an error object,
// never finish_reason "stop".
function judgeOpenAiFailure(result, streamed) {
  if (result.error === 'timeout') return verdict('hung', `no answer in ${seconds(result.ms)}`);
  if (result.status === undefined) return verdict('unclear_error', `connection ${result.error}`);
  if (result.status !== 200)
    return errorStatus(result, isOpenAiError)
      ? expected(`${result.status} ${parseJson(result.text).error.type ?? ''}`, result.ms)
      : verdict('unclear_error', `${result.status} ${String(result.text).slice(0, 120)}`);
  if (!streamed) return verdict('fake_success', `200 ${String(result.text).slice(0, 160)}`);
  const read = readChatStream(result.text ?? '');
  if (read.finish === 'stop' || read.finish === 'length') return verdict('fake_success', `finish_reason ${read.finish}`);
  if (read.error && isOpenAiError(read.error)) return expected('200 then error chunk', result.ms);
  return verdict('unclear_error', `stream ended without an error chunk (${result.error ?? 'closed'})`);
}

// ---- clients that misbehave ---------------------------------------------------------------

// Opens a streamed request and hands each piece of the answer to onData(state, request,
// response); resolves when the request is over (or was destroyed). onSent(request) runs once
// the request is sent.
function streamRequest(ctx, path, headers, body, onData, timeoutMs, onSent = () => {}) {
  return new Promise((resolve) => {
    const state = { status: undefined, received: '', ended: false, error: null };
    const request = http.request(
      { host: '127.0.0.1', port: ctx.ccgate.port, path, method: 'POST', headers: bodyHeaders(headers, body) },
      (response) => {
        state.status = response.statusCode;
        response.on('data', (piece) => {
          state.received += piece.toString();
          onData(state, request, response);
        });
        response.on('end', () => {
          state.ended = true;
          resolve(state);
        });
        response.on('aborted', () => resolve(state));
        response.on('error', () => resolve(state));
      },
    );
    request.on('error', (error) => {
      state.error = error.code ?? error.message;
      resolve(state);
    });
    request.on('close', () => resolve(state));
    setTimeout(() => {
      request.destroy();
      resolve(state);
    }, timeoutMs);
    request.end(body);
    onSent(request);
  });
}

// The phases a client leaves at: 1, 3 or 50 ms after sending (while the server is still
// starting the exchange: an upstream request, a CLI), right after the response head, or once
// some content has arrived.
const leavingPhases = ['sent+1ms', 'sent+3ms', 'sent+50ms', 'after-head', 'mid-stream'];

// Leaves a streamed answer at `phase`; mid-stream means once `count` content pieces arrived.
// `mayEnd`: the answer may be over by then (a tool call's turn ends right after its call).
async function leaveMidStream(ctx, path, headers, body, isContent, count, phase, mayEnd = false) {
  let timer = null;
  const state = await streamRequest(
    ctx,
    path,
    headers,
    body,
    (current, request) => {
      if (phase === 'after-head' || isContent(current.received) >= count) request.destroy();
    },
    30_000,
    (request) => {
      if (phase.startsWith('sent+')) timer = setTimeout(() => request.destroy(), parseInt(phase.slice(5), 10));
    },
  );
  clearTimeout(timer);
  if (phase.startsWith('sent+')) return expected(`left ${phase.slice(5)} after sending`);
  if (state.status !== 200) return verdict('unclear_error', `status ${state.status} ${state.error ?? ''}`);
  if (state.ended && !mayEnd) return verdict('unclear_error', 'the stream ended before the client left');
  return expected(phase === 'after-head' ? 'left after the head' : `left after ${count} deltas`);
}

const anthropicDeltas = (text) => text.split('event: content_block_delta').length - 1;
const chatDeltas = (text) => text.split('"content":"').length - 1;

// Reads until the answer has started, then stops reading (the socket is paused, so the
// kernel's buffers fill and the server's writes block). After `holdMs` it reads again: a
// server that dropped the stalled client closes the stream at once; one that did not keeps
// sending.
async function stopReading(ctx, path, headers, body, holdMs) {
  let pausedAt = null;
  let resumedAt = null;
  let closedAfterResume = null;
  let bytes = 0;
  const state = await new Promise((resolve) => {
    const request = http.request(
      { host: '127.0.0.1', port: ctx.ccgate.port, path, method: 'POST', headers: bodyHeaders(headers, body) },
      (response) => {
        const finish = (how) => {
          if (resumedAt !== null && closedAfterResume === null) closedAfterResume = performance.now() - resumedAt;
          resolve({ status: response.statusCode, how });
        };
        response.on('data', (piece) => {
          bytes += piece.length;
          if (pausedAt !== null) return;
          pausedAt = performance.now();
          response.pause();
          setTimeout(() => {
            resumedAt = performance.now();
            response.resume();
            setTimeout(() => {
              request.destroy();
              resolve({ status: response.statusCode, how: 'still sending' });
            }, 1500);
          }, holdMs);
        });
        response.on('end', () => finish('ended'));
        response.on('aborted', () => finish('dropped'));
        response.on('error', () => finish('dropped'));
      },
    );
    request.on('error', (error) => resolve({ how: error.code ?? error.message }));
    request.end(body);
  });
  const mib = (bytes / 2 ** 20).toFixed(1);
  if (state.status !== 200) return verdict('unclear_error', `status ${state.status} ${state.how}`);
  if (state.how === 'dropped') return expected(`dropped; ${mib} MiB read after the stall`, closedAfterResume);
  if (state.how === 'ended') return verdict('not_released', `the answer went on to its end after the stall (${mib} MiB)`);
  return verdict('not_released', `still sending ${seconds(holdMs)} after the client stopped reading (${mib} MiB)`);
}

// Sends the request head one header line per second and never finishes it (or, `stallBody`,
// sends the whole head and 4 KB of a 64 KB body, then nothing). The server must close the
// connection within its header (body) timeout.
async function slowloris(ctx, path, headers, boundMs, giveUpMs, stallBody = false) {
  const socket = net.connect(ctx.ccgate.port, '127.0.0.1');
  const started = performance.now();
  let answer = '';
  const closed = new Promise((resolve) => {
    socket.on('data', (piece) => (answer += piece.toString()));
    socket.on('close', () => resolve(performance.now() - started));
    socket.on('error', () => {});
  });
  let line = 0;
  let drip = null;
  if (stallBody) {
    const head = Object.entries({ ...headers, host: `127.0.0.1:${ctx.ccgate.port}`, 'content-length': 65536 })
      .map(([name, value]) => `${name}: ${value}\r\n`)
      .join('');
    socket.write(`POST ${path} HTTP/1.1\r\n${head}\r\n{"model":"x","messages":[{"role":"user","content":"${'z'.repeat(4000)}`);
  } else {
    socket.write(`POST ${path} HTTP/1.1\r\nHost: 127.0.0.1:${ctx.ccgate.port}\r\n`);
    drip = setInterval(() => socket.writable && socket.write(`X-Slow-${line++}: y\r\n`), 1000);
  }
  const closedAfter = await Promise.race([closed, sleep(giveUpMs).then(() => null)]);
  clearInterval(drip);
  socket.destroy();
  const status = answer.match(/^HTTP\/1\.1 (\d+)/)?.[1];
  if (closedAfter === null) return verdict('not_released', `still open after ${seconds(giveUpMs)}`, giveUpMs);
  if (closedAfter > boundMs) return verdict('not_released', `closed after ${seconds(closedAfter)} (bound ${seconds(boundMs)})`, closedAfter);
  return expected(`closed after ${seconds(closedAfter)}${status ? ` with ${status}` : ''}`, closedAfter);
}

// Announces a body, sends a part of it and leaves.
async function leaveMidBody(ctx, path, headers) {
  const socket = net.connect(ctx.ccgate.port, '127.0.0.1');
  let answer = '';
  socket.on('data', (piece) => (answer += piece.toString()));
  socket.on('error', () => {});
  await new Promise((resolve) => socket.once('connect', resolve).once('error', resolve));
  const head = Object.entries({ ...headers, host: `127.0.0.1:${ctx.ccgate.port}`, 'content-length': 65536 })
    .map(([name, value]) => `${name}: ${value}\r\n`)
    .join('');
  socket.write(`POST ${path} HTTP/1.1\r\n${head}\r\n{"model":"x","messages":[{"role":"user","content":"${'y'.repeat(4000)}`);
  await sleep(300);
  socket.destroy();
  if (/^HTTP\/1\.1 2/.test(answer)) return verdict('fake_success', `answered ${answer.slice(0, 40)} to half a body`);
  return expected('left after 4 KB of 64 KB');
}

// ---- the faults -----------------------------------------------------------------------------

const proxyPath = '/v1/messages';
const gatewayPath = '/v1/chat/completions';

async function proxyCall(ctx, mock, { stream, timeoutMs }) {
  return exchange({
    port: ctx.ccgate.port,
    path: proxyPath,
    headers: proxyHeaders(ctx),
    body: proxyBody(`${directive(mock)} soak fault ${ctx.nextNumber()}`, { stream }),
    agent: ctx.agent,
    timeoutMs,
  });
}

async function gatewayCall(ctx, fake, { stream, timeoutMs, withTools = false }) {
  const tag = ctx.nextNumber();
  const body = {
    model: gatewayModel,
    stream,
    ...(withTools ? { tools } : {}),
    messages: [{ role: 'user', content: `FAKE[${fake};tag=${tag}] soak fault ${tag}` }],
  };
  const result = await exchange({
    port: ctx.ccgate.port,
    path: gatewayPath,
    headers: gatewayHeaders(ctx),
    body: JSON.stringify(body),
    agent: ctx.agent,
    timeoutMs,
  });
  return { result, tag };
}

// Faults at a steady rate, one after the other in this order; `i` counts the runs of a fault,
// so a fault alternates its variants (streamed or not, which door).
export const faults = [
  {
    name: 'client-gone-mid-stream',
    door: 'proxy',
    run: (ctx, i) =>
      leaveMidStream(
        ctx,
        proxyPath,
        proxyHeaders(ctx),
        proxyBody(`${directive({ chunks: 100, interval_ms: 20 })} soak fault ${ctx.nextNumber()}`, { stream: true }),
        anthropicDeltas,
        2,
        leavingPhases[i % leavingPhases.length],
      ),
  },
  {
    name: 'client-gone-mid-turn',
    door: 'gateway',
    // Every sixth time the turn is a tool call, and the client leaves while the CLI is in its
    // MCP calls (approval, then the tool call that waits for the client's result).
    run: (ctx, i) => {
      const toolTurn = i % 6 === 5;
      const fake = toolTurn ? `FAKE[tool=${toolName};lines=2]` : 'FAKE[lines=200;interval_us=10000]';
      return leaveMidStream(
        ctx,
        gatewayPath,
        gatewayHeaders(ctx),
        JSON.stringify({
          model: gatewayModel,
          stream: true,
          ...(toolTurn ? { tools } : {}),
          messages: [{ role: 'user', content: `${fake} soak fault ${ctx.nextNumber()}` }],
        }),
        toolTurn ? (text) => text.split('"tool_calls"').length - 1 : chatDeltas,
        toolTurn ? 1 : 2,
        toolTurn ? 'mid-stream' : leavingPhases[i % 6],
        toolTurn,
      );
    },
  },
  {
    name: 'client-gone-mid-body',
    door: 'both',
    run: (ctx, i) =>
      i % 2 ? leaveMidBody(ctx, gatewayPath, gatewayHeaders(ctx)) : leaveMidBody(ctx, proxyPath, proxyHeaders(ctx)),
  },
  {
    name: 'client-stops-reading',
    door: 'proxy',
    needs: 'WRITE_TIMEOUT',
    run: (ctx) =>
      stopReading(
        ctx,
        proxyPath,
        proxyHeaders(ctx),
        proxyBody(`${directive({ chunks: 200000, chunk_bytes: 4096, interval_us: 500 })} soak fault ${ctx.nextNumber()}`, {
          stream: true,
        }),
        ctx.settings.writeTimeoutS * 1000 + 4000,
      ),
  },
  {
    name: 'client-stops-reading-turn',
    door: 'gateway',
    needs: 'WRITE_TIMEOUT',
    run: (ctx) =>
      stopReading(
        ctx,
        gatewayPath,
        gatewayHeaders(ctx),
        JSON.stringify({
          model: gatewayModel,
          stream: true,
          messages: [{ role: 'user', content: `FAKE[lines=6000;chunk_bytes=1024] soak fault ${ctx.nextNumber()}` }],
        }),
        ctx.settings.writeTimeoutS * 1000 + 4000,
      ),
  },
  {
    name: 'slowloris',
    door: 'both',
    needs: 'HEADER_TIMEOUT, BODY_TIMEOUT',
    // A head dripped on either door; every third time, a body that stalls after 4 KB.
    run: (ctx, i) =>
      i % 3 === 2
        ? slowloris(ctx, proxyPath, proxyHeaders(ctx), ctx.settings.bodyTimeoutS * 1000 + 4000, 35_000, true)
        : slowloris(ctx, i % 3 ? gatewayPath : proxyPath, {}, ctx.settings.headerTimeoutS * 1000 + 4000, 35_000),
  },
  {
    name: 'upstream-reset-before-head',
    door: 'proxy',
    run: async (ctx, i) => judgeAnthropicFailure(await proxyCall(ctx, { reset: 1 }, { stream: i % 2 === 1, timeoutMs: ctx.failureBoundMs })),
  },
  {
    name: 'upstream-reset-after-head',
    door: 'proxy',
    run: async (ctx) =>
      judgeAnthropicFailure(await proxyCall(ctx, { chunks: 8, reset_after: 0 }, { stream: true, timeoutMs: ctx.failureBoundMs })),
  },
  {
    name: 'upstream-reset-mid-stream',
    door: 'proxy',
    run: async (ctx) => {
      const result = await proxyCall(ctx, { chunks: 8, chunk_bytes: 16, reset_after: 3, interval_ms: 5 }, { stream: true, timeoutMs: ctx.failureBoundMs });
      const prefix = [0, 1, 2].map((n) => mockDeltaText(n, 16)).join('');
      return judgeAnthropicFailure(result, { prefix });
    },
  },
  {
    name: 'upstream-stall-before-head',
    door: 'proxy',
    run: async (ctx, i) =>
      judgeAnthropicFailure(await proxyCall(ctx, { delay_ms: 60000 }, { stream: i % 2 === 1, timeoutMs: ctx.stallBoundMs })),
  },
  {
    name: 'upstream-stall-mid-stream',
    door: 'proxy',
    run: async (ctx) =>
      judgeAnthropicFailure(await proxyCall(ctx, { chunks: 8, hold: 1 }, { stream: true, timeoutMs: ctx.idleBoundMs }), {
        prefix: mockDeltaText(0, 16),
      }),
  },
  {
    name: 'upstream-5xx',
    door: 'proxy',
    run: async (ctx, i) =>
      judgeAnthropicFailure(
        await proxyCall(ctx, { status: [500, 502, 503][i % 3] }, { stream: i % 2 === 1, timeoutMs: ctx.failureBoundMs }),
      ),
  },
  {
    name: 'upstream-malformed-chunk',
    door: 'proxy',
    run: async (ctx, i) => {
      const stream = i % 2 === 0;
      const result = await proxyCall(ctx, { chunks: 8, chunk_bytes: 16, malformed_at: 3 }, { stream, timeoutMs: ctx.failureBoundMs });
      return judgeAnthropicFailure(result, { prefix: [0, 1, 2].map((n) => mockDeltaText(n, 16)).join('') });
    },
  },
  {
    name: 'upstream-html-200',
    door: 'proxy',
    run: async (ctx, i) =>
      judgeAnthropicFailure(await proxyCall(ctx, { html: 1 }, { stream: i % 2 === 0, timeoutMs: ctx.failureBoundMs })),
  },
  {
    name: 'cli-crash-mid-turn',
    door: 'gateway',
    run: async (ctx, i) => {
      const stream = i % 2 === 0;
      const { result } = await gatewayCall(ctx, 'lines=8;crash_after=3;interval_us=2000', { stream, timeoutMs: ctx.failureBoundMs });
      return judgeOpenAiFailure(result, stream);
    },
  },
  {
    name: 'cli-garbage-stdout',
    door: 'gateway',
    // Noise the CLI prints is no reason to fail a turn: the right answer, whole, or a clear error.
    run: async (ctx, i) => {
      const stream = i % 2 === 0;
      const { result, tag } = await gatewayCall(ctx, 'lines=6;garbage=4', { stream, timeoutMs: ctx.failureBoundMs });
      if (result.status === 200) {
        const read = stream ? readChatStream(result.text) : readChatCompletion(result.text);
        if (read.error) return judgeOpenAiFailure(result, stream);
        const check = checkStubText(read, [['tag', tag]], 6);
        return check.ok ? expected('the whole answer, noise skipped') : verdict('fake_success', `${check.kind} ${check.detail}`);
      }
      return judgeOpenAiFailure(result, stream);
    },
  },
  {
    name: 'cli-hang-mid-turn',
    door: 'gateway',
    needs: 'TURN_TIMEOUT',
    run: async (ctx) => {
      const { result } = await gatewayCall(ctx, 'lines=8;hang_after=2', { stream: true, timeoutMs: ctx.hangBoundMs });
      return judgeOpenAiFailure(result, true);
    },
  },
  {
    name: 'mcp-wrong-secret',
    door: 'gateway',
    // The stub CLI tries its own MCP server with a wrong secret and an unknown session id, and
    // puts the two HTTP statuses at the start of its answer.
    run: async (ctx) => {
      const tag = ctx.nextNumber();
      const { failure, read } = await chat(ctx, {
        model: gatewayModel,
        stream: false,
        messages: [{ role: 'user', content: `FAKE[lines=4;probe_mcp=1;tag=${tag}] soak fault ${tag}` }],
      });
      if (failure) return verdict('unclear_error', `${failure.kind} ${failure.detail}`);
      const match = read.content.match(stubTextPattern([['tag', tag], ['mcp_wrong_secret', '\\d+'], ['mcp_unknown_session', '\\d+']], 4));
      if (!match) return verdict('unclear_error', `the stub's answer is not as expected: ${read.content.slice(0, 120)}`);
      const [wrongSecret, unknownSession] = [Number(match[2]), Number(match[3])];
      const refused = (status) => status >= 400 && status < 500;
      if (wrongSecret < 400 && wrongSecret !== 0) return verdict('fake_success', `a wrong secret got ${wrongSecret}`);
      if (unknownSession < 400 && unknownSession !== 0) return verdict('fake_success', `an unknown session got ${unknownSession}`);
      if (!refused(wrongSecret) || !refused(unknownSession))
        return verdict('unclear_error', `wrong secret ${wrongSecret}, unknown session ${unknownSession}`);
      return expected(`wrong secret ${wrongSecret}, unknown session ${unknownSession}${wrongSecret === unknownSession ? '' : ' (told apart)'}`);
    },
  },
  {
    name: 'tool-result-after-timeout',
    door: 'gateway',
    run: async (ctx) => {
      const tag = ctx.nextNumber();
      const first = { role: 'user', content: `FAKE[tool=${toolName};lines=2;tag=${tag}] soak fault ${tag}` };
      const call = await chat(ctx, { model: gatewayModel, stream: false, tools, messages: [first] });
      if (call.failure) return verdict('unclear_error', `the tool call failed: ${call.failure.kind} ${call.failure.detail}`);
      const check = checkToolCall(call.read);
      if (!check.ok) return verdict('unclear_error', `the tool call failed: ${check.kind} ${check.detail}`);
      await sleep(ctx.settings.toolCallTimeoutS * 1000 + 1500);
      const [toolCall] = call.read.toolCalls;
      const late = await exchange({
        port: ctx.ccgate.port,
        path: gatewayPath,
        headers: gatewayHeaders(ctx),
        body: JSON.stringify({
          model: gatewayModel,
          tools,
          messages: [
            first,
            { role: 'assistant', content: null, tool_calls: [{ id: toolCall.id, type: 'function', function: { name: toolCall.name, arguments: toolCall.arguments } }] },
            { role: 'tool', tool_call_id: toolCall.id, content: '42' },
          ],
        }),
        agent: ctx.agent,
        timeoutMs: ctx.failureBoundMs,
      });
      return judgeOpenAiFailure(late, false);
    },
  },
];
