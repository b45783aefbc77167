// The gateway door's fixture: a mock Anthropic model (or, for `self`, the mock OpenAI upstream
// of the proxy tests), a ccgate that drives the real Claude Code CLI against it, the real
// `openai` SDK as the client, and /proc and $TMPDIR inspection to prove that nothing a session
// started outlives it. The helpers both doors use come from common.js and are exported here too.

import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import OpenAI from 'openai';

import { Ccgate, makeTempDir } from './ccgate.js';
import { jsonOrText, proxyDoorEnv, readSSEBlocks, sleep } from './common.js';
import { MockAnthropic } from './mock-anthropic.js';
import { MockOpenAI } from './mock-openai.js';

export { rejectsWith, sleep, user, waitUntil, withTimeout } from './common.js';

// Keep the SDK from picking up credentials or a base URL from the developer's environment.
for (const name of ['OPENAI_API_KEY', 'OPENAI_BASE_URL', 'OPENAI_ORG_ID', 'OPENAI_PROJECT_ID', 'OPENAI_WEBHOOK_SECRET']) delete process.env[name];

const e2eDir = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
export const claudeBinary = path.join(e2eDir, 'node_modules/.bin/claude');
export const claudeMissing = fs.existsSync(claudeBinary) ? false : `Claude Code CLI not installed at ${claudeBinary} (npm ci in tests/e2e)`;

export const GATEWAY_KEY = 'sk-gateway-test-key';
export const MODEL = 'sonnet'; // the CLI sends it to its model API as claude-sonnet-5-5
export const CLI_MODEL = 'claude-sonnet-5-5';
export const SESSION_DIR_PREFIX = 'ccgate-session-';

// Every CLI run is bounded: a request that takes longer than this fails the test, not the suite.
export const REQUEST_TIMEOUT_MS = 60_000;

export class GatewayFixture {
  model; // MockAnthropic, unless `self`
  upstream; // MockOpenAI, for `self`
  gate;
  tmpDir; // ccgate's TMPDIR: session dirs are created here

  // env: extra ccgate configuration. self: run the CLI on ccgate's own proxy door, which talks to
  // a MockOpenAI upstream. apiKey: GATEWAY_API_KEY (null: none).
  static async start({ env = {}, self = false, apiKey = GATEWAY_KEY } = {}) {
    const fixture = new GatewayFixture();
    fixture.tmpDir = makeTempDir('ccgate-e2e-gateway-');
    try {
      const target = {};
      if (self) {
        fixture.upstream = await MockOpenAI.start();
        Object.assign(target, { CLAUDE_CODE_BASE_URL: 'self', ...proxyDoorEnv(fixture.upstream) });
      } else {
        fixture.model = await MockAnthropic.start();
        target.CLAUDE_CODE_BASE_URL = fixture.model.url;
      }
      fixture.gate = await Ccgate.start({
        env: {
          LOG_LEVEL: 'debug',
          TMPDIR: fixture.tmpDir,
          CLAUDE_CODE_PATH: claudeBinary,
          CLAUDE_CODE_API_KEY: 'sk-cli-test-key',
          GATEWAY_API_KEY: apiKey ?? undefined,
          ...target,
          ...env,
        },
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

  client({ apiKey = GATEWAY_KEY, ...options } = {}) {
    return new OpenAI({ baseURL: `${this.url}/v1`, apiKey, maxRetries: 0, timeout: REQUEST_TIMEOUT_MS, ...options });
  }

  fetch(pathAndQuery, init = {}) {
    return fetch(`${this.url}${pathAndQuery}`, { signal: AbortSignal.timeout(REQUEST_TIMEOUT_MS), ...init });
  }

  postChat(body, { apiKey = GATEWAY_KEY, headers = {} } = {}) {
    return this.fetch('/v1/chat/completions', {
      method: 'POST',
      headers: { 'content-type': 'application/json', ...(apiKey ? { authorization: `Bearer ${apiKey}` } : {}), ...headers },
      body: typeof body === 'string' ? body : JSON.stringify(body),
    });
  }

  // The session working dirs that exist right now.
  sessionDirs() {
    if (!fs.existsSync(this.tmpDir)) return [];
    return fs.readdirSync(this.tmpDir).filter((name) => name.startsWith(SESSION_DIR_PREFIX));
  }

  // Claude Code processes this ccgate started: its descendants (zombies included), and any
  // process left behind whose working dir is in our TMPDIR or whose command line names ccgate's
  // port (orphans outlive their parent).
  claudeProcesses() {
    const table = processTable();
    const byPid = new Map(table.map((p) => [p.pid, p]));
    const descendsFromGate = (p) => {
      for (let ancestor = byPid.get(p.ppid), hops = 0; ancestor && hops < 64; ancestor = byPid.get(ancestor.ppid), hops++) {
        if (ancestor.pid === this.gate?.pid) return true;
      }
      return false;
    };
    const port = this.gate?.port;
    return table.filter(
      (p) =>
        p.pid !== this.gate?.pid &&
        (descendsFromGate(p) || p.cwd.startsWith(this.tmpDir) || (port && p.cmdline.includes(`127.0.0.1:${port}/`))) &&
        /claude/i.test(`${p.comm} ${p.cmdline}`),
    );
  }

  // Waits until no Claude Code process and no session dir is left; fails with what remains.
  async assertCleanWithin(ms, what) {
    const deadline = Date.now() + ms;
    for (;;) {
      const processes = this.claudeProcesses();
      const dirs = this.sessionDirs();
      if (processes.length === 0 && dirs.length === 0) return;
      if (Date.now() > deadline) {
        assert.fail(
          `${what}: still there after ${ms} ms:\n` +
            processes.map((p) => `  process ${p.pid} (parent ${p.ppid}, state ${p.state}, cwd ${p.cwd}): ${p.cmdline.slice(0, 160)}`).join('\n') +
            `\n  session dirs: ${JSON.stringify(dirs)}\n--- ccgate ---\n${this.log()}`,
        );
      }
      await sleep(100);
    }
  }

  // The tail of ccgate's log, for failure messages.
  log(chars = 6000) {
    const text = this.gate?.stderr ?? '';
    return text.length > chars ? `…${text.slice(-chars)}` : text;
  }

  async stop() {
    const results = await Promise.allSettled([this.gate?.stop(), this.model?.close(), this.upstream?.close()]);
    // A leaked CLI must not disturb the next test (the leak itself is asserted where it matters).
    for (const p of this.gate ? this.claudeProcesses() : []) {
      try {
        process.kill(p.pid, 'SIGKILL');
      } catch {
        // already gone
      }
    }
    fs.rmSync(this.tmpDir, { recursive: true, force: true });
    return results[0].value;
  }
}

// Every process visible in /proc: { pid, ppid, state, comm, cmdline, cwd }.
export function processTable() {
  const table = [];
  for (const entry of fs.readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const stat = fs.readFileSync(`/proc/${entry}/stat`, 'utf8');
      const close = stat.lastIndexOf(')');
      const comm = stat.slice(stat.indexOf('(') + 1, close);
      const [state, ppid] = stat.slice(close + 2).split(' ');
      const cmdline = fs.readFileSync(`/proc/${entry}/cmdline`, 'utf8').replaceAll('\0', ' ').trim();
      let cwd = '';
      try {
        cwd = fs.readlinkSync(`/proc/${entry}/cwd`);
      } catch {
        // zombies have no cwd
      }
      table.push({ pid: Number(entry), ppid: Number(ppid), state, comm, cmdline, cwd });
    } catch {
      // the process ended while we looked
    }
  }
  return table;
}

export const weatherTool = {
  type: 'function',
  function: {
    name: 'get_weather',
    description: 'Get the current weather for a city.',
    parameters: { type: 'object', properties: { city: { type: 'string', description: 'City name' } }, required: ['city'] },
  },
};

export const timeTool = {
  type: 'function',
  function: {
    name: 'get_time',
    description: 'Get the local time in a time zone.',
    parameters: { type: 'object', properties: { zone: { type: 'string' } }, required: ['zone'] },
  },
};

// The assistant message to send back in a follow-up, built from a response's message.
export function assistantTurn(message) {
  const turn = { role: 'assistant', content: message.content ?? null };
  if (message.tool_calls?.length) turn.tool_calls = message.tool_calls.map(({ id, type, function: fn }) => ({ id, type, function: { name: fn.name, arguments: fn.arguments } }));
  return turn;
}

export const toolMessage = (toolCallId, content) => ({ role: 'tool', tool_call_id: toolCallId, content });

// Reads a whole chat-completions SSE response: the parsed `data:` payloads (`'[DONE]'` kept as a
// string) and the comment lines. After `timeoutMs`, what arrived.
export async function readChatSSE(response, { timeoutMs = REQUEST_TIMEOUT_MS } = {}) {
  const { blocks } = await readSSEBlocks(response, { timeoutMs });
  return {
    data: blocks.filter((block) => block.data !== undefined).map((block) => jsonOrText(block.data)),
    comments: blocks.flatMap((block) => block.comments),
  };
}

// Wraps a test body so that a failure carries the tail of ccgate's log (and the model requests).
export function withLog(getFixture, body) {
  return async (t) => {
    try {
      await body(t);
    } catch (error) {
      const fixture = getFixture();
      if (fixture && error && typeof error === 'object') {
        const requests = (fixture.model?.messageRequests ?? []).map((r) => `  ${r.url} → ${JSON.stringify(r.answer)}`).join('\n');
        error.message += `\n--- model requests ---\n${requests}\n--- ccgate log ---\n${fixture.log()}`;
      }
      throw error;
    }
  };
}
