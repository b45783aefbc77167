// Requests no SDK and no fetch() would send: any Host or Origin header, any content type, to any
// address of this machine; and the machine's own non-loopback address, to be a remote peer.

import http from 'node:http';
import os from 'node:os';

// One request on a fresh connection, with exactly these headers (a Host given here replaces
// Node's). Resolves to { status, headers, text, json }: json is the parsed body or undefined.
export function plainRequest({ port, address = '127.0.0.1', method = 'GET', path = '/', headers = {}, body, timeoutMs = 10_000 }) {
  return new Promise((resolve, reject) => {
    const req = http.request({ host: address, port, method, path, headers, agent: false, timeout: timeoutMs }, (res) => {
      const chunks = [];
      res.on('data', (chunk) => chunks.push(chunk));
      res.on('end', () => {
        const text = Buffer.concat(chunks).toString('utf8');
        let json;
        try {
          json = JSON.parse(text);
        } catch {
          json = undefined;
        }
        resolve({ status: res.statusCode, headers: res.headers, text, json });
      });
      res.on('error', reject);
    });
    req.on('timeout', () => req.destroy(new Error(`no answer within ${timeoutMs} ms`)));
    req.on('error', reject);
    req.end(body);
  });
}

// An IPv4 address of this machine that is not loopback, or undefined when it has none.
export function nonLoopbackIPv4() {
  for (const addresses of Object.values(os.networkInterfaces())) {
    for (const entry of addresses ?? []) {
      if (entry.family === 'IPv4' && !entry.internal) return entry.address;
    }
  }
  return undefined;
}
