// GET /metrics over both doors (issue 12): one ccgate serves the proxy door (a MockOpenAI behind
// it) and the gateway door (the real Claude Code CLI against the mock model, the real `openai`
// SDK in front). A scripted mix of traffic on both, then the exact counter deltas: requests by
// door, route, provider, model, status class and error type; the gateway's tool calls by outcome;
// Claude Code starts (by kind) and exits (by cause); and promtool on the whole output. Then
// spares: started ahead, counted as spare (not running), and adopted by the next conversation.

import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import OpenAI from 'openai';

import { proxyDoorEnv } from './lib/common.js';
import {
  GatewayFixture,
  MODEL,
  assistantTurn,
  claudeMissing,
  rejectsWith,
  toolMessage,
  user,
  waitUntil,
  weatherTool,
  withTimeout,
} from './lib/gateway-harness.js';
import { parseSamples, promtoolComplaints, scrape, series } from './lib/metrics.js';
import { MockOpenAI, completion, usage } from './lib/mock-openai.js';

const CLIENT_CLOSED_MODEL_EVENTS = 4; // the model's events before it stalls

function gatewayRequests(route, model, statusClass, errorType) {
  return series('ccgate_requests_total', { door: 'gateway', route, provider: 'claude-code', model, status_class: statusClass, error_type: errorType });
}

const toolCalls = (outcome) => series('ccgate_gateway_tool_calls_total', { outcome });
const cliExits = (cause) => series('ccgate_gateway_cli_exits_total', { cause });
const cliStarts = (kind) => series('ccgate_gateway_cli_start_seconds_count', { kind });
const gatewayHistogramCount = (name) => series(`${name}_count`, { door: 'gateway', provider: 'claude-code' });
const EXIT_CAUSES = ['client_closed', 'turn_error', 'crashed', 'timeout', 'tool_call_timeout', 'idle', 'evicted', 'shutdown', 'deleted', 'replaced'];

async function samplesOf(url) {
  const answer = await scrape(url);
  assert.equal(answer.status, 200, answer.text);
  return { text: answer.text, samples: parseSamples(answer.text) };
}

// The sum of every sample of a family whose series starts with `prefix`.
function total(samples, prefix) {
  return [...samples.entries()].filter(([key]) => key.startsWith(prefix)).reduce((sum, [, value]) => sum + value, 0);
}

describe('GET /metrics after a scripted mix of traffic on both doors', { skip: claudeMissing }, () => {
  let upstream;
  let gateway;
  let before_;
  let after_;
  let afterText;
  const delta = (key) => (after_.get(key) ?? 0) - (before_.get(key) ?? 0);
  const deltaNow = async (key) => ((await samplesOf(gateway.url)).samples.get(key) ?? 0) - (before_.get(key) ?? 0);

  async function postMessages(body) {
    const response = await fetch(`${gateway.url}/v1/messages`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'anthropic-version': '2023-06-01' },
      body: typeof body === 'string' ? body : JSON.stringify(body),
    });
    return { status: response.status, text: await response.text() };
  }

  before(async () => {
    upstream = await MockOpenAI.start();
    gateway = await GatewayFixture.start({ env: { ...proxyDoorEnv(upstream), TOOL_CALL_TIMEOUT: 2 } });
    before_ = (await samplesOf(gateway.url)).samples;
    const client = gateway.client();

    // Proxy door: a 200 and a 400.
    upstream.enqueue({ json: completion({ content: 'plain', usage: usage(20, 5) }) });
    const proxied = await postMessages({ model: 'claude-haiku-4-5', max_tokens: 32, messages: [{ role: 'user', content: 'hi' }] });
    assert.equal(proxied.status, 200, proxied.text);
    const malformed = await postMessages('{"model": "claude-haiku-4-5", not json');
    assert.equal(malformed.status, 400, malformed.text);

    // Gateway door 1 and 2: a plain reply (a new conversation), then its continuation streamed.
    const hello = user('Say hello (metrics mix)');
    const plain = await client.chat.completions.create({ model: MODEL, messages: [hello] });
    assert.equal(plain.choices[0].finish_reason, 'stop');
    const stream = await client.chat.completions.create({
      model: MODEL,
      messages: [hello, assistantTurn(plain.choices[0].message), user('And once more, streamed (metrics mix)')],
      stream: true,
    });
    let streamed = '';
    for await (const chunk of stream) streamed += chunk.choices[0]?.delta?.content ?? '';
    assert.match(streamed, /once more/);

    // 3 and 4: a tool call handed out (a new conversation), and its result returned.
    const weather = user('Please call get_weather with {"city":"Bern"} (metrics mix)');
    const asked = await client.chat.completions.create({ model: MODEL, messages: [weather], tools: [weatherTool] });
    assert.equal(asked.choices[0].finish_reason, 'tool_calls');
    const [call] = asked.choices[0].message.tool_calls;
    const answered = await client.chat.completions.create({
      model: MODEL,
      messages: [weather, assistantTurn(asked.choices[0].message), toolMessage(call.id, 'Foggy in Bern')],
      tools: [weatherTool],
    });
    assert.equal(answered.choices[0].finish_reason, 'stop');

    // 5: a bad request (no messages).
    const bad = await rejectsWith(client.chat.completions.create({ model: MODEL, messages: [] }), OpenAI.BadRequestError);
    assert.equal(bad.status, 400);

    // 6 and 7: a tool call never answered (TOOL_CALL_TIMEOUT=2), then its result too late (404).
    const never = user('Please call get_weather with {"city":"Nuuk"} (metrics mix, never answered)');
    const unanswered = await client.chat.completions.create({ model: MODEL, messages: [never], tools: [weatherTool] });
    assert.equal(unanswered.choices[0].finish_reason, 'tool_calls');
    const [lateCall] = unanswered.choices[0].message.tool_calls;
    await waitUntil(async () => (await deltaNow(toolCalls('timed_out'))) === 1, 15_000, 'the unanswered tool call to time out');
    const late = await rejectsWith(
      client.chat.completions.create({
        model: MODEL,
        messages: [never, assistantTurn(unanswered.choices[0].message), toolMessage(lateCall.id, 'Too late')],
        tools: [weatherTool],
      }),
      OpenAI.NotFoundError,
    );
    assert.equal(late.status, 404);
    // Its CLI finishes the turn (the model gets the error result), then ends: only then is the
    // mock model free for the next script.
    await waitUntil(async () => (await deltaNow(cliExits('tool_call_timeout'))) === 1, 15_000, 'the timed-out conversation to end');

    // 8: a client that leaves mid-stream (the model stalls after a few events).
    gateway.model.enqueue({ text: 'This answer takes a long while to finish.', pauseAfterEvents: { count: CLIENT_CLOSED_MODEL_EVENTS, ms: 30_000 } });
    const controller = new AbortController();
    const leaving = await client.chat.completions.create(
      { model: MODEL, messages: [user('tell me slowly (metrics mix, client leaves)')], stream: true },
      { signal: controller.signal },
    );
    const reading = (async () => {
      try {
        for await (const chunk of leaving) if (chunk.choices[0]?.delta?.content) controller.abort();
      } catch (error) {
        if (!controller.signal.aborted) throw error;
      }
    })();
    await withTimeout(reading, 20_000, 'the first streamed words');

    // A request is counted when its handler ends, just after the client has its answer, and a
    // CLI's exit once it is reaped: scrape until all of them are in.
    await waitUntil(
      async () => {
        const { text, samples } = await samplesOf(gateway.url);
        after_ = samples;
        afterText = text;
        return (
          total(samples, 'ccgate_requests_total{') - total(before_, 'ccgate_requests_total{') >= 10 &&
          EXIT_CAUSES.reduce((sum, cause) => sum + delta(cliExits(cause)), 0) >= 2
        );
      },
      15_000,
      'every request and CLI exit to be counted',
      () => afterText,
    );
  });
  after(async () => {
    await gateway?.stop();
    await upstream?.close();
  });

  test('promtool check metrics passes on the output', () => {
    const complaints = promtoolComplaints(afterText);
    assert.equal(complaints, '', complaints);
  });

  test('gateway requests are counted by route, model, status class and error type, exactly', () => {
    assert.equal(delta(gatewayRequests('new', MODEL, '2xx', '')), 3, afterText);
    assert.equal(delta(gatewayRequests('continue', MODEL, '2xx', '')), 1, afterText);
    assert.equal(delta(gatewayRequests('tool_results', MODEL, '2xx', '')), 1, afterText);
    assert.equal(delta(gatewayRequests('', '', '4xx', 'invalid_request_error')), 1, afterText);
    assert.equal(delta(gatewayRequests('tool_results', MODEL, '4xx', 'invalid_request_error')), 1, 'the late result');
    assert.equal(delta(gatewayRequests('new', MODEL, '2xx', 'client_closed')), 1, 'the client that left');
    assert.equal(total(after_, 'ccgate_requests_total{door="gateway"') - total(before_, 'ccgate_requests_total{door="gateway"'), 8, afterText);
  });

  test('proxy requests are counted beside them, and every request once', () => {
    assert.equal(total(after_, 'ccgate_requests_total{door="proxy"') - total(before_, 'ccgate_requests_total{door="proxy"'), 2, afterText);
    assert.equal(
      [...after_.keys()].filter((key) => /^ccgate_requests_total\{door="proxy".*status_class="4xx",error_type="invalid_request_error"\}$/.test(key)).reduce((sum, key) => sum + delta(key), 0),
      1,
      afterText,
    );
    assert.equal(total(after_, 'ccgate_requests_total{') - total(before_, 'ccgate_requests_total{'), 10);
  });

  test('the gateway tokens are counted under claude-code and the client model', () => {
    const tokens = (kind) => delta(series('ccgate_tokens_total', { provider: 'claude-code', model: MODEL, kind }));
    // The mock model reports 9 output tokens per answer; each turn the client got counts its own.
    assert.ok(tokens('out') >= 9 && tokens('out') % 9 === 0, `out: ${tokens('out')}\n${afterText}`);
    assert.ok(tokens('in') > 0, afterText);
  });

  test('the gateway latency histograms count each request (and each model answer) once', () => {
    assert.equal(delta(gatewayHistogramCount('ccgate_request_duration_seconds')), 8);
    assert.equal(delta(gatewayHistogramCount('ccgate_time_to_first_byte_seconds')), 8);
    // Turns in which the model answered: the two replies, the call and its answer, the unanswered
    // call, the reply the client left: 6 (the two refused requests reach no model).
    assert.equal(delta(gatewayHistogramCount('ccgate_upstream_time_to_first_byte_seconds')), 6);
    const inf = after_.get(series('ccgate_request_duration_seconds_bucket', { door: 'gateway', provider: 'claude-code', le: '+Inf' }));
    assert.equal(inf, after_.get(gatewayHistogramCount('ccgate_request_duration_seconds')));
  });

  test('tool calls: one completed, one timed out, none cancelled', () => {
    assert.equal(delta(toolCalls('completed')), 1, afterText);
    assert.equal(delta(toolCalls('timed_out')), 1, afterText);
    assert.equal(delta(toolCalls('cancelled')), 0, afterText);
    assert.equal(after_.get('ccgate_gateway_tool_calls_waiting'), 0);
  });

  test('Claude Code starts by kind and exits by cause, exactly', () => {
    // Four conversations started a CLI: the plain one, the tool call, the unanswered call and the
    // one the client left.
    assert.equal(delta(cliStarts('conversation')), 4, afterText);
    assert.equal(delta(cliStarts('spare')), 0);
    assert.equal(delta(cliExits('tool_call_timeout')), 1, afterText);
    assert.equal(delta(cliExits('client_closed')), 1, afterText);
    for (const cause of EXIT_CAUSES.filter((name) => !['tool_call_timeout', 'client_closed'].includes(name))) {
      assert.equal(delta(cliExits(cause)), 0, `no exit for ${cause}`);
    }
    assert.equal(after_.get(series('ccgate_gateway_sessions', { state: 'idle' })), 2, 'the two finished conversations wait for more');
    assert.equal(delta('ccgate_gateway_sessions_evicted_total'), 0);
    assert.equal(delta('ccgate_gateway_sessions_refused_total'), 0);
  });
});

describe('GET /metrics: spare Claude Code sessions (SPARE_SESSIONS)', { skip: claudeMissing }, () => {
  let gateway;
  before(async () => (gateway = await GatewayFixture.start({ env: { SPARE_SESSIONS: 1 } })));
  after(() => gateway?.stop());

  test('a spare is counted as spare (not running), its start by kind, and the next conversation takes it', async () => {
    const client = gateway.client();
    const first = await client.chat.completions.create({ model: MODEL, messages: [user('first conversation (spares)')] });
    assert.equal(first.choices[0].finish_reason, 'stop');
    let samples;
    await waitUntil(
      async () => {
        samples = (await samplesOf(gateway.url)).samples;
        return samples.get(cliStarts('spare')) === 1;
      },
      15_000,
      'the spare to be ready (its MCP tools listed)',
    );
    assert.equal(samples.get(series('ccgate_gateway_sessions', { state: 'spare' })), 1, 'the spare is a spare');
    assert.equal(samples.get(series('ccgate_gateway_sessions', { state: 'running' })), 0, 'no turn runs');
    assert.equal(samples.get(series('ccgate_gateway_sessions', { state: 'idle' })), 1, 'the first conversation');
    assert.equal(samples.get(cliStarts('conversation')), 1);

    const second = await client.chat.completions.create({ model: MODEL, messages: [user('second conversation (spares)')] });
    assert.equal(second.choices[0].finish_reason, 'stop');
    await waitUntil(
      async () => {
        samples = (await samplesOf(gateway.url)).samples;
        return samples.get(gatewayRequests('spare', MODEL, '2xx', '')) === 1 && samples.get(cliStarts('spare')) === 2;
      },
      15_000,
      'the second conversation counted on the spare it took, and the next spare ready',
    );
    assert.equal(samples.get(gatewayRequests('new', MODEL, '2xx', '')), 1);
    assert.equal(samples.get(cliStarts('conversation')), 1, 'the second conversation started no CLI of its own');
  });
});
