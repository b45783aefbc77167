// Small MCP servers for the gateway's operator MCP servers (gateway: mcp_servers:), speaking the
// protocol the Claude Code CLI speaks (MCP 2025-11-25): initialize, notifications/initialized,
// tools/list, tools/call, ping; anything else with an id gets -32601.
//
// - stdio: run this file as a program (`node operator-mcp.js '<options JSON>'`): one JSON-RPC
//   message per line on stdin/stdout. Options: { tools, record, envDump }: `record` is a file
//   each tools/call is appended to (one JSON line), `envDump` a file the server's environment is
//   written to at start.
// - Streamable HTTP: `await HttpMcpServer.start({ tools, requireHeaders })` on 127.0.0.1 (POST
//   answered as application/json; GET 405; DELETE 200). A request without every header of
//   `requireHeaders` (name → value) gets 401. `calls` and `requests` record what arrived.
//
// A tool is { name, description?, result?, isError? }: its call answers the text
// `<result> <arguments as JSON>` (isError: an error result).

import fs from 'node:fs';
import http from 'node:http';
import { fileURLToPath } from 'node:url';

export const operatorMcpScript = fileURLToPath(import.meta.url);

function toolList(tools) {
  return tools.map(({ name, description }) => ({
    name,
    description: description ?? `The ${name} tool.`,
    inputSchema: { type: 'object', properties: { topic: { type: 'string' } } },
  }));
}

// The JSON-RPC answer to one message (undefined for a notification). onCall sees each tools/call.
function answer(message, tools, onCall) {
  const { id, method, params } = message;
  if (id === undefined || id === null) return undefined;
  const reply = (result) => ({ jsonrpc: '2.0', id, result });
  const error = (code, text) => ({ jsonrpc: '2.0', id, error: { code, message: text } });
  switch (method) {
    case 'initialize':
      return reply({
        protocolVersion: params?.protocolVersion ?? '2025-11-25',
        capabilities: { tools: {} },
        serverInfo: { name: 'ccgate-test-operator-mcp', version: '1.0.0' },
      });
    case 'ping':
      return reply({});
    case 'tools/list':
      return reply({ tools: toolList(tools) });
    case 'tools/call': {
      const tool = tools.find((t) => t.name === params?.name);
      onCall({ name: params?.name, arguments: params?.arguments ?? {} });
      if (!tool) return error(-32602, `unknown tool ${params?.name}`);
      const text = `${tool.result ?? tool.name} ${JSON.stringify(params?.arguments ?? {})}`;
      return reply({ content: [{ type: 'text', text }], ...(tool.isError ? { isError: true } : {}) });
    }
    default:
      return error(-32601, `Method not found: ${method}`);
  }
}

export class HttpMcpServer {
  requests = []; // { method, headers, body }
  calls = []; // { name, arguments }

  static async start({ tools, requireHeaders = {} } = {}) {
    const server = new HttpMcpServer();
    server.tools = tools;
    server.requireHeaders = requireHeaders;
    server.http = http.createServer((req, res) => server.#handle(req, res));
    await new Promise((resolve) => server.http.listen(0, '127.0.0.1', resolve));
    return server;
  }

  get url() {
    return `http://127.0.0.1:${this.http.address().port}/mcp`;
  }

  #handle(req, res) {
    const chunks = [];
    req.on('data', (chunk) => chunks.push(chunk));
    req.on('end', () => {
      const text = Buffer.concat(chunks).toString('utf8');
      this.requests.push({ method: req.method, headers: req.headers, body: text });
      for (const [name, value] of Object.entries(this.requireHeaders)) {
        if (req.headers[name.toLowerCase()] !== value) {
          res.writeHead(401, { 'content-type': 'application/json' }).end('{"error":"unauthorized"}');
          return;
        }
      }
      if (req.method === 'DELETE') return res.writeHead(200).end();
      if (req.method !== 'POST') return res.writeHead(405, { allow: 'POST, DELETE' }).end();
      let message;
      try {
        message = JSON.parse(text);
      } catch {
        res.writeHead(400, { 'content-type': 'application/json' });
        return res.end(JSON.stringify({ jsonrpc: '2.0', id: null, error: { code: -32700, message: 'Parse error' } }));
      }
      const reply = answer(message, this.tools, (call) => this.calls.push(call));
      if (reply === undefined) return res.writeHead(202).end();
      res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify(reply));
    });
  }

  close() {
    this.http.closeAllConnections?.();
    return new Promise((resolve) => this.http.close(() => resolve()));
  }
}

// Run as a program: the stdio server.
if (process.argv[1] === operatorMcpScript) {
  const options = JSON.parse(process.argv[2] ?? '{}');
  const tools = options.tools ?? [];
  if (options.envDump) fs.writeFileSync(options.envDump, JSON.stringify(process.env));
  let buffered = '';
  process.stdin.setEncoding('utf8');
  process.stdin.on('data', (chunk) => {
    buffered += chunk;
    for (let newline = buffered.indexOf('\n'); newline >= 0; newline = buffered.indexOf('\n')) {
      const line = buffered.slice(0, newline).trim();
      buffered = buffered.slice(newline + 1);
      if (!line) continue;
      let message;
      try {
        message = JSON.parse(line);
      } catch {
        continue;
      }
      const reply = answer(message, tools, (call) => {
        if (options.record) fs.appendFileSync(options.record, `${JSON.stringify(call)}\n`);
      });
      if (reply !== undefined) process.stdout.write(`${JSON.stringify(reply)}\n`);
    }
  });
  process.stdin.on('end', () => process.exit(0));
}
