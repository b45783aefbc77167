// The status page (GET /status) in a real browser: Debian's Chromium, headless, driven through
// the DevTools protocol by puppeteer-core. ccgate runs with two mock providers with keys (and,
// when the pinned Claude Code CLI is installed, a gateway session against the mock model); the
// page is opened while traffic runs, and must show the numbers, update them, and never show a
// key. Chromium is required: without it the tests fail (scripts/install-deps.sh --test installs
// it).
//
// STATUS_PAGE_SCREENSHOT=<file.png> saves the page with its traffic (docs/status-page.png).

import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';

import Anthropic from '@anthropic-ai/sdk';
import OpenAI from 'openai';
import puppeteer from 'puppeteer-core';

import { Ccgate, makeTempDir } from './lib/ccgate.js';
import { sleep, user } from './lib/common.js';
import { claudeBinary, claudeMissing, GATEWAY_KEY, MODEL, weatherTool } from './lib/gateway-harness.js';
import { MockAnthropic } from './lib/mock-anthropic.js';
import { MockOpenAI } from './lib/mock-openai.js';
import { nonLoopbackIPv4, plainRequest } from './lib/plain-http.js';

const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';
const remoteAddress = nonLoopbackIPv4();
const noRemote = remoteAddress ? false : 'this machine has no non-loopback IPv4 address';

// Every secret ccgate is given: none may appear in the page or in /status.json.
const SECRETS = {
  providerA: ['sk-status-a-one-4f1c9e', 'sk-status-a-two-77d2b0'],
  providerB: 'sk-status-b-only-c0ffee',
  headerB: 'hdr-secret-b-51ab',
  proxyKey: 'sk-status-proxy-9e8d7c',
  gatewayKey: GATEWAY_KEY,
  cliKey: 'sk-status-cli-0a1b2c',
  metricsKey: 'mk-status-page-3d4e5f',
};
const allSecrets = () => Object.values(SECRETS).flat();

function configYaml(mocks) {
  return `providers:
  - name: alpha
    base_url: ${mocks.alpha.baseURL}
    keys: [${SECRETS.providerA.join(', ')}]
    max_retries: 0
  - name: beta
    base_url: ${mocks.beta.baseURL}
    api_key: ${SECRETS.providerB}
    max_retries: 0
    headers:
      x-tenant-secret: ${SECRETS.headerB}
routes:
  default: [alpha/alpha-model]
  opus: [beta/beta-model]
`;
}

// ccgate with the two providers, all its keys set, the gateway door on the real CLI and the
// mock model.
class StatusFixture {
  mocks = {};
  model;
  gate;
  dir;

  static async start({ env = {}, host } = {}) {
    const fixture = new StatusFixture();
    fixture.dir = makeTempDir('ccgate-e2e-status-');
    try {
      fixture.mocks.alpha = await MockOpenAI.start();
      fixture.mocks.beta = await MockOpenAI.start();
      fixture.model = await MockAnthropic.start();
      const configPath = path.join(fixture.dir, 'ccgate.yaml');
      fs.writeFileSync(configPath, configYaml(fixture.mocks));
      fixture.gate = await Ccgate.start({
        env: {
          TMPDIR: fixture.dir,
          ANTHROPIC_API_KEY: SECRETS.proxyKey,
          GATEWAY_API_KEY: SECRETS.gatewayKey,
          METRICS_KEY: SECRETS.metricsKey,
          CLAUDE_CODE_PATH: claudeBinary,
          CLAUDE_CODE_BASE_URL: fixture.model.url,
          CLAUDE_CODE_API_KEY: SECRETS.cliKey,
          ...env,
        },
        args: ['--config', configPath],
        host,
      });
    } catch (error) {
      await fixture.stop();
      throw error;
    }
    return fixture;
  }

  get url() {
    return this.gate.url;
  }

  anthropic() {
    return new Anthropic({ baseURL: this.url, apiKey: SECRETS.proxyKey, maxRetries: 0, timeout: 20_000 });
  }

  openai() {
    return new OpenAI({ baseURL: `${this.url}/v1`, apiKey: SECRETS.gatewayKey, maxRetries: 0, timeout: 60_000 });
  }

  async statusJson() {
    const response = await fetch(`${this.url}/status.json`, { headers: { authorization: `Bearer ${SECRETS.metricsKey}` } });
    const text = await response.text();
    assert.equal(response.status, 200, text);
    return { text, ...JSON.parse(text) };
  }

  async stop() {
    await Promise.allSettled([this.gate?.stop(), this.model?.close(), ...Object.values(this.mocks).map((m) => m.close())]);
    if (this.dir) fs.rmSync(this.dir, { recursive: true, force: true });
  }
}

// A mix on the proxy door: both providers, streamed and not, and an upstream failure (502).
async function proxyTraffic(fx, rounds) {
  const start = (await fx.statusJson()).requests.total;
  const client = fx.anthropic();
  for (let i = 0; i < rounds; i++) {
    await client.messages.create({ model: 'claude-sonnet-4-5', max_tokens: 32, messages: [user(`hello ${i}`)] });
    const stream = await client.messages.create({ model: 'claude-opus-4-1', max_tokens: 32, messages: [user(`stream ${i}`)], stream: true });
    for await (const event of stream) void event;
  }
  fx.mocks.alpha.enqueue({ status: 500, json: { error: { message: 'scripted failure' } } });
  await client.messages.create({ model: 'claude-sonnet-4-5', max_tokens: 32, messages: [user('fails')] }).catch(() => {});
  // A request is on the board when its handler ends, just after the client has its answer.
  const deadline = Date.now() + 5_000;
  while ((await fx.statusJson()).requests.total < start + 2 * rounds + 1 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 20));
}

// STATUS_PAGE_SCREENSHOT: the first call saves the page there (docs/status-page.png).
let screenshotSaved = false;
async function saveScreenshot(page) {
  const file = process.env.STATUS_PAGE_SCREENSHOT;
  if (!file || screenshotSaved) return;
  await page.screenshot({ path: file, fullPage: true });
  screenshotSaved = true;
}

const number = (text) => Number(String(text).replace(/[^\d.]/g, ''));

// What the page shows: read from its DOM.
function readPage(page) {
  return page.evaluate(() => {
    const text = (id) => document.getElementById(id).textContent;
    const rows = (id) => [...document.querySelectorAll(`#${id} tbody tr`)].map((tr) => [...tr.cells].map((td) => td.textContent));
    return {
      total: text('total'),
      rpm: text('rpm'),
      p50: text('p50'),
      p99: text('p99'),
      version: text('version'),
      uptime: text('uptime'),
      state: text('state'),
      providers: rows('providers'),
      sessions: rows('sessions'),
      recent: rows('recent'),
      config: text('config'),
      sparkPoints: [...document.querySelectorAll('#spark polyline')].map((p) => p.getAttribute('points')),
      html: document.documentElement.outerHTML,
      href: location.href,
    };
  });
}

describe('status page in a real browser', () => {
  let fx;
  let browser;
  let page;
  const pageErrors = [];

  before(async () => {
    assert.ok(fs.existsSync(CHROMIUM), `Chromium is needed at ${CHROMIUM} (apt install chromium; scripts/install-deps.sh --test)`);
    fx = await StatusFixture.start();
    browser = await puppeteer.launch({
      executablePath: CHROMIUM,
      headless: true,
      args: ['--no-sandbox', '--headless=new', '--disable-gpu', '--disable-dev-shm-usage', '--no-first-run'],
    });
    page = await browser.newPage();
    await page.setViewport({ width: 1280, height: 1000 });
    page.on('pageerror', (error) => pageErrors.push(error.message));
    page.on('console', (message) => message.type() === 'error' && pageErrors.push(message.text()));
  });
  after(async () => {
    await browser?.close();
    await fx?.stop();
  });

  test('the page opened with ?key= shows the numbers, updates them as traffic runs, and drops the key from the address bar', async () => {
    await proxyTraffic(fx, 1);
    await page.goto(`${fx.url}/status?key=${encodeURIComponent(SECRETS.metricsKey)}`, { waitUntil: 'load' });
    await page.waitForFunction(() => /^\d+$/.test(document.getElementById('total').textContent), { timeout: 10_000 });
    const first = await readPage(page);
    assert.equal(new URL(first.href).search, '', `the key left the address bar: ${first.href}`);
    assert.match(first.version, /^\d+\.\d+\.\d+/);
    assert.match(first.state, /^live/);
    assert.ok(number(first.total) >= 3, `requests so far: ${first.total}`);
    assert.deepEqual(
      first.providers.map((row) => row[0]),
      ['alpha', 'beta'],
    );
    assert.deepEqual(
      first.providers.map((row) => row[2]),
      ['2', '1'],
      'keys per provider',
    );

    // Traffic while the page is open: its own polls (every 2 s) pick it up.
    await proxyTraffic(fx, 3);
    await page.waitForFunction((before) => Number(document.getElementById('total').textContent) >= before + 7, { timeout: 10_000 }, number(first.total));
    const second = await readPage(page);
    assert.ok(second.recent.length > first.recent.length, `rows ${first.recent.length} → ${second.recent.length}`);
    assert.ok(number(second.rpm) >= 10, `requests in the last minute: ${second.rpm}`);
    assert.ok(second.recent.some((row) => row[3] === '/v1/messages' && row[4] === '200' && row[7].includes('alpha/alpha-model')), JSON.stringify(second.recent.slice(0, 3)));
    assert.ok(second.recent.some((row) => row[7].includes('beta/beta-model')), 'a request to the second provider is listed');
    assert.ok(second.recent.some((row) => /^5\d\d/.test(row[4])), 'the failed request is listed with its 5xx status');
    assert.ok(!second.recent.some((row) => row[3].startsWith('/status')), 'the page does not list its own polls');
    assert.match(second.p99, /^\d+$/);
    assert.equal(second.sparkPoints.length, 2, 'the sparkline of requests and errors');
    assert.deepEqual(pageErrors, [], 'no script error on the page');
  });

  test('a live gateway session appears with its state and pending tool call, and never its messages', { skip: claudeMissing }, async () => {
    const client = fx.openai();
    const ask = user('Please call get_weather with {"city":"Oslo"} for the status page');
    const first = await client.chat.completions.create(
      { model: MODEL, messages: [ask], tools: [weatherTool] },
      { headers: { 'x-ccgate-conversation': 'status-demo' } },
    );
    assert.equal(first.choices[0].finish_reason, 'tool_calls');

    await page.waitForFunction(() => [...document.querySelectorAll('#sessions tbody tr')].some((tr) => tr.cells[3]?.textContent === 'waiting for a tool result'), {
      timeout: 10_000,
    });
    const waiting = await readPage(page);
    const row = waiting.sessions.find((cells) => cells[3] === 'waiting for a tool result');
    assert.equal(row[1], 'status-demo', 'the conversation\'s name');
    assert.equal(row[2], MODEL);
    assert.equal(row[6], '1', 'one pending tool call');
    assert.doesNotMatch(waiting.html, /Oslo|get_weather/, 'no message text or tool call on the page');
    assert.ok(waiting.recent.some((cells) => cells[3] === '/v1/chat/completions' && cells[7].includes('tool_calls')), 'the gateway request is listed');
    assert.ok(!waiting.recent.some((cells) => cells[3].startsWith('/mcp/')), 'the CLI\'s own MCP calls are not listed');
    await saveScreenshot(page); // the README's picture: traffic on both doors, a session waiting

    const [call] = first.choices[0].message.tool_calls;
    await client.chat.completions.create({
      model: MODEL,
      messages: [ask, { role: 'assistant', content: null, tool_calls: first.choices[0].message.tool_calls }, { role: 'tool', tool_call_id: call.id, content: 'Snow' }],
      tools: [weatherTool],
    }, { headers: { 'x-ccgate-conversation': 'status-demo' } });
    await page.waitForFunction(() => [...document.querySelectorAll('#sessions tbody tr')].some((tr) => tr.cells[3]?.textContent === 'idle'), { timeout: 10_000 });
  });

  test('no key text anywhere: not in the page\'s DOM, its address, nor /status.json', async () => {
    await sleep(2500); // one more poll, after all the traffic
    const shown = await readPage(page);
    const status = await fx.statusJson();
    assert.ok(shown.config.includes('"METRICS_KEY": "set"'), 'the configuration is shown');
    assert.ok(shown.config.includes('x-tenant-secret'), 'header names are shown');
    for (const secret of allSecrets()) {
      assert.ok(!shown.html.includes(secret), `the page shows ${secret}`);
      assert.ok(!shown.href.includes(secret), `the address holds ${secret}`);
      assert.ok(!status.text.includes(secret), `/status.json holds ${secret}`);
    }
    const beta = status.config.providers.find((p) => p.name === 'beta');
    assert.deepEqual(beta.headers, { 'x-tenant-secret': '••••' });
    assert.equal(status.config.providers.find((p) => p.name === 'alpha').api_keys, '2 set');
    assert.deepEqual(pageErrors, [], 'no script error on the page');

    await saveScreenshot(page);
  });
});

describe('status page access: the same rule as /metrics', () => {
  test('with METRICS_KEY, the key is required (header, or ?key= on the page alone)', async (t) => {
    const fx = await StatusFixture.start();
    t.after(() => fx.stop());
    const get = (pathAndQuery, headers = {}) => plainRequest({ port: fx.gate.port, path: pathAndQuery, headers });
    for (const target of ['/status', '/status.json']) {
      const refused = await get(target);
      assert.equal(refused.status, 401, `${target} without the key`);
      assert.equal(refused.json?.type, 'error');
      assert.equal(refused.json?.error?.type, 'authentication_error');
      assert.equal((await get(target, { authorization: 'Bearer mk-wrong' })).status, 401, `${target}, a wrong key`);
      assert.equal((await get(target, { authorization: `Bearer ${SECRETS.metricsKey}` })).status, 200, `${target}, Bearer`);
      assert.equal((await get(target, { 'x-api-key': SECRETS.metricsKey })).status, 200, `${target}, x-api-key`);
    }
    // A browser cannot send a header when it navigates: the page alone takes ?key=.
    const page = await get(`/status?key=${encodeURIComponent(SECRETS.metricsKey)}`);
    assert.equal(page.status, 200);
    assert.match(page.headers['content-type'], /^text\/html/);
    assert.equal(page.headers['cache-control'], 'no-store');
    assert.equal(page.headers['referrer-policy'], 'no-referrer');
    assert.match(page.headers['content-security-policy'], /connect-src 'self'/);
    assert.match(page.headers['content-security-policy'], /script-src 'sha256-[A-Za-z0-9+/]{43}='/, 'only the page\'s own script runs');
    assert.doesNotMatch(page.headers['content-security-policy'], /unsafe-inline/);
    assert.equal((await get('/status?key=mk-wrong')).status, 401);
    assert.equal((await get(`/status.json?key=${encodeURIComponent(SECRETS.metricsKey)}`)).status, 401, 'the data never takes the key from a URL');
    // Other doors' keys do not open it.
    assert.equal((await get('/status.json', { 'x-api-key': SECRETS.proxyKey })).status, 401);
    assert.ok(!fx.gate.stderr.includes(SECRETS.metricsKey), 'the key in the page URL is not logged');
  });

  test('without METRICS_KEY, loopback peers only: another machine gets 403 naming the variable', { skip: noRemote }, async (t) => {
    const fx = await StatusFixture.start({ env: { METRICS_KEY: undefined }, host: '0.0.0.0' });
    t.after(() => fx.stop());
    for (const target of ['/status', '/status.json']) {
      assert.equal((await plainRequest({ port: fx.gate.port, path: target })).status, 200, `${target} from loopback`);
      const remote = await plainRequest({ port: fx.gate.port, address: remoteAddress, path: target, headers: { host: `${remoteAddress}:${fx.gate.port}` } });
      assert.equal(remote.status, 403, `${target} from ${remoteAddress}`);
      assert.match(remote.json?.error?.message ?? '', /METRICS_KEY/);
      const withDoorKey = await plainRequest({ port: fx.gate.port, address: remoteAddress, path: target, headers: { 'x-api-key': SECRETS.proxyKey } });
      assert.equal(withDoorKey.status, 403, 'a door key does not open it');
    }
  });

  test('a cross-site page cannot read /status.json (DNS rebinding and CORS rules apply)', async (t) => {
    const fx = await StatusFixture.start({ env: { METRICS_KEY: undefined } });
    t.after(() => fx.stop());
    const get = (headers) => plainRequest({ port: fx.gate.port, path: '/status.json', headers });
    assert.equal((await get({ host: 'evil.example' })).status, 403, 'a rebinding Host');
    assert.equal((await get({ origin: 'http://evil.example' })).status, 403, 'a foreign origin');
    assert.equal((await get({})).status, 200);
  });
});

describe('status board under abuse', () => {
  test('megabyte model names and paths do not make the board or /status.json large', async (t) => {
    const fx = await StatusFixture.start({ env: { METRICS_KEY: undefined } });
    t.after(() => fx.stop());
    const model = `claude-sonnet-${'x'.repeat(1 << 20)}`;
    for (let i = 0; i < 20; i++) {
      const response = await fetch(`${fx.url}/v1/messages`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', 'anthropic-version': '2023-06-01', 'x-api-key': SECRETS.proxyKey },
        body: JSON.stringify({ model, max_tokens: 8, messages: [user('hi')] }),
      });
      await response.text();
      await plainRequest({ port: fx.gate.port, path: `/${'p'.repeat(32 * 1024)}` });
    }
    const response = await fetch(`${fx.url}/status.json`);
    const text = await response.text();
    const status = JSON.parse(text);
    assert.equal(status.requests.total, 40);
    assert.ok(text.length < 64 * 1024, `/status.json is ${text.length} bytes`);
    assert.ok(status.recent.every((r) => r.path.length <= 260 && r.summary.length <= 520), 'each field is cut');
    assert.ok(status.recent.some((r) => r.summary.startsWith('claude-sonnet-xxx') && r.summary.endsWith('…')));
  });
});
