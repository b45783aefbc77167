// A scripted OpenAI-compatible upstream on 127.0.0.1, the protocol layer on MockServer
// (mock-server.js: every request recorded so tests can assert what ccgate sent, the queue,
// waiting). Tests queue the next responses as behaviours:
//
//   { json, status = 200, headers }                      a JSON body
//   { body, status, headers }                            a raw body (string or Buffer)
//   { stream: [chunk | string | Buffer], delayMs, done = true, destroyAfter, end = true,
//     pauseAfter: { chunks, ms } }                        an SSE stream; objects are sent as
//                                                        `data: <json>`, strings/Buffers raw
//   { hang: true }                                       accept the request, never answer
//   { destroy: true }                                    close the socket without answering
//   { delayMs } on json/body                             wait before answering
//   { handler: async (req, res, record) => {} }          anything else
//   endlessUpstream()                                    a stream that never ends (a handler)
//
// When the queue is empty the default rule answers (a short text, streamed when asked to).

import { sleep } from './common.js';
import { MockServer } from './mock-server.js';

export class MockOpenAI extends MockServer {
  defaultRule = defaultAnswer;

  get baseURL() {
    return `${this.origin}/v1`;
  }

  get label() {
    return 'mock upstream';
  }

  reset() {
    super.reset();
    this.defaultRule = defaultAnswer;
  }

  // Resolves with the first `count` recorded requests once that many have arrived.
  waitForRequests(count = 1, timeoutMs = 5000) {
    return this.waitFor((requests) => requests.length >= count, { timeoutMs, what: `${count} request(s)` }).then((requests) => requests.slice(0, count));
  }

  behaviourFor(record) {
    return this.takeQueued() ?? this.defaultRule(record);
  }

  async respond(behaviour, req, res) {
    if (behaviour.destroy) return req.socket.destroy();
    if (behaviour.stream) return streamAnswer(behaviour, res);
    if (behaviour.delayMs) await sleep(behaviour.delayMs);
    if (res.destroyed) return;
    const status = behaviour.status ?? 200;
    if ('json' in behaviour) {
      res.writeHead(status, { 'content-type': 'application/json', ...behaviour.headers });
      return res.end(JSON.stringify(behaviour.json));
    }
    res.writeHead(status, { 'content-type': 'text/plain', ...behaviour.headers });
    res.end(behaviour.body ?? '');
  }

  sendFailure(res, error) {
    res.writeHead(500, { 'content-type': 'application/json' });
    res.end(JSON.stringify({ error: { message: `mock failure: ${error.message}` } }));
  }
}

// Resolves when `res` can take more (drain) or is gone (close).
function drainedOrClosed(res) {
  return new Promise((resolve) => {
    const done = () => {
      res.off('drain', done);
      res.off('close', done);
      resolve();
    };
    res.once('drain', done);
    res.once('close', done);
  });
}

// A handler for an upstream that streams text chunks of 16 KiB for as long as its reader takes
// them, and no faster (it waits for 'drain'): { state: { written, closedAt }, handler }.
export function endlessUpstream() {
  const state = { written: 0, closedAt: 0 };
  const handler = async (req, res) => {
    res.writeHead(200, { 'content-type': 'text/event-stream' });
    res.socket.once('close', () => (state.closedAt = Date.now()));
    const piece = `data: ${JSON.stringify(chunk({ content: 'x'.repeat(16 * 1024) }))}\n\n`;
    res.write(`data: ${JSON.stringify(chunk({ role: 'assistant', content: '' }))}\n\n`);
    while (!res.destroyed) {
      state.written += piece.length;
      if (!res.write(piece)) await drainedOrClosed(res);
    }
  };
  return { state, handler };
}

async function streamAnswer(behaviour, res) {
  const { stream, delayMs = 0, done = true, destroyAfter, end = true, pauseAfter } = behaviour;
  res.writeHead(behaviour.status ?? 200, {
    'content-type': 'text/event-stream',
    'cache-control': 'no-cache',
    ...behaviour.headers,
  });
  res.flushHeaders();
  for (let i = 0; i < stream.length; i++) {
    if (res.destroyed) return;
    if (destroyAfter !== undefined && i === destroyAfter) return res.socket.destroy();
    if (i > 0 && delayMs) await sleep(delayMs);
    if (pauseAfter && i === pauseAfter.chunks) await sleep(pauseAfter.ms);
    if (res.destroyed) return;
    const item = stream[i];
    res.write(typeof item === 'string' || Buffer.isBuffer(item) ? item : `data: ${JSON.stringify(item)}\n\n`);
  }
  if (destroyAfter !== undefined && destroyAfter >= stream.length) return res.socket.destroy();
  if (!end || res.destroyed) return;
  if (done) res.write('data: [DONE]\n\n');
  res.end();
}

// ---------- shapes of OpenAI answers ----------

let counter = 0;
const nextId = () => `chatcmpl-mock${++counter}`;

export function usage(prompt, completion, cached = 0) {
  const value = { prompt_tokens: prompt, completion_tokens: completion, total_tokens: prompt + completion };
  if (cached) value.prompt_tokens_details = { cached_tokens: cached };
  return value;
}

// A non-streaming chat.completion.
export function completion({
  content = null,
  toolCalls,
  reasoningContent,
  finishReason = 'stop',
  usage: usageValue = usage(10, 5),
  model = 'mock-model',
  extraChoiceFields = {},
} = {}) {
  const message = { role: 'assistant', content };
  if (toolCalls) message.tool_calls = toolCalls;
  if (reasoningContent !== undefined) message.reasoning_content = reasoningContent;
  const body = {
    id: nextId(),
    object: 'chat.completion',
    created: Math.floor(Date.now() / 1000),
    model,
    choices: [{ index: 0, message, finish_reason: finishReason, ...extraChoiceFields }],
  };
  if (usageValue !== undefined) body.usage = usageValue;
  return body;
}

export function toolCall(id, name, args) {
  return { id, type: 'function', function: { name, arguments: typeof args === 'string' ? args : JSON.stringify(args) } };
}

// One chat.completion.chunk with a single choice carrying `delta`.
export function chunk(delta, { finishReason = null, id = 'chatcmpl-mockstream', model = 'mock-model' } = {}) {
  return {
    id,
    object: 'chat.completion.chunk',
    created: Math.floor(Date.now() / 1000),
    model,
    choices: [{ index: 0, delta, finish_reason: finishReason }],
  };
}

export function usageChunk(usageValue, { id = 'chatcmpl-mockstream', model = 'mock-model' } = {}) {
  return { id, object: 'chat.completion.chunk', created: Math.floor(Date.now() / 1000), model, choices: [], usage: usageValue };
}

// role chunk, one chunk per text piece, the finish chunk, then a usage-only chunk.
export function textStream(pieces, { finishReason = 'stop', usage: usageValue = usage(12, pieces.length) } = {}) {
  const chunks = [chunk({ role: 'assistant', content: '' })];
  for (const piece of pieces) chunks.push(chunk({ content: piece }));
  chunks.push(chunk({}, { finishReason }));
  if (usageValue) chunks.push(usageChunk(usageValue));
  return chunks;
}

// Streamed tool call: the opening chunk (id, name, empty arguments) then one chunk per fragment.
export function toolCallChunks(index, id, name, argumentFragments) {
  const chunks = [chunk({ tool_calls: [{ index, id, type: 'function', function: { name, arguments: '' } }] })];
  for (const fragment of argumentFragments) {
    chunks.push(chunk({ tool_calls: [{ index, function: { arguments: fragment } }] }));
  }
  return chunks;
}

function defaultAnswer(record) {
  const text = 'Hello from the mock upstream.';
  if (record.body?.stream) return { stream: textStream(['Hello ', 'from the ', 'mock upstream.']) };
  return { json: completion({ content: text }) };
}
