// The proxy door's fixture: a mock OpenAI upstream plus a ccgate pointed at it, and helpers to
// talk to ccgate with the real Anthropic SDK or with raw fetch (for what the SDK hides: raw SSE,
// headers). The helpers both doors use come from common.js and are exported here too.

import Anthropic from '@anthropic-ai/sdk';

import { Ccgate } from './ccgate.js';
import { jsonOrText, proxyDoorEnv, readSSEBlocks } from './common.js';
import { MockOpenAI } from './mock-openai.js';

export { MODELS, UPSTREAM_KEY, rejectsWith, sleep, textOf, user, waitUntil, withTimeout } from './common.js';

// Keep the SDK from picking up credentials or a base URL from the developer's environment.
for (const name of ['ANTHROPIC_API_KEY', 'ANTHROPIC_AUTH_TOKEN', 'ANTHROPIC_BASE_URL']) delete process.env[name];

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
      const base = defaults ? proxyDoorEnv(proxy.mock) : {};
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
  const { blocks, timedOut } = await readSSEBlocks(response, { timeoutMs });
  if (timedOut) throw new Error(`SSE stream did not end within ${timeoutMs} ms`);
  return blocks
    .filter((block) => block.event !== null || block.data !== undefined)
    .map(({ event, data = '', at }) => ({ event, data: jsonOrText(data), at }));
}
