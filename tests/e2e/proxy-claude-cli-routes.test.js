// One real Claude Code CLI session through a configuration file of two providers (issue 11):
// `main` serves the session's own turns, `cheap` serves the `background` route, and Claude
// Code's haiku-class calls must land there.
//
// Which calls are haiku-class in the pinned CLI (2.1.330), found by experiment:
//   - with CLAUDE_CODE_DISABLE_NONESSENTIAL_TRAFFIC unset, `claude -p` makes no title or quota
//     call at all (only HEAD /api/hello), but it resolves api.anthropic.com through the system
//     resolver: that leaves loopback, so the flag stays set;
//   - a subagent started with the Agent tool's `model: "haiku"` sends `claude-haiku-5-5`;
//   - WebFetch's summary of a page is the CLI's "small fast model" call. Against a base URL that
//     is not Anthropic's it uses the main model unless ANTHROPIC_DEFAULT_HAIKU_MODEL (or
//     ANTHROPIC_SMALL_FAST_MODEL) names a haiku model, which is how a ccgate user sets it up. It
//     upgrades http:// to https:// and checks the domain with claude.ai first unless the setting
//     skipWebFetchPreflight is true: the page is served over TLS on loopback with a throwaway
//     certificate (NODE_EXTRA_CA_CERTS), and the preflight is skipped.
// The mock `main` model asks for both, one turn each; the session then ends with a text answer.
// HTTP(S)_PROXY point at a closed loopback port (NO_PROXY exempts 127.0.0.1): anything the CLI
// sent elsewhere would fail, never leave the machine.

import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import https from 'node:https';
import net from 'node:net';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';

import { CLI_TIMEOUT_MS, claudeBinary, parseJsonLines, runClaude } from './lib/claude-cli.js';
import { textOf } from './lib/harness.js';
import { chunk, textStream, toolCallChunks, usage, usageChunk } from './lib/mock-openai.js';
import { RoutingFixture } from './lib/routing-harness.js';

const HAIKU = 'claude-haiku-5-5'; // what the pinned CLI sends for "haiku"

const SUBAGENT_PROMPT = 'Summarise the release notes in one line.';
const SUBAGENT_ANSWER = 'Release notes: two providers, one gateway.';
const PAGE_QUESTION = 'What is the answer on this page?';
const PAGE_SUMMARY = 'The page says the answer is 42.';
const FINAL_TEXT = 'Both helpers answered.';
const SESSION_PROMPT = 'Summarise the notes, then read the page.';

function routesConfig(mocks) {
  // haiku names `main` on purpose: Claude Code's haiku-class calls must take the background
  // route (a scenario, decided before the family), or they would land on `main`.
  return `
providers:
  - name: main
    base_url: ${mocks.main.baseURL}
    api_key: sk-main
    max_retries: 0
  - name: cheap
    base_url: ${mocks.cheap.baseURL}
    api_key: sk-cheap
    max_retries: 0
routes:
  default: main/main-default
  opus: main/main-opus
  sonnet: main/main-sonnet
  haiku: main/main-haiku
  background: cheap/cheap-background
`;
}

// A port nothing listens on: a proxy there refuses every connection.
async function closedPort() {
  const server = net.createServer();
  await new Promise((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address();
  await new Promise((resolve) => server.close(resolve));
  return port;
}

// An HTTPS page on loopback with a self-signed certificate for 127.0.0.1 (WebFetch only fetches
// https). Resolves { url, certPath, fetched, close }.
async function startPage(dir) {
  const keyPath = path.join(dir, 'page-key.pem');
  const certPath = path.join(dir, 'page-cert.pem');
  execFileSync('openssl', ['req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-keyout', keyPath, '-out', certPath, '-days', '1', '-subj', '/CN=127.0.0.1', '-addext', 'subjectAltName=IP:127.0.0.1'], { stdio: 'ignore' });
  const page = { fetched: [], certPath };
  const server = https.createServer({ key: fs.readFileSync(keyPath), cert: fs.readFileSync(certPath) }, (req, res) => {
    page.fetched.push(req.url);
    res.writeHead(200, { 'content-type': 'text/html' });
    res.end('<html><body><h1>Loopback page</h1><p>The answer is 42.</p></body></html>');
  });
  await new Promise((resolve) => server.listen(0, '127.0.0.1', resolve));
  page.url = `https://127.0.0.1:${server.address().port}/notes`;
  page.close = () => new Promise((resolve) => server.close(resolve));
  return page;
}

function toolCallStream(id, name, args) {
  const text = JSON.stringify(args);
  return {
    stream: [
      chunk({ role: 'assistant' }),
      ...toolCallChunks(0, id, name, [text.slice(0, 15), text.slice(15)]),
      chunk({}, { finishReason: 'tool_calls' }),
      usageChunk(usage(900, 30)),
    ],
  };
}

// The session's model: the first turn starts a haiku subagent, the second fetches the page,
// the third answers. A background call that reached it by mistake gets a plain answer.
function mainModel(pageUrl) {
  return (record) => {
    const firstUser = textOf(record.body?.messages?.find((m) => m.role === 'user')?.content);
    if (!firstUser.includes(SESSION_PROMPT)) return { stream: textStream(['main answered a background call']) };
    const done = (record.body?.messages ?? []).filter((m) => m.role === 'tool').length;
    if (done === 0) {
      return toolCallStream('call_agent_1', 'Agent', { description: 'Summarise notes', prompt: SUBAGENT_PROMPT, model: 'haiku', run_in_background: false });
    }
    if (done === 1) return toolCallStream('call_fetch_1', 'WebFetch', { url: pageUrl, prompt: PAGE_QUESTION });
    return { stream: textStream([FINAL_TEXT], { usage: usage(1000, 5) }) };
  };
}

// The background model: the subagent (it has tools) or the page summary (it has none).
function cheapModel(record) {
  const summarising = (record.body?.tools ?? []).length === 0;
  return { stream: textStream([summarising ? PAGE_SUMMARY : SUBAGENT_ANSWER], { usage: usage(300, 8) }) };
}

const lastUserText = (body) => textOf(body?.messages?.findLast((m) => m.role === 'user')?.content);
const toolResult = (body, id) => textOf(body?.messages?.find((m) => m.role === 'tool' && m.tool_call_id === id)?.content);

describe('a Claude Code CLI session through two providers', { skip: claudeBinary ? false : 'Claude Code CLI not installed' }, () => {
  let fx;
  let dir;
  let page;

  before(async () => {
    fx = await RoutingFixture.start({ providers: ['main', 'cheap'], config: routesConfig });
    dir = fx.dir; // removed by fx.stop()
    for (const sub of ['home/.claude', 'tmp', 'work']) fs.mkdirSync(path.join(dir, sub), { recursive: true });
    fs.writeFileSync(path.join(dir, 'home/.claude/settings.json'), JSON.stringify({ skipWebFetchPreflight: true }));
    page = await startPage(dir);
  });
  after(async () => {
    await page?.close();
    await fx?.stop();
  });

  test('the session succeeds; its haiku subagent and its WebFetch summary take the background route to `cheap`', async () => {
    fx.mocks.main.defaultRule = mainModel(page.url);
    fx.mocks.cheap.defaultRule = cheapModel;
    const deadProxy = `http://127.0.0.1:${await closedPort()}`;
    const env = {
      PATH: process.env.PATH,
      HOME: path.join(dir, 'home'),
      CLAUDE_CODE_TMPDIR: path.join(dir, 'tmp'),
      TMPDIR: path.join(dir, 'tmp'),
      ANTHROPIC_BASE_URL: fx.url,
      ANTHROPIC_API_KEY: 'sk-client-test',
      ANTHROPIC_DEFAULT_HAIKU_MODEL: HAIKU,
      NODE_EXTRA_CA_CERTS: page.certPath,
      HTTP_PROXY: deadProxy,
      HTTPS_PROXY: deadProxy,
      NO_PROXY: '127.0.0.1,localhost',
      CLAUDE_CODE_DISABLE_NONESSENTIAL_TRAFFIC: '1',
      DISABLE_AUTOUPDATER: '1',
      DISABLE_TELEMETRY: '1',
      DISABLE_ERROR_REPORTING: '1',
    };
    const run = await runClaude(
      ['-p', SESSION_PROMPT, '--output-format', 'stream-json', '--verbose', '--allowedTools', 'Agent,WebFetch'],
      { cwd: path.join(dir, 'work'), env },
    );
    const asked = () => JSON.stringify(fx.modelsAsked());
    const diagnostics = `exit ${run.code} ${run.signal ?? ''}\nasked: ${asked()}\n--- stdout ---\n${run.stdout}\n--- stderr ---\n${run.stderr}\n--- ccgate ---\n${fx.gate.stderr}`;
    assert.ok(!run.timedOut, `the CLI hung for ${CLI_TIMEOUT_MS} ms\n${diagnostics}`);

    // What the user sees: the session finished with the model's last answer.
    const result = parseJsonLines(run.stdout).find((line) => line.type === 'result');
    assert.ok(result, `the CLI printed a result line\n${diagnostics}`);
    assert.equal(result.subtype, 'success', diagnostics);
    assert.equal(result.is_error, false, diagnostics);
    assert.equal(result.result, FINAL_TEXT, diagnostics);
    assert.equal(run.code, 0, diagnostics);
    assert.deepEqual(page.fetched, ['/notes'], 'WebFetch fetched the page once');

    // Who was asked what: the three session turns on `main` with its opus model, the subagent's
    // turn and the page summary on `cheap` with the background model; nothing else.
    assert.deepEqual(fx.modelsAsked(), { main: ['main-opus', 'main-opus', 'main-opus'], cheap: ['cheap-background', 'cheap-background'] }, diagnostics);
    const [subagent, summary] = fx.mocks.cheap.requests;
    assert.ok(subagent.body.tools?.length > 0, 'the subagent has tools');
    assert.match(lastUserText(subagent.body), new RegExp(SUBAGENT_PROMPT.replace('.', '\\.')));
    assert.equal(summary.body.tools, undefined, 'the page summary has no tools');
    assert.match(lastUserText(summary.body), /The answer is 42/);
    assert.match(lastUserText(summary.body), new RegExp(PAGE_QUESTION.replace('?', '\\?')));

    // The cheap model's answers came back into the session as tool results.
    const [, afterAgent, afterFetch] = fx.mocks.main.requests;
    assert.match(toolResult(afterAgent.body, 'call_agent_1'), new RegExp(SUBAGENT_ANSWER.replace('.', '\\.')), diagnostics);
    assert.match(toolResult(afterFetch.body, 'call_fetch_1'), new RegExp(PAGE_SUMMARY.replace('.', '\\.')), diagnostics);

    // ccgate's log names the route of each: two background calls, three opus turns.
    const lines = fx.gate.stderr.split('\n');
    const via = (pattern) => lines.filter((line) => pattern.test(line)).length;
    assert.equal(via(new RegExp(`${HAIKU} → cheap/cheap-background via background\\b`)), 2, fx.gate.stderr);
    assert.equal(via(/claude-opus-5-5 → main\/main-opus via opus\b/), 3, fx.gate.stderr);
  });
});
