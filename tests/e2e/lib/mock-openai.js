// A scripted OpenAI-compatible upstream on 127.0.0.1. Every request is recorded so tests can
// assert what ccgate sent; tests queue the next responses as behaviours:
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
//
// When the queue is empty the default rule answers (a short text, streamed when asked to).

import http from 'node:http';

export class MockOpenAI {
  #server;
  #queue = [];
  #sockets = new Set();
  #waiters = [];
  requests = [];
  defaultRule = defaultAnswer;

  static async start() {
    const mock = new MockOpenAI();
    await mock.#listen();
    return mock;
  }

  get port() {
    return this.#server.address().port;
  }

  get origin() {
    return `http://127.0.0.1:${this.port}`;
  }

  get baseURL() {
    return `${this.origin}/v1`;
  }

  get openSocketCount() {
    return this.#sockets.size;
  }

  enqueue(...behaviours) {
    this.#queue.push(...behaviours);
    return this;
  }

  reset() {
    this.#queue = [];
    this.requests = [];
    this.defaultRule = defaultAnswer;
  }

  // Resolves with the first `count` recorded requests once that many have arrived.
  waitForRequests(count = 1, timeoutMs = 5000) {
    if (this.requests.length >= count) return Promise.resolve(this.requests.slice(0, count));
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        this.#waiters = this.#waiters.filter((w) => w.resolve !== done);
        reject(new Error(`mock upstream: expected ${count} request(s), got ${this.requests.length} within ${timeoutMs} ms`));
      }, timeoutMs);
      const done = (requests) => {
        clearTimeout(timer);
        resolve(requests.slice(0, count));
      };
      this.#waiters.push({ count, resolve: done });
    });
  }

  async close() {
    this.#server.closeAllConnections();
    for (const socket of this.#sockets) socket.destroy();
    await new Promise((resolve) => this.#server.close(resolve));
  }

  #listen() {
    this.#server = http.createServer((req, res) => this.#handle(req, res));
    this.#server.keepAliveTimeout = 30_000;
    this.#server.on('connection', (socket) => {
      socket.setNoDelay(true);
      this.#sockets.add(socket);
      socket.on('close', () => this.#sockets.delete(socket));
    });
    return new Promise((resolve) => this.#server.listen(0, '127.0.0.1', resolve));
  }

  async #handle(req, res) {
    const record = recordOf(req);
    const chunks = [];
    for await (const chunk of req) chunks.push(chunk);
    record.rawBody = Buffer.concat(chunks);
    try {
      record.body = JSON.parse(record.rawBody.toString('utf8'));
    } catch {
      record.body = undefined;
    }
    record.receivedAt = Date.now();
    this.requests.push(record);
    this.#wakeWaiters();
    const behaviour = this.#queue.length > 0 ? this.#queue.shift() : this.defaultRule(record);
    try {
      await respond(behaviour, req, res, record);
    } catch (error) {
      if (!res.headersSent && !res.destroyed) {
        res.writeHead(500, { 'content-type': 'application/json' });
        res.end(JSON.stringify({ error: { message: `mock failure: ${error.message}` } }));
      }
    }
  }

  #wakeWaiters() {
    const ready = this.#waiters.filter((w) => this.requests.length >= w.count);
    this.#waiters = this.#waiters.filter((w) => this.requests.length < w.count);
    for (const waiter of ready) waiter.resolve(this.requests);
  }
}

function recordOf(req) {
  const record = {
    method: req.method,
    url: req.url,
    path: req.url.split('?')[0],
    headers: req.headers,
    rawBody: Buffer.alloc(0),
    body: undefined,
    receivedAt: 0,
    socketClosed: false,
    socketClosedAt: 0,
  };
  // Resolves when the TCP connection that carried this request closes: after a client abort,
  // ccgate must close its upstream connection rather than return it to a pool.
  record.closed = new Promise((resolve) => {
    const markClosed = () => {
      record.socketClosed = true;
      record.socketClosedAt = Date.now();
      resolve();
    };
    if (req.socket.destroyed) markClosed();
    else req.socket.once('close', markClosed);
  });
  return record;
}

const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));

async function respond(behaviour, req, res, record) {
  if (behaviour.handler) return behaviour.handler(req, res, record);
  if (behaviour.destroy) return req.socket.destroy();
  if (behaviour.hang) return;
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
