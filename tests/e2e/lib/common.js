// What the proxy and gateway fixtures (harness.js, gateway-harness.js) and the mocks share: time,
// assertions on rejections, message shapes, reading an SSE response, and ccgate's configuration
// for a mock OpenAI upstream.

import assert from 'node:assert/strict';

export const UPSTREAM_KEY = 'sk-upstream-test-key';

export const MODELS = {
  BIG_MODEL: 'gpt-big',
  MIDDLE_MODEL: 'gpt-middle',
  SMALL_MODEL: 'gpt-small',
};

// ccgate's proxy-door configuration for the MockOpenAI `upstream`: its URL, key and model names.
export function proxyDoorEnv(upstream) {
  return { OPENAI_BASE_URL: upstream.baseURL, OPENAI_API_KEY: UPSTREAM_KEY, ...MODELS };
}

// unref: the timer does not keep the process alive (a mock's scripted stall must not outlive
// the test that scripted it).
export const sleep = (ms, { unref = false } = {}) =>
  new Promise((resolve) => {
    const timer = setTimeout(resolve, ms);
    if (unref) timer.unref();
  });

// Resolves once `predicate()` is truthy (polled); rejects naming `what` (and `detail()`) after `ms`.
export async function waitUntil(predicate, ms, what, detail = () => '') {
  const deadline = Date.now() + ms;
  for (;;) {
    const value = await predicate();
    if (value) return value;
    if (Date.now() > deadline) throw new Error(`${what}: not within ${ms} ms ${detail()}`);
    await sleep(50);
  }
}

export function withTimeout(promise, ms, what) {
  let timer;
  return Promise.race([
    promise,
    new Promise((_, reject) => {
      timer = setTimeout(() => reject(new Error(`${what} did not happen within ${ms} ms`)), ms);
    }),
  ]).finally(() => clearTimeout(timer));
}

// Asserts `promise` rejects with an instance of `ErrorClass`; returns the error. `context` is
// added to the failure message.
export async function rejectsWith(promise, ErrorClass, context = '') {
  let caught;
  try {
    await promise;
  } catch (error) {
    caught = error;
  }
  const more = context ? `\n${context}` : '';
  assert.ok(caught, `expected ${ErrorClass.name}, but the call succeeded${more}`);
  assert.ok(caught instanceof ErrorClass, `expected ${ErrorClass.name}, got ${caught?.constructor?.name}: ${caught?.message}${more}`);
  return caught;
}

export const user = (content) => ({ role: 'user', content });

// The text of a message content: a string, or the text parts of an array (OpenAI message
// content, Anthropic tool_result content).
export function textOf(content) {
  if (typeof content === 'string') return content;
  if (Array.isArray(content)) return content.filter((part) => part.type === 'text').map((part) => part.text).join('');
  return '';
}

// `text` parsed as JSON, or `text` itself when it is not JSON.
export function jsonOrText(text) {
  try {
    return JSON.parse(text);
  } catch {
    return text;
  }
}

// Reads a whole SSE response into its blocks, in arrival order: { event (null when none), data
// (the data lines joined by "\n", undefined when none), comments (the ':' lines), at (ms since
// the start) }. After `timeoutMs` the body is cancelled and what arrived is returned with
// timedOut set.
export async function readSSEBlocks(response, { timeoutMs }) {
  const blocks = [];
  const started = Date.now();
  const decoder = new TextDecoder();
  let buffer = '';
  let timedOut = false;
  const reader = response.body.getReader();
  const timer = setTimeout(() => {
    timedOut = true;
    reader.cancel(new Error(`SSE response not read within ${timeoutMs} ms`));
  }, timeoutMs);
  const take = (text) => {
    const block = parseBlock(text);
    if (block) blocks.push({ ...block, at: Date.now() - started });
  };
  try {
    for (;;) {
      const { value, done } = await reader.read();
      if (done) break;
      buffer += decoder.decode(value, { stream: true });
      let separator;
      while ((separator = buffer.search(/\r?\n\r?\n/)) !== -1) {
        take(buffer.slice(0, separator));
        buffer = buffer.slice(separator).replace(/^\r?\n\r?\n/, '');
      }
    }
  } finally {
    clearTimeout(timer);
  }
  take(buffer + decoder.decode());
  return { blocks, timedOut };
}

// One SSE block's fields (a line without a colon is a field with an empty value), or null when
// it has no event, data or comment line.
function parseBlock(text) {
  let event = null;
  const dataLines = [];
  const comments = [];
  for (const line of text.split(/\r?\n/)) {
    if (line === '') continue;
    if (line.startsWith(':')) {
      comments.push(line);
      continue;
    }
    const colon = line.indexOf(':');
    const field = colon === -1 ? line : line.slice(0, colon);
    const value = colon === -1 ? '' : line.slice(colon + 1).replace(/^ /, '');
    if (field === 'event') event = value;
    else if (field === 'data') dataLines.push(value);
  }
  if (event === null && dataLines.length === 0 && comments.length === 0) return null;
  return { event, data: dataLines.length > 0 ? dataLines.join('\n') : undefined, comments };
}
