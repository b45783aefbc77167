// Providers and routing (issue 11): a YAML file names several mock providers; the routes send
// each request to the right provider and model (scenarios, Claude families, direct selection),
// fall back to the next target on failures before the first byte and never after, and the
// response header x-ccgate-upstream names who answered. Driven by the real Anthropic SDK where
// it shows what a user sees, by fetch where headers and statuses matter.

import assert from 'node:assert/strict';
import net from 'node:net';
import { after, afterEach, before, beforeEach, describe, test } from 'node:test';

import { readSSE, waitUntil } from './lib/harness.js';
import { completion, textStream } from './lib/mock-openai.js';
import { RoutingFixture, ask } from './lib/routing-harness.js';

// A port nothing listens on: connecting to it is refused.
async function closedPort() {
  const server = net.createServer();
  await new Promise((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address();
  await new Promise((resolve) => server.close(resolve));
  return port;
}

function routedConfig(mocks, deadPort) {
  return `
providers:
  - name: a
    base_url: ${mocks.a.baseURL}
    api_key: sk-a
    max_retries: 0
    timeouts: {first_byte: 1}
    models:
      a-small: {max_output_tokens: 1000}
  - name: b
    base_url: ${mocks.b.baseURL}
    api_key: sk-b
    max_retries: 0
  - name: c
    base_url: ${mocks.c.baseURL}
    api_key: sk-c
    max_retries: 0
  - name: dead
    base_url: http://127.0.0.1:${deadPort}/v1
    api_key: sk-dead
    max_retries: 0
routes:
  default: [a/a-default, b/b-default]
  opus: c/c-opus
  sonnet: [a/a-sonnet, b/b-sonnet]
  haiku: a/a-small
  background: b/b-background
  think: c/c-think
  long_context: c/c-long
  long_context_threshold: 2000
  web_search: b/b-search
  models:
    via-dead: [dead/d-model, b/b-after-dead]
    gpt-4o: c/c-gpt-4o
`;
}

async function startRouted() {
  const dead = await closedPort();
  return RoutingFixture.start({ providers: ['a', 'b', 'c'], config: (mocks) => routedConfig(mocks, dead) });
}

describe('routing: scenarios, families and direct selection', () => {
  let fx;
  before(async () => (fx = await startRouted()));
  after(() => fx?.stop());
  beforeEach(() => fx.reset());

  const cases = [
    ['a sonnet name goes to the sonnet route', ask('claude-sonnet-4-5'), 'a', 'a-sonnet'],
    ['an opus name goes to the opus route', ask('claude-opus-4-1'), 'c', 'c-opus'],
    ['a haiku name is a background call', ask('claude-haiku-4-5'), 'b', 'b-background'],
    ['an unknown Claude family (what --model fable sends) goes to the middle tier, never raw', ask('claude-fable-5-2'), 'a', 'a-sonnet'],
    ['thinking enabled goes to the think route', ask('claude-sonnet-4-5', { max_tokens: 4096, thinking: { type: 'enabled', budget_tokens: 2048 } }), 'c', 'c-think'],
    ['the web_search server tool goes to the web_search route', ask('claude-sonnet-4-5', { tools: [{ type: 'web_search_20250305', name: 'web_search', max_uses: 2 }] }), 'b', 'b-search'],
    ['a long context goes to the long_context route', ask('claude-sonnet-4-5', { messages: [{ role: 'user', content: 'word '.repeat(4000) }] }), 'c', 'c-long'],
    ['an exact model route', ask('gpt-4o'), 'c', 'c-gpt-4o'],
    ['a non-Claude name passes unchanged to the default route\'s provider', ask('llama-3.3-70b'), 'a', 'llama-3.3-70b'],
    ['"provider/model" picks the target directly', ask('c/some-model'), 'c', 'some-model'],
    ['"provider,model" (claude-code-router\'s form) picks the target directly', ask('b,other-model'), 'b', 'other-model'],
    ['a slash name whose prefix is no provider is a model name: passed unchanged', ask('meta-llama/llama-3.3-70b'), 'a', 'meta-llama/llama-3.3-70b'],
    ['a slash name whose prefix is no provider is a model name: a Claude one is the middle tier', ask('anthropic/claude-x-model'), 'a', 'a-sonnet'],
  ];
  for (const [name, body, provider, model] of cases) {
    test(name, async () => {
      const answer = await fx.post(body);
      assert.equal(answer.status, 200, answer.text);
      assert.equal(answer.upstream, `${provider}/${model}`);
      assert.equal(fx.mocks[provider].requests.at(-1)?.body?.model, model, JSON.stringify(fx.modelsAsked()));
      assert.equal(answer.json.model, body.model, 'the client sees its own model name');
    });
  }

  test('the real SDK sees the answer of the routed provider', async () => {
    fx.mocks.c.enqueue({ json: completion({ content: 'from c' }) });
    const message = await fx.client().messages.create(ask('claude-opus-4-1'));
    assert.equal(message.content[0].text, 'from c');
  });

  test('the per-model max-token clamp: max_tokens above the model\'s max_output_tokens is lowered to it', async () => {
    const answer = await fx.post(ask('claude-haiku-4-5', { max_tokens: 32000, model: 'a/a-small' }));
    assert.equal(answer.status, 200, answer.text);
    assert.equal(fx.mocks.a.requests[0].body.max_tokens, 1000);
    const other = await fx.post(ask('b/b-model', { max_tokens: 32000 }));
    assert.equal(other.status, 200);
    assert.equal(fx.mocks.b.requests.at(-1).body.max_tokens, 32000, 'no clamp where the model has none');
  });
});

describe('routing: fallback before the first byte, never after', () => {
  let fx;
  before(async () => (fx = await startRouted()));
  after(() => fx?.stop());
  beforeEach(() => fx.reset());

  const triggers = [
    // Retry-After: 0, so the key does not cool down and the tests after this one still reach a.
    ['429', { status: 429, headers: { 'retry-after': '0' }, json: { error: { message: 'slow down', type: 'rate_limit' } } }],
    ['500', { status: 500, json: { error: { message: 'boom' } } }],
    ['503', { status: 503, json: { error: { message: 'overloaded' } } }],
    ['400 context too long', { status: 400, json: { error: { message: "This model's maximum context length is 8192 tokens", code: 'context_length_exceeded' } } }],
    ['a timeout before the first byte', { hang: true }],
    ['an HTML page instead of an answer', { status: 200, body: '<html>captive portal</html>', headers: { 'content-type': 'text/html' } }],
  ];
  for (const [name, failure] of triggers) {
    for (const stream of [false, true]) {
      test(`${name} on the first target: the next one answers (${stream ? 'streaming' : 'not streaming'})`, async () => {
        fx.mocks.a.enqueue(failure);
        const answer = await fx.post(ask('claude-sonnet-4-5', { stream }));
        assert.equal(answer.status, 200, answer.text);
        assert.equal(answer.upstream, 'b/b-sonnet');
        assert.equal(fx.mocks.a.requests.length, 1);
        assert.equal(fx.mocks.b.requests.length, 1);
        assert.equal(fx.mocks.b.requests[0].body.model, 'b-sonnet');
        if (stream) assert.match(answer.text, /event: message_stop/);
        await waitUntil(() => /→ b\/b-sonnet via sonnet \(passed over a\/a-sonnet: /.test(fx.gate.stderr), 2000, 'the log line naming the fallback', () => fx.gate.stderr);
      });
    }
  }

  test('a connect error on the first target: the next one answers', async () => {
    const answer = await fx.post(ask('via-dead'));
    assert.equal(answer.status, 200, answer.text);
    assert.equal(answer.upstream, 'b/b-after-dead');
  });

  test('a plain 400 is the client\'s error: no fallback, the client gets it', async () => {
    fx.mocks.a.enqueue({ status: 400, json: { error: { message: 'temperature: out of range' } } });
    const answer = await fx.post(ask('claude-sonnet-4-5'));
    assert.equal(answer.status, 400);
    assert.equal(answer.json.type, 'error');
    assert.match(answer.json.error.message, /temperature: out of range/);
    assert.equal(answer.upstream, 'a/a-sonnet');
    assert.equal(fx.mocks.b.requests.length, 0);
  });

  test('every target fails: the last failure reaches the client, in its protocol', async () => {
    fx.mocks.a.enqueue({ status: 503, json: { error: { message: 'a is down' } } });
    fx.mocks.b.enqueue({ status: 503, json: { error: { message: 'b is down' } } });
    const answer = await fx.post(ask('claude-sonnet-4-5'));
    assert.equal(answer.status, 529);
    assert.equal(answer.json.error.type, 'overloaded_error');
    assert.match(answer.json.error.message, /b is down/);
    assert.equal(answer.upstream, 'b/b-sonnet');
  });

  test('no fallback after the first byte: a stream that breaks ends in an error event', async () => {
    fx.mocks.a.enqueue({ stream: textStream(['Hel', 'lo', ' there']), destroyAfter: 2 });
    const response = await fetch(`${fx.url}/v1/messages`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'anthropic-version': '2023-06-01', 'x-api-key': 'sk-client-test' },
      body: JSON.stringify(ask('claude-sonnet-4-5', { stream: true })),
    });
    assert.equal(response.status, 200);
    assert.equal(response.headers.get('x-ccgate-upstream'), 'a/a-sonnet');
    const events = await readSSE(response);
    assert.equal(events.at(-1).event, 'error');
    assert.equal(fx.mocks.b.requests.length, 0, 'the second target was not asked');
  });
});

describe('key pools: round robin, cooldown on 429, out on 401', () => {
  let fx;
  const config = (mocks) => `
providers:
  - name: a
    base_url: ${mocks.a.baseURL}
    keys: [sk-one, sk-two, sk-three]
    max_retries: 0
  - name: b
    base_url: ${mocks.b.baseURL}
    api_key: sk-b
routes:
  default: [a/a-model, b/b-model]
`;
  const keyOf = (request) => request.headers.authorization;
  beforeEach(async () => {
    fx = await RoutingFixture.start({ providers: ['a', 'b'], config });
  });
  afterEach(() => fx?.stop());

  test('requests spread over the keys in turn', async () => {
    for (let i = 0; i < 6; i++) assert.equal((await fx.post(ask('claude-sonnet-4-5'))).status, 200);
    const keys = fx.mocks.a.requests.map(keyOf);
    assert.deepEqual(keys, ['Bearer sk-one', 'Bearer sk-two', 'Bearer sk-three', 'Bearer sk-one', 'Bearer sk-two', 'Bearer sk-three']);
  });

  test('a key that gets 429 cools down: the same request goes on with the next key, and later ones skip it', async () => {
    fx.mocks.a.enqueue({ status: 429, headers: { 'retry-after': '30' }, json: { error: { message: 'slow down' } } });
    const first = await fx.post(ask('claude-sonnet-4-5'));
    assert.equal(first.status, 200, first.text);
    assert.equal(first.upstream, 'a/a-model');
    for (let i = 0; i < 4; i++) assert.equal((await fx.post(ask('claude-sonnet-4-5'))).status, 200);
    const keys = fx.mocks.a.requests.map(keyOf);
    assert.deepEqual(keys.slice(0, 2), ['Bearer sk-one', 'Bearer sk-two']);
    assert.ok(!keys.slice(1).includes('Bearer sk-one'), `sk-one cools for 30 s: ${keys}`);
  });

  test('a key that gets 401 is taken out and logged once, without the key', async () => {
    fx.mocks.a.enqueue({ status: 401, json: { error: { message: 'bad key' } } });
    for (let i = 0; i < 5; i++) assert.equal((await fx.post(ask('claude-sonnet-4-5'))).status, 200);
    const keys = fx.mocks.a.requests.map(keyOf);
    assert.equal(keys.filter((k) => k === 'Bearer sk-one').length, 1, `${keys}`);
    await waitUntil(() => /key 1 of 3 refused/.test(fx.gate.stderr), 2000, 'the refused key to be logged');
    assert.equal((fx.gate.stderr.match(/key 1 of 3 refused/g) ?? []).length, 1, fx.gate.stderr);
    assert.doesNotMatch(fx.gate.stderr, /sk-one|sk-two|sk-three/);
  });

  test('every key cooling: the route moves on to its next target at once', async () => {
    for (let i = 0; i < 3; i++) fx.mocks.a.enqueue({ status: 429, headers: { 'retry-after': '30' }, json: { error: { message: 'slow down' } } });
    const first = await fx.post(ask('claude-sonnet-4-5'));
    assert.equal(first.status, 200, first.text);
    assert.equal(first.upstream, 'b/b-model');
    assert.equal(fx.mocks.a.requests.length, 3, 'each key tried once');
    const second = await fx.post(ask('claude-sonnet-4-5'));
    assert.equal(second.upstream, 'b/b-model');
    assert.equal(fx.mocks.a.requests.length, 3, 'a cooling provider is passed over without a request');
  });
});

describe('max_concurrent: a provider at its cap is passed over', () => {
  let fx;
  const config = (mocks, chain) => `
providers:
  - name: a
    base_url: ${mocks.a.baseURL}
    api_key: sk-a
    max_concurrent: 1
  - name: b
    base_url: ${mocks.b.baseURL}
    api_key: sk-b
routes:
  default: ${chain}
  models:
    only-a: a/a-model
`;
  before(async () => {
    fx = await RoutingFixture.start({ providers: ['a', 'b'], config: (mocks) => config(mocks, '[a/a-model, b/b-model]') });
  });
  after(() => fx?.stop());

  test('with one request in flight at a, the next goes to b without asking a; alone, a cap gives 529', async () => {
    fx.mocks.a.enqueue({ stream: textStream(['slow ', 'answer']), pauseAfter: { chunks: 1, ms: 1500 } });
    const held = fx.post(ask('claude-sonnet-4-5', { stream: true }));
    await fx.mocks.a.waitForRequests(1);
    const next = await fx.post(ask('claude-sonnet-4-5'));
    assert.equal(next.status, 200, next.text);
    assert.equal(next.upstream, 'b/b-model');
    const alone = await fx.post(ask('only-a'));
    assert.equal(alone.status, 529, alone.text);
    assert.equal(alone.json.error.type, 'overloaded_error');
    assert.match(alone.json.error.message, /max_concurrent \(1/);
    assert.equal(fx.mocks.a.requests.length, 1, 'a was never asked beyond its cap');
    assert.equal((await held).status, 200);
    const after = await fx.post(ask('only-a'));
    assert.equal(after.status, 200, 'the place is given back when the stream ends');
  });
});

describe('reload: SIGHUP swaps the routes atomically', () => {
  let fx;
  const config = (mocks, target) => `
providers:
  - name: a
    base_url: ${mocks.a.baseURL}
    api_key: sk-a
  - name: b
    base_url: ${mocks.b.baseURL}
    api_key: sk-b
routes:
  default: ${target}
`;
  before(async () => {
    fx = await RoutingFixture.start({ providers: ['a', 'b'], config: (mocks) => config(mocks, 'a/a-model') });
  });
  after(() => fx?.stop());

  test('50 streams running through a reload all finish; new requests use the new routes', async () => {
    fx.mocks.a.defaultRule = () => ({ stream: textStream(['one ', 'two ', 'three']), pauseAfter: { chunks: 2, ms: 1500 } });
    const client = fx.client();
    const streams = Array.from({ length: 50 }, async () => {
      const stream = client.messages.stream(ask('claude-sonnet-4-5'));
      return stream.finalMessage();
    });
    await fx.mocks.a.waitForRequests(50, 10_000);
    const logged = await fx.reload(config(fx.mocks, 'b/b-model'));
    assert.match(logged, /configuration reloaded/);
    const fresh = await fx.post(ask('claude-sonnet-4-5'));
    assert.equal(fresh.upstream, 'b/b-model');
    const finished = await Promise.allSettled(streams);
    const failed = finished.filter((r) => r.status === 'rejected');
    assert.equal(failed.length, 0, failed.map((r) => r.reason?.message).join('; '));
    for (const r of finished) assert.equal(r.value.content[0].text, 'one two three');
  });

  test('a bad file at reload changes nothing and is logged with its line', async () => {
    const logged = await fx.reload(`${config(fx.mocks, 'b/b-model')}\n  think: nowhere/x\n`);
    assert.match(logged, /configuration not reloaded: .*ccgate\.yaml:\d+: routes\.think/);
    const answer = await fx.post(ask('claude-sonnet-4-5'));
    assert.equal(answer.upstream, 'b/b-model');
  });
});
