// Request ids (issue 12, "Logs"): every response carries the request's id as x-request-id and
// request-id, a client's valid x-request-id is kept and reaches the upstream on every attempt, an
// invalid one is replaced (never echoed), errors ccgate answers itself carry one too, and with
// LOG_FORMAT=json every log line is one JSON object whose request lines name the id.

import assert from 'node:assert/strict';
import { after, before, beforeEach, describe, test } from 'node:test';

import { ProxyFixture, user, waitUntil } from './lib/harness.js';
import { GatewayFixture, MODEL, claudeMissing } from './lib/gateway-harness.js';
import { completion } from './lib/mock-openai.js';
import { RawConnection } from './lib/probes.js';

const GENERATED = /^req_[0-9A-Za-z]{24}$/;

// The lines ccgate wrote so far, each parsed (a line that is not JSON fails the test).
function jsonLines(stderr) {
  return stderr
    .split('\n')
    .filter((line) => line !== '')
    .map((line) => {
      try {
        return JSON.parse(line);
      } catch {
        assert.fail(`a log line is not JSON: ${JSON.stringify(line)}`);
      }
    });
}

async function requestLine(gate, id, status) {
  let found;
  await waitUntil(
    () => (found = jsonLines(gate.stderr).find((line) => line.id === id && line.status === status)),
    5000,
    `a request line with id ${id} and status ${status}`,
    () => `in:\n${gate.stderr}`,
  );
  return found;
}

function idsOf(response) {
  return { x: response.headers.get('x-request-id'), anthropic: response.headers.get('request-id') };
}

describe('request ids on the proxy door (LOG_FORMAT=json)', () => {
  let proxy;

  before(async () => {
    proxy = await ProxyFixture.start({ env: { LOG_FORMAT: 'json', MAX_BODY_SIZE: 4096, MAX_RETRIES: 1 } });
  });
  after(() => proxy?.stop());
  beforeEach(() => proxy.mock.reset());

  test('the Anthropic SDK gets an id back, the same one upstream received and the log names', async () => {
    proxy.mock.enqueue({ json: completion({ content: 'hi' }) });
    const { response, request_id: sdkId } = await proxy
      .client()
      .messages.create({ model: 'claude-sonnet-4-6', max_tokens: 10, messages: [user('hi')] })
      .withResponse();
    const { x, anthropic } = idsOf(response);
    assert.match(x, GENERATED);
    assert.equal(anthropic, x, 'request-id and x-request-id carry the same id');
    assert.equal(sdkId, x, "the SDK's request_id is the id");
    const [upstream] = await proxy.mock.waitForRequests(1);
    assert.equal(upstream.headers['x-request-id'], x, 'the upstream received the id');

    const line = await requestLine(proxy.gate, x, 200);
    assert.equal(line.level, 'info');
    assert.equal(line.method, 'POST');
    assert.equal(line.path, '/v1/messages');
    assert.equal(line.model, 'claude-sonnet-4-6');
    assert.match(line.route, /\S/, 'the route that chose the target');
    assert.match(line.target, /\S/);
    assert.equal(typeof line.duration_ms, 'number');
    assert.equal(typeof line.tokens_in, 'number');
    assert.equal(typeof line.tokens_out, 'number');
  });

  test("a client's valid x-request-id is kept, returned and sent upstream on every attempt", async () => {
    const id = 'trace-7f3c2a10/9b1e:4c55;attempt=1';
    proxy.mock.enqueue({ status: 500, json: { error: { message: 'try again' } } });
    proxy.mock.enqueue({ json: completion({ content: 'second time lucky' }) });
    const { response } = await proxy
      .client()
      .messages.create({ model: 'claude-sonnet-4-6', max_tokens: 10, messages: [user('hi')] }, { headers: { 'x-request-id': id } })
      .withResponse();
    assert.deepEqual(idsOf(response), { x: id, anthropic: id });
    const attempts = await proxy.mock.waitForRequests(2);
    assert.deepEqual(
      attempts.map((request) => request.headers['x-request-id']),
      [id, id],
      'the retry carries the same id',
    );
    await requestLine(proxy.gate, id, 200);
  });

  test('a streamed answer carries the id too', async () => {
    const id = 'stream-id-1';
    const response = await proxy.postMessages(
      { model: 'claude-sonnet-4-6', max_tokens: 10, stream: true, messages: [user('hi')] },
      { headers: { 'x-request-id': id } },
    );
    assert.equal(response.status, 200);
    assert.deepEqual(idsOf(response), { x: id, anthropic: id });
    await response.text();
    const [upstream] = await proxy.mock.waitForRequests(1);
    assert.equal(upstream.headers['x-request-id'], id);
  });

  for (const [what, bad] of [
    ['10 KB long', 'a'.repeat(10 * 1024)],
    ['129 bytes long', 'b'.repeat(129)],
    ['with a space', 'two words'],
    ['with a quote', 'say"hi'],
    ['with a backslash', 'back\\slash'],
  ]) {
    test(`an x-request-id ${what} is replaced by a new id, never echoed`, async () => {
      proxy.mock.enqueue({ json: completion({ content: 'hi' }) });
      const response = await proxy.postMessages(
        { model: 'claude-sonnet-4-6', max_tokens: 10, messages: [user('hi')] },
        { headers: { 'x-request-id': bad } },
      );
      assert.equal(response.status, 200);
      const { x, anthropic } = idsOf(response);
      assert.match(x, GENERATED);
      assert.equal(anthropic, x);
      const [upstream] = await proxy.mock.waitForRequests(1);
      assert.equal(upstream.headers['x-request-id'], x, 'the upstream gets the new id, not the bad one');
      assert.ok(!proxy.gate.stderr.includes(bad), 'the bad id is not written to the log');
    });
  }

  test('errors ccgate answers itself carry the id: a malformed body (400), a body over MAX_BODY_SIZE (413), a refused origin (403), no route (404)', async () => {
    const malformed = await proxy.postMessages('{"model": ', { headers: { 'x-request-id': 'bad-json-1' } });
    assert.equal(malformed.status, 400);
    assert.deepEqual(idsOf(malformed), { x: 'bad-json-1', anthropic: 'bad-json-1' });
    assert.equal((await malformed.json()).error.type, 'invalid_request_error');

    const large = await proxy.postMessages(
      { model: 'claude-sonnet-4-6', max_tokens: 10, messages: [user('x'.repeat(8192))] },
      { headers: { 'x-request-id': 'too-large-1' } },
    );
    assert.equal(large.status, 413);
    assert.deepEqual(idsOf(large), { x: 'too-large-1', anthropic: 'too-large-1' });
    assert.equal((await large.json()).type, 'error');
    const line = await requestLine(proxy.gate, 'too-large-1', 413);
    assert.equal(line.path, '/v1/messages');
    assert.match(line.error, /too large/);

    const foreign = await proxy.postMessages(
      { model: 'claude-sonnet-4-6', max_tokens: 10, messages: [user('hi')] },
      { headers: { 'x-request-id': 'foreign-origin-1', origin: 'http://evil.example' } },
    );
    assert.equal(foreign.status, 403, 'admission refuses an origin CORS_ORIGINS does not list');
    assert.deepEqual(idsOf(foreign), { x: 'foreign-origin-1', anthropic: 'foreign-origin-1' });
    assert.match((await requestLine(proxy.gate, 'foreign-origin-1', 403)).error, /CORS_ORIGINS/);

    const unknown = await proxy.fetch('/v2/nothing', { headers: { 'x-request-id': 'no-route-1' } });
    assert.equal(unknown.status, 404);
    assert.deepEqual(idsOf(unknown), { x: 'no-route-1', anthropic: 'no-route-1' });
    assert.equal(proxy.mock.requests.length, 0, 'none of these reached the upstream');
  });

  test('a request the HTTP parser refuses (400) gets a new id, in the response and the log', async () => {
    const raw = await RawConnection.open(proxy.gate.port);
    await raw.write('POST /v1/messages HTTP/1.1\r\nHost: x\r\nx-request-id: keep-me\r\nContent-Length: nope\r\n\r\n');
    await raw.closed;
    assert.equal(raw.status, 400);
    const id = /\r\nx-request-id: (\S+)\r\n/i.exec(raw.received)?.[1];
    assert.match(id ?? '', GENERATED, `the 400 carries a new id: ${raw.received}`);
    assert.match(raw.received, new RegExp(`\\r\\nrequest-id: ${id}\\r\\n`, 'i'));
    await requestLine(proxy.gate, id, 400);
  });

  test('every line on stderr is one JSON object with a time and a level, start-up lines included', async () => {
    const lines = jsonLines(proxy.gate.stderr);
    assert.ok(lines.length >= 3);
    for (const line of lines) {
      assert.match(line.time, /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/);
      assert.match(line.level, /^(trace|debug|info|warning|error|critical)$/);
    }
    assert.ok(lines.some((line) => /listening on/.test(line.message)), 'the start-up line is a JSON message');
  });

  test('a hostile model name and path stay inside their JSON strings', async () => {
    proxy.mock.enqueue({ json: completion({ content: 'hi' }) });
    const model = 'claude-"x"}\n{"level":"critical",\\ \u0001 é';
    const response = await proxy.postMessages({ model, max_tokens: 10, messages: [user('hi')] }, { headers: { 'x-request-id': 'hostile-1' } });
    assert.equal(response.status, 200);
    const line = await requestLine(proxy.gate, 'hostile-1', 200);
    assert.equal(line.model, model);
    assert.ok(!jsonLines(proxy.gate.stderr).some((each) => each.level === 'critical'));
  });
});

describe('request ids: a provider header named x-request-id', () => {
  test('a configured x-request-id is sent as configured, and start-up warns that it replaces the ids', async () => {
    const proxy = await ProxyFixture.start({ env: { CUSTOM_HEADER_X_REQUEST_ID: 'fixed-by-operator' } });
    try {
      assert.match(proxy.gate.stderr, /warn.*x-request-id header is sent instead of each request's id/);
      const response = await proxy.postMessages({ model: 'claude-sonnet-4-6', max_tokens: 10, messages: [user('hi')] });
      assert.equal(response.status, 200);
      const id = response.headers.get('x-request-id');
      assert.match(id, GENERATED, 'the client still gets its own id');
      const [upstream] = await proxy.mock.waitForRequests(1);
      assert.equal(upstream.headers['x-request-id'], 'fixed-by-operator');
      // The text format carries the id at the start of the request line.
      await waitUntil(() => proxy.gate.stderr.includes(`${id} POST /v1/messages 200 `), 5000, 'the text request line');
    } finally {
      await proxy.stop();
    }
  });
});

describe('request ids on the gateway door (the OpenAI SDK)', { skip: claudeMissing }, () => {
  let gateway;

  before(async () => {
    gateway = await GatewayFixture.start();
  });
  after(() => gateway?.stop());

  test('a completion gets a new id back, in both headers and on the text log line', async () => {
    const { data, response, request_id: sdkId } = await gateway
      .client()
      .chat.completions.create({ model: MODEL, messages: [user('say hi for the id test')] })
      .withResponse();
    assert.equal(data.object, 'chat.completion');
    const { x, anthropic } = idsOf(response);
    assert.match(x, GENERATED);
    assert.equal(anthropic, x);
    assert.equal(sdkId, x, "the SDK's request_id is the id");
    const line = new RegExp(`${x} POST /v1/chat/completions 200 ${MODEL} → claude session \\S+ stop in=`);
    await waitUntil(() => line.test(gateway.gate.stderr), 5000, 'the request line with the id', () => gateway.gate.stderr);
  });

  test("a client's id is kept, and an error the door answers carries it", async () => {
    const client = gateway.client();
    const error = await client.chat.completions
      .create({ model: MODEL, messages: [] }, { headers: { 'x-request-id': 'gw-client-7' } })
      .then(() => assert.fail('an empty messages list was accepted'))
      .catch((caught) => caught);
    assert.equal(error.status, 400);
    assert.equal(error.requestID, 'gw-client-7', "the SDK's error names the id");
    assert.equal(error.headers.get('request-id'), 'gw-client-7');

    const refused = await gateway.postChat({ model: MODEL, messages: [user('hi')] }, { apiKey: 'sk-wrong', headers: { 'x-request-id': 'gw-bad-key' } });
    assert.equal(refused.status, 401);
    assert.deepEqual(idsOf(refused), { x: 'gw-bad-key', anthropic: 'gw-bad-key' });
    assert.equal((await refused.json()).error.code, 'invalid_api_key');
    const refusal = /gw-bad-key POST \/v1\/chat\/completions 401 Incorrect API key/;
    await waitUntil(() => refusal.test(gateway.gate.stderr), 5000, 'the refusal logged with its id', () => gateway.gate.stderr);
  });
});

describe('LOG_FORMAT=json on the gateway door (debug level, the CLI and its MCP calls)', { skip: claudeMissing }, () => {
  test('every line of a whole turn, tool call included, is JSON, and the request line has the id', async () => {
    const gateway = await GatewayFixture.start({ env: { LOG_FORMAT: 'json' } });
    try {
      const tools = [{ type: 'function', function: { name: 'get_weather', description: 'weather', parameters: { type: 'object', properties: { city: { type: 'string' } } } } }];
      const { data, response } = await gateway
        .client()
        .chat.completions.create({ model: MODEL, tools, messages: [user('call get_weather with {"city":"Oslo"}')] }, { headers: { 'x-request-id': 'gw-json-1' } })
        .withResponse();
      assert.equal(data.choices[0].finish_reason, 'tool_calls');
      assert.equal(response.headers.get('x-request-id'), 'gw-json-1');
      const line = await requestLine(gateway.gate, 'gw-json-1', 200);
      assert.equal(line.path, '/v1/chat/completions');
      assert.equal(line.model, MODEL);
      assert.equal(line.target, 'claude');
      assert.equal(line.finish, 'tool_calls');
      assert.match(line.session, /^\w{8}$/);
      const lines = jsonLines(gateway.gate.stderr);
      assert.ok(lines.some((each) => each.level === 'debug'), 'debug lines are JSON too');
      assert.ok(lines.some((each) => each.mcp === 'gateway'), "the CLI's MCP requests are request lines");
    } finally {
      await gateway.stop();
    }
  });
});
