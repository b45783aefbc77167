// A policy webhook on 127.0.0.1 for the gateway's tool policy (gateway.policy.webhook): records
// each POST ({ headers, body } with the body parsed) and answers with `answer(body)`:
// { status = 200, json } sends json, { hang: true } never answers (the socket stays open until
// close()).

import http from 'node:http';

export class PolicyWebhook {
  requests = [];
  answer = () => ({ json: { allow: true } });
  #server;
  #sockets = new Set();

  static async start() {
    const hook = new PolicyWebhook();
    hook.#server = http.createServer((req, res) => hook.#handle(req, res));
    hook.#server.on('connection', (socket) => {
      hook.#sockets.add(socket);
      socket.once('close', () => hook.#sockets.delete(socket));
    });
    await new Promise((resolve) => hook.#server.listen(0, '127.0.0.1', resolve));
    return hook;
  }

  get url() {
    return `http://127.0.0.1:${this.#server.address().port}/policy`;
  }

  async #handle(req, res) {
    let text = '';
    for await (const chunk of req) text += chunk;
    let body;
    try {
      body = JSON.parse(text);
    } catch {
      body = { unparsed: text };
    }
    this.requests.push({ method: req.method, url: req.url, headers: req.headers, body, at: Date.now() });
    const reply = this.answer(body) ?? { json: { allow: true } };
    if (reply.hang) return;
    res.writeHead(reply.status ?? 200, { 'content-type': 'application/json' });
    res.end(typeof reply.json === 'string' ? reply.json : JSON.stringify(reply.json));
  }

  async close() {
    for (const socket of this.#sockets) socket.destroy();
    await new Promise((resolve) => this.#server.close(resolve));
  }
}
