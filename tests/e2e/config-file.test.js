// The configuration file (--config FILE or CCGATE_CONFIG): a bad file stops start-up with exit
// code 2 and "FILE:LINE: key.path: what is wrong"; `ccgate check` calls every provider of the
// file once and exits 1 naming the one that failed, never printing a key.

import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { after, afterEach, before, describe, test } from 'node:test';

import { Ccgate, ccgateBinary, makeTempDir, trackChild } from './lib/ccgate.js';
import { MockOpenAI } from './lib/mock-openai.js';

// Runs the ccgate binary to its end (asynchronously: the mock upstreams answer from this
// process), in a clean environment and a private working directory.
function runCcgate(args, { env = {}, files = {}, timeoutMs = 15_000 } = {}) {
  const dir = makeTempDir('ccgate-config-');
  for (const [name, text] of Object.entries(files)) fs.writeFileSync(path.join(dir, name), text);
  const child = trackChild(
    spawn(ccgateBinary, args, { cwd: dir, env: { PATH: process.env.PATH, HOME: dir, ...env }, stdio: ['ignore', 'pipe', 'pipe'] }),
  );
  let stdout = '';
  let stderr = '';
  child.stdout.setEncoding('utf8').on('data', (text) => (stdout += text));
  child.stderr.setEncoding('utf8').on('data', (text) => (stderr += text));
  const started = Date.now();
  return new Promise((resolve) => {
    const timer = setTimeout(() => child.kill('SIGKILL'), timeoutMs);
    child.once('close', (code, signal) => {
      clearTimeout(timer);
      fs.rmSync(dir, { recursive: true, force: true });
      resolve({ code, signal, stdout, stderr, ms: Date.now() - started });
    });
  });
}

const provider = (name, baseURL, extra = '') => `  - name: ${name}\n    base_url: ${baseURL}\n${extra}`;

describe('a bad configuration file stops start-up', () => {
  const cases = [
    {
      what: 'an unknown key (a typo)',
      yaml: 'providers:\n  - name: a\n    base_url: http://127.0.0.1:9/v1\n    api_kye: x\nroutes:\n  default: a/m\n',
      message: 'ccgate.yaml:4: providers[0].api_kye: unknown key',
    },
    {
      what: 'a route to a provider that is not configured',
      yaml: 'providers:\n  - name: a\n    base_url: http://127.0.0.1:9/v1\nroutes:\n  default: a/m\n  opus: [a/m, b/big]\n',
      message: 'ccgate.yaml:6: routes.opus[1]: "b/big": no provider is named "b"',
    },
    {
      what: 'an unset variable',
      yaml: 'providers:\n  - name: a\n    base_url: http://127.0.0.1:9/v1\n    api_key: ${MISSING_KEY}\nroutes:\n  default: a/m\n',
      message: 'ccgate.yaml:4: providers[0].api_key: ${MISSING_KEY}: MISSING_KEY is not set',
    },
    {
      what: 'a YAML syntax error',
      yaml: 'settings:\n  PORT: 1\n providers: [\n',
      message: 'ccgate.yaml:3: YAML syntax error',
    },
    {
      what: 'a bad value in settings:',
      yaml: 'settings:\n  LOG_LEVEL: info\n  MAX_SESSIONS: lots\n',
      message: 'ccgate.yaml:3: settings.MAX_SESSIONS: MAX_SESSIONS="lots": expected a whole number',
    },
    {
      what: 'a file over the 1 MiB limit (a log named by mistake)',
      yaml: `settings:\n  LOG_LEVEL: info\n${'# padding\n'.repeat(110_000)}`,
      message: 'ccgate.yaml:1: the configuration file is larger than 1048576 bytes',
    },
  ];
  for (const { what, yaml, message } of cases) {
    test(`${what}: exit 2 and "${message}"`, async () => {
      const result = await runCcgate(['--config', 'ccgate.yaml', 'serve', '--port', '0'], { files: { 'ccgate.yaml': yaml } });
      assert.equal(result.code, 2, `exit code (output: ${result.stderr})`);
      assert.ok(result.stderr.includes(message), `the message names the line and key: ${result.stderr}`);
      assert.doesNotMatch(result.stderr, /listening on/);
    });
  }

  test('CCGATE_CONFIG names the file as --config does, and a missing file is an error too', async () => {
    const bad = await runCcgate(['serve', '--port', '0'], {
      env: { CCGATE_CONFIG: 'ccgate.yaml' },
      files: { 'ccgate.yaml': 'routes:\n  default: a/m\n' },
    });
    assert.equal(bad.code, 2, bad.stderr);
    assert.match(bad.stderr, /ccgate\.yaml:1: routes: needs providers:/);
    const missing = await runCcgate(['--config', 'nowhere.yaml', 'serve', '--port', '0']);
    assert.equal(missing.code, 2, missing.stderr);
    assert.match(missing.stderr, /nowhere\.yaml: cannot read the configuration file/);
  });
});

describe('a good file', () => {
  test('starts; its settings apply below the environment; unused single-provider variables are named, never shown', async () => {
    const dir = makeTempDir('ccgate-config-good-');
    const file = path.join(dir, 'ccgate.yaml');
    fs.writeFileSync(
      file,
      'settings:\n  MAX_SESSIONS: 3\n  LOG_LEVEL: error\nproviders:\n' + provider('a', 'http://127.0.0.1:9/v1') + 'routes:\n  default: a/m\n',
    );
    const gate = await Ccgate.start({
      env: { LOG_LEVEL: 'info', OPENAI_API_KEY: 'sk-must-not-appear', BIG_MODEL: 'gpt-x' },
      args: ['--config', file],
    });
    try {
      // LOG_LEVEL=info from the environment won over the file's "error": the start-up lines show.
      assert.match(gate.stderr, /warn.*has providers:, so BIG_MODEL, OPENAI_API_KEY are not used/);
      assert.doesNotMatch(gate.stderr, /sk-must-not-appear/);
      const health = await fetch(`${gate.url}/health`).then((response) => response.json());
      assert.equal(health.upstream.base_url, 'http://127.0.0.1:9/v1');
    } finally {
      await gate.stop();
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe('ccgate check', () => {
  let good;
  let bad;
  before(async () => {
    good = await MockOpenAI.start();
    bad = await MockOpenAI.start();
  });
  after(async () => {
    await good?.close();
    await bad?.close();
  });
  afterEach(() => {
    good.reset();
    bad.reset();
  });

  const yaml = () =>
    'providers:\n' +
    provider('alpha', good.baseURL, '    api_key: ${ALPHA_KEY}\n') +
    provider('beta', bad.baseURL, '    keys:\n      - ${BETA_KEY}\n      - sk-beta-second\n    models:\n      beta-small: {}\n') +
    'routes:\n  default: alpha/alpha-model\n  haiku: alpha/alpha-small\n';
  const env = { ALPHA_KEY: 'sk-alpha-secret', BETA_KEY: 'sk-beta-secret' };

  test('calls every provider once and exits 1 naming the one that failed, without its key', async () => {
    bad.enqueue({ status: 401, json: { error: { message: 'Incorrect API key provided: sk-beta-secret', type: 'invalid_request_error' } } });
    const result = await runCcgate(['--config', 'ccgate.yaml', 'check'], { env, files: { 'ccgate.yaml': yaml() } });
    assert.equal(result.code, 1, `exit code\n${result.stdout}${result.stderr}`);
    assert.match(result.stdout, /^ok alpha: model alpha-small at .* ms$/m); // haiku first: the cheap tier
    assert.match(result.stdout, /^failed beta: model beta-small at .*HTTP 401/m);
    assert.doesNotMatch(result.stdout + result.stderr, /sk-alpha-secret|sk-beta-secret|sk-beta-second/);
    assert.equal(good.requests.length, 1);
    assert.equal(bad.requests.length, 1);
    assert.equal(good.requests[0].headers.authorization, 'Bearer sk-alpha-secret');
    assert.equal(good.requests[0].body.model, 'alpha-small');
    assert.equal(bad.requests[0].body.model, 'beta-small');
  });

  test('exits 0 when every provider answers', async () => {
    const result = await runCcgate(['--config', 'ccgate.yaml', 'check'], { env, files: { 'ccgate.yaml': yaml() } });
    assert.equal(result.code, 0, `exit code\n${result.stdout}${result.stderr}`);
    assert.match(result.stdout, /configuration is valid \(ccgate\.yaml\); 2 providers/);
    assert.match(result.stdout, /^ok alpha: /m);
    assert.match(result.stdout, /^ok beta: /m);
  });
});
