// Safe by default, seen from outside: where ccgate listens, who it answers (other machines,
// DNS-rebinding pages, cross-site pages and forms), keys checked from the request head alone,
// and what its answers reveal. Other machines are played by this machine's own non-loopback
// address.

import Anthropic from '@anthropic-ai/sdk';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import net from 'node:net';
import { describe, test } from 'node:test';
import OpenAI from 'openai';

import { Ccgate, ccgateBinary } from './lib/ccgate.js';
import { MODELS, ProxyFixture, UPSTREAM_KEY, rejectsWith, sleep, user } from './lib/harness.js';
import { nonLoopbackIPv4, plainRequest } from './lib/plain-http.js';
import { RawConnection } from './lib/probes.js';

const remoteAddress = nonLoopbackIPv4();
const noRemote = remoteAddress ? false : 'this machine has no non-loopback IPv4 address (the unit tests cover the rule)';

const MESSAGE = { model: 'claude-sonnet-4-6', max_tokens: 20, messages: [user('hi')] };
const CHAT = { model: 'sonnet', messages: [{ role: 'user', content: 'hi' }] };

function anthropicClient(baseURL, apiKey = 'sk-any') {
  return new Anthropic({ baseURL, apiKey, maxRetries: 0, timeout: 10_000 });
}

function openaiClient(baseURL, apiKey = 'sk-any') {
  return new OpenAI({ baseURL: `${baseURL}/v1`, apiKey, maxRetries: 0, timeout: 10_000 });
}

function connectionRefused(address, port) {
  return new Promise((resolve) => {
    const socket = net.connect({ host: address, port });
    socket.once('connect', () => {
      socket.destroy();
      resolve(false);
    });
    socket.once('error', (error) => resolve(error.code === 'ECONNREFUSED'));
  });
}

function jsonPost(proxy, path, body, headers = {}) {
  return plainRequest({
    port: proxy.gate.port,
    method: 'POST',
    path,
    headers: { host: `127.0.0.1:${proxy.gate.port}`, 'content-type': 'application/json', 'anthropic-version': '2023-06-01', ...headers },
    body: JSON.stringify(body),
  });
}

const accessControlHeaders = (headers) => Object.keys(headers).filter((name) => name.startsWith('access-control-'));

describe('safe by default: where ccgate listens', () => {
  test('HOST defaults to 127.0.0.1: other machines cannot even connect, and --help says so', async (t) => {
    const gate = await Ccgate.start({ host: null, env: { OPENAI_BASE_URL: 'http://127.0.0.1:9/v1', OPENAI_API_KEY: UPSTREAM_KEY } });
    t.after(() => gate.stop());
    assert.equal(gate.host, '127.0.0.1');
    if (remoteAddress) assert.ok(await connectionRefused(remoteAddress, gate.port), `${remoteAddress}:${gate.port} accepted a connection`);
    const help = spawnSync(ccgateBinary, ['--help'], { encoding: 'utf8' });
    assert.match(help.stdout, /HOST, default 127\.0\.0\.1/);
  });

  test('on a network address, a door without its key refuses other machines with 403 naming the variable', { skip: noRemote }, async (t) => {
    const proxy = await ProxyFixture.start({ host: '0.0.0.0' });
    t.after(() => proxy.stop());
    const remote = `http://${remoteAddress}:${proxy.gate.port}`;
    assert.match(proxy.gate.stderr, /ANTHROPIC_API_KEY is not set: the proxy door refuses clients that are not on this machine \(403\)/);
    assert.match(proxy.gate.stderr, /GATEWAY_API_KEY is not set: the gateway door refuses/);

    const proxyRefused = await rejectsWith(anthropicClient(remote).messages.create(MESSAGE), Anthropic.PermissionDeniedError);
    assert.match(proxyRefused.message, /ANTHROPIC_API_KEY/);
    const gatewayRefused = await rejectsWith(openaiClient(remote).chat.completions.create(CHAT), OpenAI.PermissionDeniedError);
    assert.match(gatewayRefused.message, /GATEWAY_API_KEY/);
    const models = await fetch(`${remote}/v1/models`);
    assert.equal(models.status, 403);
    assert.equal(proxy.mock.requests.length, 0, 'nothing went upstream');

    // This machine keeps working without a key, and so does /health for a load balancer.
    const local = await anthropicClient(proxy.url).messages.create(MESSAGE);
    assert.equal(local.type, 'message');
    assert.equal((await fetch(`${remote}/health`)).status, 200);
  });

  test('on a network address, a door with its key serves other machines that present it', { skip: noRemote }, async (t) => {
    const proxy = await ProxyFixture.start({ host: '0.0.0.0', env: { ANTHROPIC_API_KEY: 'sk-proxy-key' } });
    t.after(() => proxy.stop());
    const remote = `http://${remoteAddress}:${proxy.gate.port}`;
    assert.doesNotMatch(proxy.gate.stderr, /ANTHROPIC_API_KEY is not set/);
    const message = await anthropicClient(remote, 'sk-proxy-key').messages.create(MESSAGE);
    assert.equal(message.type, 'message');
    await rejectsWith(anthropicClient(remote, 'sk-wrong').messages.create(MESSAGE), Anthropic.AuthenticationError);
  });
});

describe('safe by default: web pages', () => {
  test('DNS rebinding: a Host that is not a loopback name gets 403 unless ALLOWED_HOSTS lists it', async (t) => {
    const proxy = await ProxyFixture.start({ env: { ALLOWED_HOSTS: 'gate.lan' } });
    t.after(() => proxy.stop());
    const port = proxy.gate.port;
    const rebound = await jsonPost(proxy, '/v1/messages', MESSAGE, { host: `rebound.evil.example:${port}` });
    assert.equal(rebound.status, 403, rebound.text);
    assert.equal(rebound.json.type, 'error');
    assert.equal(rebound.json.error.type, 'permission_error');
    assert.match(rebound.json.error.message, /ALLOWED_HOSTS/);
    const health = await plainRequest({ port, path: '/health', headers: { host: `rebound.evil.example:${port}` } });
    assert.equal(health.status, 403);
    assert.equal(proxy.mock.requests.length, 0, 'nothing went upstream');

    for (const host of [`localhost:${port}`, `app.localhost:${port}`, `127.0.0.1:${port}`, `gate.lan:${port}`]) {
      const allowed = await jsonPost(proxy, '/v1/messages', MESSAGE, { host });
      assert.equal(allowed.status, 200, `${host}: ${allowed.text}`);
    }
  });

  test('CORS is off by default: a cross-site preflight or request gets 403 and no Access-Control-* header', async (t) => {
    const proxy = await ProxyFixture.start();
    t.after(() => proxy.stop());
    const port = proxy.gate.port;
    const preflight = await plainRequest({
      port,
      method: 'OPTIONS',
      path: '/v1/messages',
      headers: {
        host: `127.0.0.1:${port}`,
        origin: 'http://evil.example',
        'access-control-request-method': 'POST',
        'access-control-request-headers': 'content-type,x-api-key,x-evil',
      },
    });
    assert.equal(preflight.status, 403);
    assert.deepEqual(accessControlHeaders(preflight.headers), []);

    const post = await jsonPost(proxy, '/v1/messages', MESSAGE, { origin: 'http://evil.example' });
    assert.equal(post.status, 403);
    assert.match(post.json.error.message, /CORS_ORIGINS/);
    assert.deepEqual(accessControlHeaders(post.headers), []);
    const chat = await jsonPost(proxy, '/v1/chat/completions', CHAT, { origin: 'http://evil.example' });
    assert.equal(chat.status, 403);
    assert.ok('code' in chat.json.error, `OpenAI shape: ${chat.text}`);
    assert.equal(proxy.mock.requests.length, 0, 'nothing went upstream');

    // A page served by ccgate itself is same-origin.
    const same = await jsonPost(proxy, '/v1/messages', MESSAGE, { origin: `http://127.0.0.1:${port}` });
    assert.equal(same.status, 200, same.text);
    assert.deepEqual(accessControlHeaders(same.headers), []);
  });

  test('an origin in CORS_ORIGINS gets its preflight and its answers, with the allowed origin and Vary: Origin', async (t) => {
    const proxy = await ProxyFixture.start({ env: { CORS_ORIGINS: 'http://app.example:3000' } });
    t.after(() => proxy.stop());
    const port = proxy.gate.port;
    const origin = 'http://app.example:3000';
    const preflight = await plainRequest({
      port,
      method: 'OPTIONS',
      path: '/v1/messages',
      headers: { host: `127.0.0.1:${port}`, origin, 'access-control-request-method': 'POST', 'access-control-request-headers': 'content-type,x-api-key,anthropic-version' },
    });
    assert.equal(preflight.status, 204);
    assert.equal(preflight.headers['access-control-allow-origin'], origin);
    assert.match(preflight.headers.vary ?? '', /Origin/i);
    assert.match(preflight.headers['access-control-allow-methods'] ?? '', /POST/);
    assert.match(preflight.headers['access-control-allow-headers'] ?? '', /x-api-key/);
    assert.ok(Number(preflight.headers['access-control-max-age']) > 0);

    const answer = await jsonPost(proxy, '/v1/messages', MESSAGE, { origin });
    assert.equal(answer.status, 200, answer.text);
    assert.equal(answer.headers['access-control-allow-origin'], origin);
    assert.match(answer.headers['access-control-expose-headers'] ?? '', /request-id/);
    assert.match(answer.headers.vary ?? '', /Origin/i);

    const other = await jsonPost(proxy, '/v1/messages', MESSAGE, { origin: 'http://app.example:3001' });
    assert.equal(other.status, 403);
  });

  test('POST API routes take JSON only: a text/plain "simple" request gets 415 in the door\'s protocol and goes nowhere', async (t) => {
    const proxy = await ProxyFixture.start();
    t.after(() => proxy.stop());
    const form = await jsonPost(proxy, '/v1/messages', MESSAGE, { 'content-type': 'text/plain;charset=UTF-8' });
    assert.equal(form.status, 415, form.text);
    assert.equal(form.json.type, 'error');
    assert.equal(form.json.error.type, 'invalid_request_error');
    const chat = await jsonPost(proxy, '/v1/chat/completions', CHAT, { 'content-type': 'application/x-www-form-urlencoded' });
    assert.equal(chat.status, 415);
    assert.ok('param' in chat.json.error && 'code' in chat.json.error, chat.text);
    assert.equal(proxy.mock.requests.length, 0, 'nothing went upstream');

    const charset = await jsonPost(proxy, '/v1/messages', MESSAGE, { 'content-type': 'Application/JSON; charset=utf-8' });
    assert.equal(charset.status, 200, charset.text);
  });
});

describe('keys are checked from the request head alone', () => {
  for (const [path, env, shape] of [
    ['/v1/messages', { ANTHROPIC_API_KEY: 'sk-proxy-key' }, 'anthropic'],
    ['/v1/chat/completions', { GATEWAY_API_KEY: 'sk-gateway-key' }, 'openai'],
  ]) {
    test(`without a valid key, ${path} answers 401 before any of a 32 MiB body arrives`, async (t) => {
      const proxy = await ProxyFixture.start({ env });
      t.after(() => proxy.stop());
      const conn = await RawConnection.open(proxy.gate.port);
      const started = Date.now();
      await conn.write(
        `POST ${path} HTTP/1.1\r\nHost: 127.0.0.1:${proxy.gate.port}\r\ncontent-type: application/json\r\n` +
          `x-api-key: sk-wrong\r\nauthorization: Bearer sk-wrong\r\ncontent-length: 33554432\r\n\r\n`,
      );
      const answered = await Promise.race([
        (async () => {
          while (!conn.received.includes('}}') && !conn.socket.destroyed) await sleep(20);
          return Date.now() - started;
        })(),
        sleep(5_000).then(() => -1),
      ]);
      assert.ok(answered >= 0, `no answer without the body (got ${JSON.stringify(conn.received.slice(0, 200))})`);
      assert.equal(conn.status, 401);
      assert.ok(answered < 2_000, `answered after ${answered} ms`);
      const body = JSON.parse(conn.received.slice(conn.received.indexOf('\r\n\r\n') + 4));
      if (shape === 'anthropic') assert.equal(body.error.type, 'authentication_error');
      else assert.equal(body.error.code, 'invalid_api_key');
      await Promise.race([conn.closed, sleep(3_000)]);
      assert.ok(conn.socket.destroyed, 'the connection is closed after the refusal');
      conn.destroy();
      assert.equal(proxy.mock.requests.length, 0);
    });
  }

  test('/v1/models honours the keys whichever headers the request carries', async (t) => {
    const proxy = await ProxyFixture.start({ env: { GATEWAY_API_KEY: 'sk-gateway-key' } });
    t.after(() => proxy.stop());
    // Claiming to be an Anthropic client does not skip the gateway's key.
    const sneaky = await proxy.fetch('/v1/models', { headers: { 'anthropic-version': '2023-06-01' } });
    assert.equal(sneaky.status, 401);
    assert.equal((await sneaky.json()).type, 'error');
    const openaiList = await openaiClient(proxy.url, 'sk-gateway-key').models.list();
    assert.ok(openaiList.data.some((model) => model.id === 'sonnet'));
    const anthropicIds = [];
    for await (const model of anthropicClient(proxy.url, 'sk-gateway-key').models.list()) anthropicIds.push(model.id);
    assert.ok(anthropicIds.some((id) => id.includes('sonnet')), anthropicIds.join());
    await rejectsWith(openaiClient(proxy.url, 'sk-wrong').models.list(), OpenAI.AuthenticationError);
  });
});

describe('what ccgate shows', () => {
  test('/health and the start-up log show the upstream URL without credentials or query', async (t) => {
    const proxy = await ProxyFixture.start({
      env: (mock) => ({ OPENAI_BASE_URL: `http://user:hunter2secret@127.0.0.1:${mock.port}/v1?api-key=querysecret` }),
    });
    t.after(() => proxy.stop());
    const health = await (await proxy.fetch('/health')).json();
    assert.equal(health.upstream.base_url, `http://127.0.0.1:${proxy.mock.port}/v1`);
    assert.doesNotMatch(JSON.stringify(health), /hunter2secret|querysecret/);
    assert.doesNotMatch(proxy.gate.stderr, /hunter2secret|querysecret/);
  });

  test("the server's own errors answer in the protocol of the path's door", async (t) => {
    const proxy = await ProxyFixture.start({ env: { MAX_BODY_SIZE: '2048' } });
    t.after(() => proxy.stop());
    const big = { ...CHAT, messages: [{ role: 'user', content: 'z'.repeat(4096) }] };
    const chat = await jsonPost(proxy, '/v1/chat/completions', big);
    assert.equal(chat.status, 413);
    assert.equal(chat.json.type, undefined, chat.text);
    assert.ok('param' in chat.json.error && 'code' in chat.json.error, chat.text);
    const messages = await jsonPost(proxy, '/v1/messages', { ...MESSAGE, messages: [user('z'.repeat(4096))] });
    assert.equal(messages.status, 413);
    assert.equal(messages.json.error.type, 'request_too_large');

    const malformed = await RawConnection.open(proxy.gate.port);
    await malformed.write(`POST /v1/chat/completions HTTP/1.1\r\nHost: 127.0.0.1\r\ncontent-length: nope\r\n\r\n`);
    await Promise.race([malformed.closed, sleep(3_000)]);
    malformed.destroy();
    assert.equal(malformed.status, 400);
    const malformedBody = JSON.parse(malformed.received.slice(malformed.received.indexOf('\r\n\r\n') + 4));
    assert.ok('param' in malformedBody.error, malformed.received);

    const wrongMethod = await proxy.fetch('/v1/chat/completions');
    assert.equal(wrongMethod.status, 405);
    assert.ok('code' in (await wrongMethod.json()).error);
  });

  test('error answers reveal neither PATH nor the file system', async (t) => {
    const proxy = await ProxyFixture.start({ env: { ANTHROPIC_API_KEY: 'k', GATEWAY_API_KEY: 'g', MAX_BODY_SIZE: '2048' } });
    t.after(() => proxy.stop());
    const port = proxy.gate.port;
    const answers = [
      await plainRequest({ port, path: '/nowhere', headers: { host: `127.0.0.1:${port}` } }),
      await plainRequest({ port, path: '/v1/messages', headers: { host: `127.0.0.1:${port}` } }),
      await jsonPost(proxy, '/v1/messages', MESSAGE),
      await jsonPost(proxy, '/v1/chat/completions', CHAT),
      await jsonPost(proxy, '/v1/messages', MESSAGE, { 'content-type': 'text/plain', 'x-api-key': 'k' }),
      await jsonPost(proxy, '/v1/messages', MESSAGE, { host: 'evil.example' }),
      await jsonPost(proxy, '/v1/messages', { ...MESSAGE, messages: [user('z'.repeat(4096))] }, { 'x-api-key': 'k' }),
      await jsonPost(proxy, '/v1/messages', 'not json', { 'x-api-key': 'k' }),
    ];
    const secrets = [...(process.env.PATH ?? '').split(':').filter((dir) => dir.length > 4), ccgateBinary, process.cwd()];
    for (const answer of answers) {
      assert.ok(answer.status >= 400, `${answer.status} ${answer.text}`);
      for (const secret of secrets) assert.ok(!answer.text.includes(secret), `${answer.status} reveals ${secret}: ${answer.text}`);
    }
  });
});
