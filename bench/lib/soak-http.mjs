// The soak's HTTP side: one request with a deadline, the events of an SSE body, and the error
// shapes of both protocols (what "a clear error in the client's own protocol" means here).

import http from 'node:http';

// A request whose whole answer is read. Resolves { status, headers, text, ms } or
// { error, ms } (timeout, reset, refused); never rejects.
export function exchange({ port, path, method = 'POST', headers = {}, body, agent, timeoutMs }) {
  const started = performance.now();
  return new Promise((resolve) => {
    let settled = false;
    const done = (result) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      resolve({ ...result, ms: performance.now() - started });
    };
    const request = http.request(
      { host: '127.0.0.1', port, path, method, agent, headers: bodyHeaders(headers, body) },
      (response) => {
        const pieces = [];
        response.on('data', (piece) => pieces.push(piece));
        response.on('end', () =>
          done({ status: response.statusCode, headers: response.headers, text: Buffer.concat(pieces).toString() }),
        );
        response.on('aborted', () => done({ error: 'aborted', status: response.statusCode, text: Buffer.concat(pieces).toString() }));
        response.on('error', (error) => done({ error: error.code ?? error.message, status: response.statusCode }));
        // After 'end' this changes nothing; without it, the body was cut.
        response.on('close', () => done({ error: 'closed', status: response.statusCode, text: Buffer.concat(pieces).toString() }));
      },
    );
    const timer = setTimeout(() => {
      request.destroy();
      done({ error: 'timeout' });
    }, timeoutMs);
    request.on('error', (error) => done({ error: error.code ?? error.message }));
    request.end(body);
  });
}

export function bodyHeaders(headers, body) {
  return body === undefined ? headers : { ...headers, 'content-length': Buffer.byteLength(body) };
}

// The events of an SSE body: [{ event, data }]; comments are counted, not returned.
export function sseEvents(text) {
  const events = [];
  let comments = 0;
  for (const block of text.split(/\r?\n\r?\n/)) {
    let event = '';
    const data = [];
    for (const line of block.split(/\r?\n/)) {
      if (line.startsWith(':')) comments += 1;
      else if (line.startsWith('event:')) event = line.slice(6).trim();
      else if (line.startsWith('data:')) data.push(line.slice(5).replace(/^ /, ''));
    }
    if (data.length) events.push({ event, data: data.join('\n') });
  }
  return { events, comments };
}

export function parseJson(text) {
  try {
    return JSON.parse(text);
  } catch {
    return undefined;
  }
}

const isText = (value) => typeof value === 'string' && value.length > 0;

// {"type":"error","error":{"type":…,"message":…}}
export function isAnthropicError(value) {
  return value?.type === 'error' && isText(value.error?.type) && isText(value.error?.message);
}

// {"error":{"message":…,"type":…}}
export function isOpenAiError(value) {
  return isText(value?.error?.message) && 'type' in value.error;
}

// An error answer before any byte of a result: a 4xx/5xx status with the protocol's error body.
export function errorStatus(result, isError) {
  return result.status >= 400 && isError(parseJson(result.text ?? ''));
}
