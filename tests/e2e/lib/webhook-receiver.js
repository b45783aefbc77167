// A small webhook receiver on 127.0.0.1 for ccgate's conversation webhooks: every POST is
// recorded ({ path, headers, body (parsed JSON, else the text), answered }). By default it
// answers 204; `receiver.hang = true` makes it read each request and never answer (a dead
// webhook that keeps the connection open), until close().

import http from 'node:http';

import { waitUntil } from './common.js';

export class WebhookReceiver {
  events = [];
  hang = false;
  #server;
  #sockets = new Set();

  static async start() {
    const receiver = new WebhookReceiver();
    receiver.#server = http.createServer((req, res) => receiver.#record(req, res));
    receiver.#server.on('connection', (socket) => {
      receiver.#sockets.add(socket);
      socket.once('close', () => receiver.#sockets.delete(socket));
    });
    await new Promise((resolve) => receiver.#server.listen(0, '127.0.0.1', resolve));
    return receiver;
  }

  get url() {
    return `http://127.0.0.1:${this.#server.address().port}`;
  }

  // The events of one kind ("conversation.started" / "conversation.ended"), in arrival order.
  of(event) {
    return this.events.filter((record) => record.body?.event === event);
  }

  // Resolves to the first event matching `predicate` once it has arrived.
  async waitFor(predicate, { timeoutMs = 15_000, what = 'a matching webhook event' } = {}) {
    return waitUntil(() => this.events.find(predicate), timeoutMs, what, () => JSON.stringify(this.events.map((e) => e.body)));
  }

  #record(req, res) {
    const chunks = [];
    req.on('data', (chunk) => chunks.push(chunk));
    req.on('end', () => {
      const text = Buffer.concat(chunks).toString('utf8');
      let body = text;
      try {
        body = JSON.parse(text);
      } catch {
        // kept as text
      }
      const record = { path: req.url, method: req.method, headers: req.headers, body, text, answered: false };
      this.events.push(record);
      if (this.hang) return;
      record.answered = true;
      res.writeHead(204).end();
    });
  }

  async close() {
    for (const socket of this.#sockets) socket.destroy();
    await new Promise((resolve) => this.#server.close(resolve));
  }
}
