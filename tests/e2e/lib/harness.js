// Shared fixture: a mock upstream plus a ccgate pointed at it, and helpers to talk to ccgate
// with the real Anthropic SDK or with raw fetch (for what the SDK hides: raw SSE, headers).

import Anthropic from '@anthropic-ai/sdk';
import assert from 'node:assert/strict';

import { Ccgate } from './ccgate.js';
import { MockOpenAI } from './mock-openai.js';

// Keep the SDK from picking up credentials or a base URL from the developer's environment.
for (const name of ['ANTHROPIC_API_KEY', 'ANTHROPIC_AUTH_TOKEN', 'ANTHROPIC_BASE_URL']) delete process.env[name];

export const UPSTREAM_KEY = 'sk-upstream-test-key';

export const MODELS = {
  BIG_MODEL: 'gpt-big',
  MIDDLE_MODEL: 'gpt-middle',
  SMALL_MODEL: 'gpt-small',
};

export class ProxyFixture {
  mock;
  gate;

  // env: ccgate configuration, an object or a function of the mock upstream; it wins over the
  // defaults (upstream URL and key, model names), which `defaults: false` leaves out. host: the
  // --host flag (see Ccgate.start).
  static async start({ env = {}, dotenv, defaults = true, host } = {}) {
    const proxy = new ProxyFixture();
    proxy.mock = await MockOpenAI.start();
    try {
      const base = defaults ? { OPENAI_BASE_URL: proxy.mock.baseURL, OPENAI_API_KEY: UPSTREAM_KEY, ...MODELS } : {};
      const extra = typeof env === 'function' ? env(proxy.mock) : env;
      proxy.gate = await Ccgate.start({ env: { ...base, ...extra }, dotenv, ...(host === undefined ? {} : { host }) });
    } catch (error) {
      await proxy.mock.close();
      throw error;
    }
    return proxy;
  }

  get url() {
    return this.gate.url;
  }

  // The real SDK. auth: { apiKey } (sent as Bearer by this SDK), { authToken }, { xApiKey }.
  client({ apiKey = 'sk-client-test', authToken, xApiKey, ...options } = {}) {
    const auth = xApiKey
      ? { apiKey: null, authToken: null, defaultHeaders: { 'x-api-key': xApiKey } }
      : authToken
        ? { apiKey: null, authToken }
        : { apiKey };
    return new Anthropic({ baseURL: this.url, maxRetries: 0, timeout: 20_000, ...auth, ...options });
  }

  fetch(pathAndQuery, init = {}) {
    return fetch(`${this.url}${pathAndQuery}`, init);
  }

  postMessages(body, { headers = {}, query = '', signal } = {}) {
    return this.fetch(`/v1/messages${query}`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'anthropic-version': '2023-06-01', 'x-api-key': 'sk-client-test', ...headers },
      body: typeof body === 'string' ? body : JSON.stringify(body),
      signal,
    });
  }

  async stop() {
    const results = await Promise.allSettled([this.gate?.stop(), this.mock?.close()]);
    return results[0].value;
  }
}

// Reads a whole SSE response: [{ event, data (parsed when JSON), at (ms since start) }].
export async function readSSE(response, { timeoutMs = 15_000 } = {}) {
  const events = [];
  const started = Date.now();
  const decoder = new TextDecoder();
  let buffer = '';
  const reader = response.body.getReader();
  const timer = setTimeout(() => reader.cancel(new Error('readSSE timed out')), timeoutMs);
  try {
    for (;;) {
      const { value, done } = await reader.read();
      if (done) break;
      buffer += decoder.decode(value, { stream: true });
      let separator;
      while ((separator = buffer.search(/\r?\n\r?\n/)) !== -1) {
        const block = buffer.slice(0, separator);
        buffer = buffer.slice(separator).replace(/^\r?\n\r?\n/, '');
        const event = parseEventBlock(block);
        if (event) events.push({ ...event, at: Date.now() - started });
      }
    }
  } finally {
    clearTimeout(timer);
  }
  if (Date.now() - started >= timeoutMs) throw new Error(`SSE stream did not end within ${timeoutMs} ms`);
  buffer += decoder.decode();
  const tail = parseEventBlock(buffer);
  if (tail) events.push({ ...tail, at: Date.now() - started });
  return events;
}

function parseEventBlock(block) {
  let event = null;
  const dataLines = [];
  for (const line of block.split(/\r?\n/)) {
    if (line.startsWith(':') || line === '') continue;
    const colon = line.indexOf(':');
    const field = colon === -1 ? line : line.slice(0, colon);
    const value = colon === -1 ? '' : line.slice(colon + 1).replace(/^ /, '');
    if (field === 'event') event = value;
    else if (field === 'data') dataLines.push(value);
  }
  if (event === null && dataLines.length === 0) return null;
  const raw = dataLines.join('\n');
  let data = raw;
  try {
    data = JSON.parse(raw);
  } catch {
    // keep the raw text
  }
  return { event, data };
}

// The text of an OpenAI message content: a string, or the text parts of an array.
export function textOf(content) {
  if (typeof content === 'string') return content;
  if (Array.isArray(content)) return content.filter((part) => part.type === 'text').map((part) => part.text).join('');
  return '';
}

// Asserts `promise` rejects with an instance of `ErrorClass`; returns the error.
export async function rejectsWith(promise, ErrorClass) {
  let caught;
  try {
    await promise;
  } catch (error) {
    caught = error;
  }
  assert.ok(caught, `expected ${ErrorClass.name}, but the call succeeded`);
  assert.ok(caught instanceof ErrorClass, `expected ${ErrorClass.name}, got ${caught?.constructor?.name}: ${caught?.message}`);
  return caught;
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

export const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));

export const user = (content) => ({ role: 'user', content });
