// GET /metrics (issue 12): the Prometheus text format 0.0.4, checked by promtool; the exact
// counter deltas a scripted mix of proxy-door traffic leaves (a 200, a streamed 200, a stream
// that breaks, a 400, an upstream 500, a fallback, a retry, a key rotation); the process
// figures; the gateway's sessions by state; and the access rule (loopback only, or METRICS_KEY
// from everyone).

import assert from 'node:assert/strict';
import fs from 'node:fs';
import { after, before, describe, test } from 'node:test';
import OpenAI from 'openai';

import { GatewayFixture, MODEL, assistantTurn, claudeMissing, rejectsWith, toolMessage, user, waitUntil, weatherTool } from './lib/gateway-harness.js';
import { ProxyFixture } from './lib/harness.js';
import { parseSamples, promtoolComplaints, scrape, series } from './lib/metrics.js';
import { completion, textStream, usage } from './lib/mock-openai.js';
import { RoutingFixture, ask } from './lib/routing-harness.js';

function config(mocks) {
  return `
providers:
  - name: a
    base_url: ${mocks.a.baseURL}
    api_key: sk-a
    max_retries: 0
  - name: b
    base_url: ${mocks.b.baseURL}
    api_key: sk-b
    max_retries: 0
  - name: c
    base_url: ${mocks.c.baseURL}
    api_key: sk-c
    max_retries: 1
  - name: k
    base_url: ${mocks.k.baseURL}
    keys: [sk-k-one, sk-k-two]
    max_retries: 0
routes:
  default: a/a-default
  models:
    single: a/a-only
    pair: [a/a-first, b/b-second]
    retried: c/c-model
    pooled: k/k-model
`;
}

function requestsSeries(route, provider, model, statusClass, errorType) {
  return series('ccgate_requests_total', { door: 'proxy', route, provider, model, status_class: statusClass, error_type: errorType });
}

describe('GET /metrics after a scripted mix of proxy-door traffic', () => {
  let fx;
  let before_;
  let after_;
  let afterText;
  let bodyBytes = 0;
  let sentBytes = 0;

  async function post(body) {
    const text = typeof body === 'string' ? body : JSON.stringify(body);
    bodyBytes += Buffer.byteLength(text);
    const response = await fetch(`${fx.url}/v1/messages`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'anthropic-version': '2023-06-01', 'x-api-key': 'sk-client-test' },
      body: text,
    });
    const answer = await response.text();
    sentBytes += Buffer.byteLength(answer);
    return { status: response.status, text: answer, upstream: response.headers.get('x-ccgate-upstream') };
  }

  before(async () => {
    fx = await RoutingFixture.start({ providers: ['a', 'b', 'c', 'k'], config });
    const first = await scrape(fx.url);
    assert.equal(first.status, 200, first.text);
    before_ = parseSamples(first.text);

    fx.mocks.a.enqueue({ json: completion({ content: 'plain', usage: usage(20, 5, 8) }) });
    const plain = await post(ask('single'));
    assert.equal(plain.status, 200, plain.text);

    fx.mocks.a.enqueue({ stream: textStream(['one', 'two', 'three'], { usage: usage(12, 3) }) });
    const streamed = await post(ask('single', { stream: true }));
    assert.equal(streamed.status, 200, streamed.text);
    assert.match(streamed.text, /event: message_stop/);

    fx.mocks.a.enqueue({ stream: textStream(['Hel', 'lo', ' there']), destroyAfter: 2 });
    const broken = await post(ask('single', { stream: true }));
    assert.equal(broken.status, 200, broken.text);
    assert.match(broken.text, /event: error/);

    const invalid = await post('{"model": "single", not json');
    assert.equal(invalid.status, 400, invalid.text);

    fx.mocks.a.enqueue({ status: 500, json: { error: { message: 'boom' } } });
    const failed = await post(ask('single'));
    assert.equal(failed.status, 500, failed.text);

    fx.mocks.a.enqueue({ status: 500, json: { error: { message: 'boom' } } });
    fx.mocks.b.enqueue({ json: completion({ content: 'from b', usage: usage(7, 2) }) });
    const fellBack = await post(ask('pair'));
    assert.equal(fellBack.status, 200, fellBack.text);
    assert.equal(fellBack.upstream, 'b/b-second');

    fx.mocks.c.enqueue({ status: 503, json: { error: { message: 'busy' } } });
    fx.mocks.c.enqueue({ json: completion({ content: 'from c', usage: usage(3, 1) }) });
    const retried = await post(ask('retried'));
    assert.equal(retried.status, 200, retried.text);
    assert.equal(fx.mocks.c.requests.length, 2);

    fx.mocks.k.enqueue({ status: 429, headers: { 'retry-after': '600' }, json: { error: { message: 'slow down' } } });
    fx.mocks.k.enqueue({ json: completion({ content: 'from k', usage: usage(4, 1) }) });
    const rotated = await post(ask('pooled'));
    assert.equal(rotated.status, 200, rotated.text);

    // A request is counted when its handler ends, just after the client has its answer (and on
    // whichever event loop served it): let the last one finish before the scrape.
    await new Promise((resolve) => setTimeout(resolve, 200));
    const last = await scrape(fx.url);
    assert.equal(last.status, 200, last.text);
    afterText = last.text;
    after_ = parseSamples(last.text);
  });
  after(() => fx?.stop());

  const delta = (key) => (after_.get(key) ?? 0) - (before_.get(key) ?? 0);

  test('the answer is the text format 0.0.4', async () => {
    const answer = await scrape(fx.url);
    assert.equal(answer.contentType, 'text/plain; version=0.0.4; charset=utf-8');
    assert.match(answer.text, /^# HELP ccgate_requests_total .+\n# TYPE ccgate_requests_total counter\n/m);
    assert.match(answer.text, /^# TYPE ccgate_request_duration_seconds histogram$/m);
  });

  test('promtool check metrics passes on the output', () => {
    // promtool reads the exposition on stdin and exits non-zero on a format or lint problem.
    const output = promtoolComplaints(afterText);
    assert.equal(output, '', output);
  });

  test('requests are counted by route, provider, model, status class and error type, exactly', () => {
    assert.equal(delta(requestsSeries('model', 'a', 'a-only', '2xx', '')), 2, afterText);
    assert.equal(delta(requestsSeries('model', 'a', 'a-only', '2xx', 'api_error')), 1, 'a stream that broke after its 200');
    assert.equal(delta(requestsSeries('', '', '', '4xx', 'invalid_request_error')), 1, afterText);
    assert.equal(delta(requestsSeries('model', 'a', 'a-only', '5xx', 'api_error')), 1, afterText);
    assert.equal(delta(requestsSeries('model', 'b', 'b-second', '2xx', '')), 1, afterText);
    assert.equal(delta(requestsSeries('model', 'c', 'c-model', '2xx', '')), 1, afterText);
    assert.equal(delta(requestsSeries('model', 'k', 'k-model', '2xx', '')), 1, afterText);
    const all = [...after_.keys()].filter((key) => key.startsWith('ccgate_requests_total{')).reduce((sum, key) => sum + delta(key), 0);
    assert.equal(all, 8, 'eight requests, each counted once');
  });

  test('upstream attempts, retries and fallbacks are counted with their reasons', () => {
    const attempts = (provider, outcome) => delta(series('ccgate_upstream_attempts_total', { provider, outcome }));
    assert.equal(attempts('a', 'ok'), 3);
    assert.equal(attempts('a', 'server_error'), 2);
    assert.equal(attempts('b', 'ok'), 1);
    assert.equal(attempts('c', 'server_error'), 1);
    assert.equal(attempts('c', 'ok'), 1);
    assert.equal(attempts('k', 'rate_limited'), 1);
    assert.equal(attempts('k', 'ok'), 1);
    assert.equal(delta(series('ccgate_upstream_retries_total', { provider: 'c', reason: 'server_error' })), 1);
    assert.equal(delta(series('ccgate_upstream_retries_total', { provider: 'k', reason: 'rate_limited' })), 0, 'a key rotation is not a retry');
    assert.equal(delta(series('ccgate_fallbacks_total', { from: 'a', to: 'b', reason: 'server_error' })), 1);
  });

  test('tokens in, out and cache-read are counted by provider and model', () => {
    const tokens = (provider, model, kind) => delta(series('ccgate_tokens_total', { provider, model, kind }));
    assert.equal(tokens('a', 'a-only', 'in'), 12 + 12);
    assert.equal(tokens('a', 'a-only', 'cache_read'), 8);
    assert.equal(tokens('a', 'a-only', 'out'), 5 + 3);
    assert.equal(tokens('b', 'b-second', 'in'), 7);
    assert.equal(tokens('b', 'b-second', 'out'), 2);
  });

  test('the latency histograms count each request once, by door and provider', () => {
    const count = (name, labels) => delta(series(`${name}_count`, labels));
    assert.equal(count('ccgate_request_duration_seconds', { door: 'proxy', provider: 'a' }), 4);
    assert.equal(count('ccgate_request_duration_seconds', { door: 'proxy', provider: 'b' }), 1);
    assert.equal(count('ccgate_request_duration_seconds', { door: 'proxy', provider: '' }), 1);
    assert.equal(count('ccgate_time_to_first_byte_seconds', { door: 'proxy', provider: 'a' }), 4);
    assert.equal(count('ccgate_upstream_time_to_first_byte_seconds', { door: 'proxy', provider: 'a' }), 5);
    assert.equal(count('ccgate_upstream_time_to_first_byte_seconds', { door: 'proxy', provider: 'c' }), 2);
    const inf = after_.get(series('ccgate_request_duration_seconds_bucket', { door: 'proxy', provider: 'a', le: '+Inf' }));
    assert.equal(inf, after_.get(series('ccgate_request_duration_seconds_count', { door: 'proxy', provider: 'a' })));
  });

  test('body bytes in and out are counted for the door exactly', () => {
    assert.equal(delta(series('ccgate_received_body_bytes_total', { door: 'proxy' })), bodyBytes);
    assert.equal(delta(series('ccgate_sent_body_bytes_total', { door: 'proxy' })), sentBytes);
    assert.equal(after_.get(series('ccgate_open_streams', { door: 'proxy' })), 0, 'no stream left open');
  });

  test('a key cooling down shows per provider; the key itself never appears', () => {
    assert.equal(after_.get(series('ccgate_provider_keys_cooling', { provider: 'k' })), 1);
    assert.equal(after_.get(series('ccgate_provider_keys_cooling', { provider: 'a' })), 0);
    assert.doesNotMatch(afterText, /sk-k-one|sk-k-two|sk-a\b/);
  });

  test('the process figures are those of the ccgate process', () => {
    const rss = after_.get('ccgate_process_resident_memory_bytes');
    assert.ok(rss > 1024 * 1024, `RSS ${rss}`);
    const fds = fs.readdirSync(`/proc/${fx.gate.pid}/fd`).length;
    const reported = after_.get('ccgate_process_open_fds');
    assert.ok(Math.abs(reported - fds) <= 4, `open fds ${reported}, /proc shows ${fds}`);
    const threads = Number(/^Threads:\s+(\d+)/m.exec(fs.readFileSync(`/proc/${fx.gate.pid}/status`, 'utf8'))[1]);
    assert.equal(after_.get('ccgate_process_threads'), threads);
    const start = after_.get('ccgate_process_start_time_seconds');
    assert.ok(Math.abs(start - Date.now() / 1000) < 600, `start time ${start}`);
    assert.ok(after_.get('ccgate_uptime_seconds') >= 0);
    assert.ok(after_.get('ccgate_open_connections') >= 1, 'the scrape itself is a connection');
    assert.match(afterText, /^ccgate_build_info\{version="\d+\.\d+\.\d+",compiler="[a-z]+-[\d.]+"\} 1$/m);
  });
});

describe('GET /metrics: label sets from clients are bounded (METRICS_MAX_SERIES)', () => {
  let fx;
  before(async () => (fx = await ProxyFixture.start({ env: { METRICS_MAX_SERIES: 10 } })));
  after(() => fx?.stop());

  test('past the bound, new model names are counted under "other", and every request still is', async () => {
    // A non-Claude model name passes unchanged to the provider: each is a new label value.
    for (let i = 0; i < 15; ++i) {
      const response = await fx.postMessages({ model: `made-up-model-${i}`, max_tokens: 16, messages: [{ role: 'user', content: 'hi' }] });
      assert.equal(response.status, 200, await response.text());
    }
    // Each request is counted when its handler ends, just after the client has its answer.
    let samples;
    let requests;
    const total = () => requests.reduce((sum, [, value]) => sum + value, 0);
    await waitUntil(
      async () => {
        samples = parseSamples((await scrape(fx.url)).text);
        requests = [...samples.entries()].filter(([key]) => key.startsWith('ccgate_requests_total{'));
        return total() >= 15;
      },
      5000,
      'all 15 requests to be counted',
    );
    assert.ok(requests.length <= 11, `${requests.length} label sets kept: the bound and the one for "other"`);
    const other = series('ccgate_requests_total', { door: 'other', route: 'other', provider: 'other', model: 'other', status_class: 'other', error_type: 'other' });
    assert.ok(samples.get(other) >= 5, `the overflow is counted under "other": ${samples.get(other)}`);
    assert.equal(total(), 15, 'no request lost');
  });
});

describe('GET /metrics access', () => {
  let fx;
  before(async () => (fx = await ProxyFixture.start({ env: { METRICS_KEY: 'metrics-secret' } })));
  after(() => fx?.stop());

  test('without a key: 401 naming METRICS_KEY, before anything else is looked at', async () => {
    const answer = await scrape(fx.url);
    assert.equal(answer.status, 401);
    assert.match(answer.text, /METRICS_KEY/);
  });

  test('a wrong key: 401, as Bearer or as x-api-key', async () => {
    assert.equal((await scrape(fx.url, { authorization: 'Bearer nope' })).status, 401);
    assert.equal((await scrape(fx.url, { 'x-api-key': 'metrics-secre' })).status, 401);
    assert.equal((await scrape(fx.url, { 'x-api-key': 'sk-client-test' })).status, 401, 'a door key is not the metrics key');
  });

  test('the right key: 200 with the metrics, as Bearer or as x-api-key', async () => {
    const bearer = await scrape(fx.url, { authorization: 'Bearer metrics-secret' });
    assert.equal(bearer.status, 200);
    assert.match(bearer.text, /^ccgate_process_open_fds \d+$/m);
    assert.equal((await scrape(fx.url, { 'x-api-key': 'metrics-secret' })).status, 200);
  });

  test('only GET and HEAD (the key is checked first, as on the doors)', async () => {
    const keyless = await fetch(`${fx.url}/metrics`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{}' });
    assert.equal(keyless.status, 401);
    const keyed = await fetch(`${fx.url}/metrics`, { method: 'POST', headers: { 'content-type': 'application/json', 'x-api-key': 'metrics-secret' }, body: '{}' });
    assert.equal(keyed.status, 405);
  });
});

describe('GET /metrics: gateway sessions by state, tool calls waiting, sessions refused', { skip: claudeMissing }, () => {
  let gateway;
  before(async () => (gateway = await GatewayFixture.start({ env: { MAX_SESSIONS: 1 } })));
  after(() => gateway?.stop());

  const samples = async () => {
    const answer = await scrape(gateway.url);
    assert.equal(answer.status, 200, answer.text);
    return parseSamples(answer.text);
  };
  const sessions = (metrics, state) => metrics.get(series('ccgate_gateway_sessions', { state }));

  test('a session waiting for its tool result, a refused conversation, then an idle session', async () => {
    const start = await samples();
    assert.equal(sessions(start, 'waiting_for_tool') + sessions(start, 'running') + sessions(start, 'idle'), 0);
    assert.equal(start.get('ccgate_gateway_sessions_refused_total'), 0);

    const client = gateway.client();
    const ask = user('Please call get_weather with {"city":"Bern"} (metrics)');
    const first = await client.chat.completions.create({ model: MODEL, messages: [ask], tools: [weatherTool] });
    assert.equal(first.choices[0].finish_reason, 'tool_calls');
    await waitUntil(async () => (await samples()).get('ccgate_gateway_tool_calls_waiting') === 1, 10_000, "the CLI's call parked");
    const waiting = await samples();
    assert.equal(sessions(waiting, 'waiting_for_tool'), 1);
    assert.equal(sessions(waiting, 'idle'), 0);

    const refused = await rejectsWith(client.chat.completions.create({ model: MODEL, messages: [user('another conversation (metrics)')] }), OpenAI.RateLimitError);
    assert.equal(refused.status, 429);
    assert.equal((await samples()).get('ccgate_gateway_sessions_refused_total'), 1);

    const [call] = first.choices[0].message.tool_calls;
    const second = await client.chat.completions.create({
      model: MODEL,
      messages: [ask, assistantTurn(first.choices[0].message), toolMessage(call.id, 'Foggy in Bern')],
      tools: [weatherTool],
    });
    assert.equal(second.choices[0].finish_reason, 'stop');
    const done = await samples();
    assert.equal(sessions(done, 'idle'), 1, 'the conversation waits for its next request');
    assert.equal(sessions(done, 'waiting_for_tool'), 0);
    assert.equal(done.get('ccgate_gateway_tool_calls_waiting'), 0);
    assert.ok(done.get(series('ccgate_received_body_bytes_total', { door: 'gateway' })) > 0);
    assert.ok(done.get(series('ccgate_sent_body_bytes_total', { door: 'mcp' })) > 0, "the CLI's MCP exchanges are counted");
  });
});
