// What every scripted mock server shares (MockOpenAI and MockAnthropic are protocol layers on it):
// an HTTP server on 127.0.0.1 at a free port, every request recorded with its parsed body, a
// queue of scripted behaviours, waiting for requests, the open sockets counted and destroyed on
// close.
//
// A record: { method, url, path, headers, rawBody, body (parsed JSON, else undefined), receivedAt,
// answer (what the protocol layer says it replied, if it says), finished (the whole response was
// sent), socketClosed, socketClosedAt, closed (resolves when the connection that carried the
// request closes) }.
//
// Behaviours every mock understands (the protocol layer answers the rest):
//   { handler: async (req, res, record) => {} }   anything else
//   { hang: true }                                 accept the request, never answer
//
// A protocol layer extends MockServer and defines:
//   behaviourFor(record)                   the behaviour for this request: usually takeQueued(),
//                                          else its default; it may set record.answer
//   respond(behaviour, req, res, record)   writes the answer
//   sendFailure(res, error)                a 500 in its protocol, when respond threw before
//                                          the headers went out
// and may override `watched` (the requests waitFor looks at) and `label` (for messages).

import http from 'node:http';

export class MockServer {
  #server;
  #queue = [];
  #sockets = new Set();
  #connectionsOpened = 0;
  #waiters = [];
  requests = [];

  static async start() {
    const mock = new this();
    await mock.#listen();
    return mock;
  }

  get port() {
    return this.#server.address().port;
  }

  get origin() {
    return `http://127.0.0.1:${this.port}`;
  }

  get openSocketCount() {
    return this.#sockets.size;
  }

  // TCP connections accepted since the mock started (a pooled connection counts once).
  get connectionsOpened() {
    return this.#connectionsOpened;
  }

  get label() {
    return 'mock server';
  }

  // The requests waitFor's predicates see.
  get watched() {
    return this.requests;
  }

  enqueue(...behaviours) {
    this.#queue.push(...behaviours);
    return this;
  }

  // The next scripted behaviour, or undefined when none is queued.
  takeQueued() {
    return this.#queue.shift();
  }

  reset() {
    this.#queue = [];
    this.requests = [];
  }

  // Resolves with `watched` once `predicate` holds for it.
  waitFor(predicate, { timeoutMs = 30_000, what = 'the expected requests' } = {}) {
    const check = () => {
      const requests = this.watched;
      return predicate(requests) ? requests : undefined;
    };
    const ready = check();
    if (ready) return Promise.resolve(ready);
    return new Promise((resolve, reject) => {
      const waiter = { check, resolve: (requests) => finish(() => resolve(requests)) };
      const timer = setTimeout(
        () => finish(() => reject(new Error(`${this.label}: ${what} did not arrive within ${timeoutMs} ms (${this.watched.length} so far)`))),
        timeoutMs,
      );
      const finish = (settle) => {
        clearTimeout(timer);
        this.#waiters = this.#waiters.filter((w) => w !== waiter);
        settle();
      };
      this.#waiters.push(waiter);
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
      this.#connectionsOpened += 1;
      this.#sockets.add(socket);
      socket.on('close', () => this.#sockets.delete(socket));
    });
    return new Promise((resolve) => this.#server.listen(0, '127.0.0.1', resolve));
  }

  async #handle(req, res) {
    const record = recordOf(req);
    res.once('finish', () => (record.finished = true));
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
    try {
      const behaviour = this.behaviourFor(record);
      this.#wakeWaiters();
      if (behaviour.handler) await behaviour.handler(req, res, record);
      else if (!behaviour.hang) await this.respond(behaviour, req, res, record);
    } catch (error) {
      if (!res.headersSent && !res.destroyed) this.sendFailure(res, error);
      else res.destroy();
    } finally {
      this.#wakeWaiters();
    }
  }

  #wakeWaiters() {
    for (const waiter of [...this.#waiters]) {
      const ready = waiter.check();
      if (ready) waiter.resolve(ready);
    }
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
    answer: undefined,
    finished: false,
    socketClosed: false,
    socketClosedAt: 0,
  };
  // Resolves when the TCP connection that carried this request closes: after a client abort,
  // ccgate must close its upstream connection rather than return it to a pool; a CLI that went
  // away closes its model request.
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
