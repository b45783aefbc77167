// How the gateway starts Claude Code: no secret and no big client text in its command line (the
// MCP config and the system prompt are 0600 files in the session's private dir), the pinned CLI
// found from ccgate's real path with nothing configured, and a missing CLI reported without
// the server's PATH or file system.

import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { describe, test } from 'node:test';

import { Ccgate, ccgateBinary, makeTempDir } from './lib/ccgate.js';
import { chat } from './lib/gateway-faults.js';
import { GATEWAY_KEY, GatewayFixture, MODEL, claudeMissing, user, waitUntil, weatherTool, withLog } from './lib/gateway-harness.js';
import { MockAnthropic } from './lib/mock-anthropic.js';

const SECRET_HEADER = 'x-ccgate-secret';

describe('gateway: launching Claude Code', { skip: claudeMissing }, () => {
  test('a 200 KB system prompt reaches the model, and the CLI command line holds neither it nor the MCP secret', async (t) => {
    const gateway = await GatewayFixture.start();
    t.after(() => gateway.stop());
    await withLog(
      () => gateway,
      async () => {
        const marker = 'END-OF-THE-LONG-SYSTEM-PROMPT';
        const system = `${'You are a careful assistant. '.repeat(7000)}${marker}`;
        assert.ok(system.length > 200_000);
        const completion = await gateway.client().chat.completions.create({
          model: MODEL,
          messages: [{ role: 'system', content: system }, user('Please call get_weather with {"city":"Bern"} (long prompt)')],
          tools: [weatherTool],
        });
        assert.equal(completion.choices[0].finish_reason, 'tool_calls', 'served (the spawn did not fail with E2BIG)');
        const [request] = gateway.model.messageRequests;
        assert.ok(JSON.stringify(request.body.system).includes(marker), 'the model got the whole system prompt');

        // The session now waits for the tool result: its CLI runs.
        const clis = gateway.claudeProcesses().filter((p) => p.state !== 'Z' && p.cmdline.includes('stream-json'));
        assert.ok(clis.length > 0, 'the session CLI runs');
        for (const cli of clis) {
          const argv = fs.readFileSync(`/proc/${cli.pid}/cmdline`, 'utf8').split('\0');
          const configArgument = argv.find((argument) => argument.startsWith('--mcp-config'));
          assert.ok(configArgument, `--mcp-config is passed: ${argv.join(' ')}`);
          const configFile = configArgument.replace(/^--mcp-config=?/, '');
          assert.ok(path.isAbsolute(configFile) && configFile.startsWith(gateway.tmpDir), `a file in the session dir: ${configFile}`);
          assert.equal(fs.statSync(configFile).mode & 0o777, 0o600, 'readable by its owner only');
          const config = JSON.parse(fs.readFileSync(configFile, 'utf8'));
          const headers = config.mcpServers.gateway.headers;
          const secret = Object.entries(headers).find(([name]) => name.toLowerCase() === SECRET_HEADER)?.[1];
          assert.ok(secret && secret.length >= 16, 'the file carries the session secret');

          const commandLine = argv.join(' ');
          assert.ok(!commandLine.includes(secret), 'no secret in /proc/<pid>/cmdline');
          assert.ok(!commandLine.includes('mcpServers'), 'no MCP config JSON in the command line');
          assert.ok(!commandLine.includes(marker) && commandLine.length < 8192, `no system prompt in the command line (${commandLine.length} bytes)`);
        }
      },
    )(t);
  });

  test('with no CLAUDE_CODE_PATH and no claude on PATH, the pinned CLI is found from the real binary path', async (t) => {
    const model = await MockAnthropic.start();
    const tmpDir = makeTempDir('ccgate-e2e-newcomer-');
    // A link to the binary, as an install or a shell alias might make: the project is found
    // through /proc/self/exe all the same.
    const linkDir = makeTempDir('ccgate-e2e-link-');
    fs.symlinkSync(ccgateBinary, path.join(linkDir, 'ccgate'));
    let gate;
    t.after(async () => {
      await gate?.stop();
      await model.close();
      fs.rmSync(tmpDir, { recursive: true, force: true });
      fs.rmSync(linkDir, { recursive: true, force: true });
    });
    gate = await Ccgate.start({
      binary: path.join(linkDir, 'ccgate'),
      env: { PATH: '/usr/bin:/bin', TMPDIR: tmpDir, CLAUDE_CODE_BASE_URL: model.url, GATEWAY_API_KEY: GATEWAY_KEY },
    });
    const response = await fetch(`${gate.url}/v1/chat/completions`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: `Bearer ${GATEWAY_KEY}` },
      body: JSON.stringify(chat('hello from a fresh clone')),
      signal: AbortSignal.timeout(60_000),
    });
    const body = await response.json();
    assert.equal(response.status, 200, `${JSON.stringify(body)}\n${gate.stderr.slice(-3000)}`);
    assert.match(body.choices[0].message.content, /hello from a fresh clone/);
  });

  test('a missing CLI gets 503 saying what to do, without the server PATH or paths of its file system', async (t) => {
    // A copy of the binary outside the project: no pinned CLI to find.
    const outside = makeTempDir('ccgate-e2e-installed-');
    const binary = path.join(outside, 'ccgate');
    try {
      fs.linkSync(ccgateBinary, binary);
    } catch {
      fs.copyFileSync(ccgateBinary, binary);
      fs.chmodSync(binary, 0o755);
    }
    t.after(() => fs.rmSync(outside, { recursive: true, force: true }));
    const privateDir = '/opt/private-tools-f3a9';
    const searchPath = `/usr/bin:/bin:${privateDir}`;
    for (const configured of [undefined, 'claude-nightly', '/opt/private-tools-f3a9/claude']) {
      const gate = await Ccgate.start({
        binary,
        env: { PATH: searchPath, GATEWAY_API_KEY: GATEWAY_KEY, ...(configured ? { CLAUDE_CODE_PATH: configured } : {}) },
      });
      try {
        const response = await fetch(`${gate.url}/v1/chat/completions`, {
          method: 'POST',
          headers: { 'content-type': 'application/json', authorization: `Bearer ${GATEWAY_KEY}` },
          body: JSON.stringify(chat('is anyone there')),
          signal: AbortSignal.timeout(30_000),
        });
        assert.equal(response.status, 503, `CLAUDE_CODE_PATH=${configured}`);
        const { error } = await response.json();
        assert.match(error.message, /CLAUDE_CODE_PATH/, error.message);
        if (!configured) assert.match(error.message, /install/i, error.message);
        for (const secretText of ['/usr/bin', privateDir, outside, '/tmp', '/work'])
          assert.ok(!error.message.includes(secretText), `"${secretText}" in: ${error.message}`);
        await waitUntil(() => gate.stderr.includes(privateDir), 5_000, 'the operator finds the details in the log');
      } finally {
        await gate.stop();
      }
    }
  });
});
