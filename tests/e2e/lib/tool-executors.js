// The far ends of the gateway's server-side tool executors (gateway.tools in the configuration
// file): a webhook service on 127.0.0.1 that records each call, and the path of a command script
// (tool-command.mjs) the tests run through ccgate.

import http from 'node:http';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

export const toolCommandScript = path.join(path.dirname(fileURLToPath(import.meta.url)), 'tool-command.mjs');

// POST /<behaviour>: `lookup` answers JSON built from the input, `text` plain text, `fail` a 500
// with a message, `hang` never answers, `big` answers `bigBytes` bytes. Every call is recorded as
// { path, headers, input }.
export class ToolWebhook {
  calls = [];
  bigBytes = 4096;
  #server;
  #hanging = new Set();

  static async start() {
    const hook = new ToolWebhook();
    hook.#server = http.createServer((req, res) => hook.#handle(req, res));
    await new Promise((resolve) => hook.#server.listen(0, '127.0.0.1', resolve));
    return hook;
  }

  get url() {
    return `http://127.0.0.1:${this.#server.address().port}`;
  }

  #handle(req, res) {
    const chunks = [];
    req.on('data', (chunk) => chunks.push(chunk));
    req.on('end', () => {
      const text = Buffer.concat(chunks).toString('utf8');
      let input;
      try {
        input = JSON.parse(text);
      } catch {
        input = { unparsed: text };
      }
      this.calls.push({ path: req.url, method: req.method, headers: req.headers, input });
      switch (req.url) {
        case '/lookup':
          res.writeHead(200, { 'content-type': 'application/json' });
          res.end(JSON.stringify({ order: input.id, status: `shipped-${input.id}` }));
          break;
        case '/text':
          res.writeHead(200, { 'content-type': 'text/plain' });
          res.end(`plain text for ${input.id}`);
          break;
        case '/fail':
          res.writeHead(500, { 'content-type': 'text/plain' });
          res.end('the order service is down');
          break;
        case '/big':
          res.writeHead(200, { 'content-type': 'text/plain' });
          res.end('x'.repeat(this.bigBytes));
          break;
        case '/hang':
          this.#hanging.add(res);
          res.on('close', () => this.#hanging.delete(res));
          break;
        default:
          res.writeHead(404);
          res.end();
      }
    });
  }

  async close() {
    for (const res of this.#hanging) res.destroy();
    this.#server.closeAllConnections?.();
    await new Promise((resolve) => this.#server.close(resolve));
  }
}
