// Operator MCP servers (the configuration file's gateway: mcp_servers:, issue 13): every
// conversation gets them beside the client's tools; the real Claude Code CLI starts the stdio one
// and connects to the Streamable-HTTP one, and the mock model calls their tools. The client (the
// real `openai` SDK) never sees those calls as tool_calls: it gets the answer that used their
// results; approval allows exactly each server's allow_tools; a server that cannot start or
// connect fails the request with a 503 naming it, leaving nothing behind; only_for limits
// servers by model and by client key (gateway: client_keys:); a client that opts in sees each
// call as reasoning text; the log and the metrics count the calls.

import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import OpenAI from 'openai';

import { makeTempDir } from './lib/ccgate.js';
import { GatewayFixture, MODEL, claudeMissing, processTable, rejectsWith, user, waitUntil, withLog } from './lib/gateway-harness.js';
import { lastUserText, toolNamesOf, toolResultsOf } from './lib/mock-anthropic.js';
import { HttpMcpServer, operatorMcpScript } from './lib/operator-mcp.js';

const ALICE_KEY = 'sk-alice-e2e-key';
const BOB_KEY = 'sk-bob-e2e-key';
const FILES_TOKEN = 'files-token-e2e';
const WEB_TOKEN = 'web-token-e2e';

// The configuration file, written into `dir`; returns its path.
function writeConfig(dir, yaml) {
  const file = path.join(dir, 'ccgate.yaml');
  fs.writeFileSync(file, yaml);
  return file;
}

// The text, reasoning and tool calls an SDK stream carried.
async function collectStream(stream) {
  const seen = { content: '', reasoning: '', toolCalls: 0, finishReason: null };
  for await (const chunk of stream) {
    for (const choice of chunk.choices ?? []) {
      seen.content += choice.delta?.content ?? '';
      seen.reasoning += choice.delta?.reasoning_content ?? '';
      seen.toolCalls += choice.delta?.tool_calls?.length ?? 0;
      if (choice.finish_reason) seen.finishReason = choice.finish_reason;
    }
  }
  return seen;
}

async function metricValue(url, name, labels) {
  const text = await (await fetch(`${url}/metrics`)).text();
  const inner = Object.entries(labels)
    .map(([key, value]) => `${key}="${value}"`)
    .join(',');
  const line = text.split('\n').find((l) => l.startsWith(`${name}{${inner}} `));
  return line ? Number(line.slice(line.lastIndexOf(' ') + 1)) : 0;
}

describe('gateway: operator MCP servers', { skip: claudeMissing }, () => {
  let gateway;
  let web;
  let configDir;
  const log = () => gateway;
  const recordFile = () => path.join(configDir, 'files-calls.jsonl');
  const envFile = () => path.join(configDir, 'files-env.json');
  const recordedCalls = () =>
    fs.existsSync(recordFile())
      ? fs
          .readFileSync(recordFile(), 'utf8')
          .split('\n')
          .filter(Boolean)
          .map((line) => JSON.parse(line))
      : [];

  before(async () => {
    configDir = makeTempDir('ccgate-e2e-mcp-servers-');
    web = await HttpMcpServer.start({
      tools: [
        { name: 'web_search', result: 'web-result' },
        { name: 'web_broken', result: 'the search backend is down', isError: true },
      ],
      requireHeaders: { authorization: `Bearer ${WEB_TOKEN}` },
    });
    const stdioOptions = JSON.stringify({
      tools: [
        { name: 'lookup_fact', result: 'fact-from-stdio' },
        { name: 'delete_all', result: 'deleted' },
      ],
      record: recordFile(),
      envDump: envFile(),
    });
    const config = writeConfig(
      configDir,
      `gateway:
  client_keys:
    - id: alice
      key: \${ALICE_KEY}
      tool_activity: true
    - id: bob
      key: \${BOB_KEY}
  mcp_servers:
    - name: files
      command: ${process.execPath}
      args: [${JSON.stringify(operatorMcpScript)}, ${JSON.stringify(stdioOptions)}]
      env:
        FILES_TOKEN: \${FILES_TOKEN}
      allow_tools: [lookup_*]
    - name: web
      url: ${web.url}
      headers:
        Authorization: Bearer \${WEB_TOKEN}
      allow_tools: [web_*]
    - name: opusonly
      url: ${web.url}
      headers:
        Authorization: Bearer \${WEB_TOKEN}
      allow_tools: ["*"]
      only_for:
        models: [opus, "claude-opus-*"]
    - name: alicetools
      url: ${web.url}
      headers:
        Authorization: Bearer \${WEB_TOKEN}
      allow_tools: ["*"]
      only_for:
        client_keys: [alice]
`,
    );
    gateway = await GatewayFixture.start({
      env: { CCGATE_CONFIG: config, ALICE_KEY, BOB_KEY, FILES_TOKEN, WEB_TOKEN, ANTHROPIC_API_KEY: 'sk-parent-anthropic-secret' },
    });
  });
  after(async () => {
    await gateway?.stop();
    await web?.close();
    if (configDir) fs.rmSync(configDir, { recursive: true, force: true });
  });

  const requestsWith = (marker) => gateway.model.messageRequests.filter((r) => JSON.stringify(r.body.messages).includes(marker));

  test(
    "a stdio server's tool: the client sees no tool_calls and gets the answer that used its result",
    withLog(log, async () => {
      const marker = `stdio-${randomBytes(4).toString('hex')}`;
      const completion = await gateway.client().chat.completions.create({
        model: MODEL,
        messages: [user(`force-call mcp__files__lookup_fact with {"topic":"${marker}"}`)],
      });
      const choice = completion.choices[0];
      assert.equal(choice.finish_reason, 'stop');
      assert.equal(choice.message.tool_calls, undefined, 'no tool_calls reach the client');
      assert.match(choice.message.content, new RegExp(`fact-from-stdio \\{"topic":"${marker}"\\}`));

      const [first] = requestsWith(marker);
      assert.ok(toolNamesOf(first.body).includes('mcp__files__lookup_fact'), `offered: ${toolNamesOf(first.body)}`);
      assert.ok(recordedCalls().some((call) => call.name === 'lookup_fact' && call.arguments.topic === marker));

      // The stdio server's environment: its own variables, the session's private HOME, and none
      // of the CLI's or ccgate's credentials.
      const env = JSON.parse(fs.readFileSync(envFile(), 'utf8'));
      assert.equal(env.FILES_TOKEN, FILES_TOKEN);
      assert.match(env.HOME, /ccgate-session-/);
      assert.match(env.TMPDIR, /ccgate-session-/);
      for (const name of Object.keys(env)) assert.doesNotMatch(name, /^(ANTHROPIC_|CLAUDE|GATEWAY_API_KEY|WEB_TOKEN|ALICE_KEY)/, `${name} leaked`);

      await waitUntil(() => /server-side tool mcp__files__lookup_fact: ok/.test(gateway.log()), 5000, 'the log line');
      assert.ok(!gateway.log().includes(marker), 'the log never shows the arguments');
    }),
  );

  test(
    "a Streamable-HTTP server's tool, streamed: no tool_calls, the answer, and the server got its headers",
    withLog(log, async () => {
      const marker = `http-${randomBytes(4).toString('hex')}`;
      const stream = await gateway.client().chat.completions.create({
        model: MODEL,
        stream: true,
        messages: [user(`force-call mcp__web__web_search with {"topic":"${marker}"}`)],
      });
      const seen = await collectStream(stream);
      assert.equal(seen.toolCalls, 0);
      assert.equal(seen.finishReason, 'stop');
      assert.match(seen.content, new RegExp(`web-result \\{"topic":"${marker}"\\}`));
      assert.equal(seen.reasoning, '', 'no activity text unless asked');
      assert.ok(web.calls.some((call) => call.name === 'web_search' && call.arguments.topic === marker));
    }),
  );

  test(
    'a tool not in allow_tools is denied: the model gets the denial, the server never runs it',
    withLog(log, async () => {
      const marker = `denied-${randomBytes(4).toString('hex')}`;
      const completion = await gateway.client().chat.completions.create({
        model: MODEL,
        messages: [user(`force-call mcp__files__delete_all with {"topic":"${marker}"}`)],
      });
      assert.equal(completion.choices[0].finish_reason, 'stop');
      assert.equal(completion.choices[0].message.tool_calls, undefined);
      const withResult = requestsWith(marker).find((r) => toolResultsOf(r.body).length > 0);
      assert.ok(withResult, 'the model got a result for the call');
      const [result] = toolResultsOf(withResult.body);
      assert.equal(result.is_error, true);
      assert.match(result.text, /delete_all is not available/);
      assert.ok(!recordedCalls().some((call) => call.name === 'delete_all'), 'the server never ran it');
      await waitUntil(() => /server-side tool mcp__files__delete_all: denied/.test(gateway.log()), 5000, 'the log line');
    }),
  );

  test(
    'the tool activity as reasoning text: only for a client that asks (header, or its key)',
    withLog(log, async () => {
      const ask = (apiKey, headers) =>
        gateway
          .client({ apiKey })
          .chat.completions.create({ model: MODEL, stream: true, messages: [user(`force-call mcp__files__lookup_fact with {"topic":"${randomBytes(4).toString('hex')}"}`)] }, { headers })
          .then(collectStream);

      const asked = await ask(BOB_KEY, { 'x-ccgate-tool-activity': 'true' });
      assert.equal(asked.reasoning, 'Calling lookup_fact…\nlookup_fact: ok\n');
      assert.equal(asked.toolCalls, 0);
      assert.match(asked.content, /fact-from-stdio/);

      assert.equal((await ask(BOB_KEY, {})).reasoning, '', "bob's key does not ask for it");
      assert.equal((await ask(ALICE_KEY, {})).reasoning, 'Calling lookup_fact…\nlookup_fact: ok\n', "alice's key asks for it");
      assert.equal((await ask(ALICE_KEY, { 'x-ccgate-tool-activity': 'false' })).reasoning, '', 'the header wins over the key');

      const bad = await rejectsWith(ask(BOB_KEY, { 'x-ccgate-tool-activity': 'sometimes' }), OpenAI.BadRequestError);
      assert.match(bad.message, /x-ccgate-tool-activity/);
    }),
  );

  test(
    'only_for limits a server by model and by client key',
    withLog(log, async () => {
      const offeredFor = async (model, apiKey) => {
        const marker = `only-${randomBytes(4).toString('hex')}`;
        await gateway.client({ apiKey }).chat.completions.create({ model, messages: [user(`say hi ${marker}`)] });
        const [request] = gateway.model.messageRequests.filter((r) => lastUserText(r.body).includes(marker));
        return toolNamesOf(request.body);
      };
      const sonnet = await offeredFor(MODEL, BOB_KEY);
      assert.ok(sonnet.includes('mcp__files__lookup_fact') && sonnet.includes('mcp__web__web_search'), `${sonnet}`);
      assert.ok(!sonnet.some((name) => name.startsWith('mcp__opusonly__')), `sonnet gets no opus-only server: ${sonnet}`);
      assert.ok(!sonnet.some((name) => name.startsWith('mcp__alicetools__')), `bob gets no server of alice's: ${sonnet}`);

      const opus = await offeredFor('opus', BOB_KEY);
      assert.ok(opus.includes('mcp__opusonly__web_search'), `opus: ${opus}`);

      const alice = await offeredFor(MODEL, ALICE_KEY);
      assert.ok(alice.includes('mcp__alicetools__web_search'), `alice: ${alice}`);
      const gatewayKey = await offeredFor(MODEL, undefined);
      assert.ok(!gatewayKey.some((name) => name.startsWith('mcp__alicetools__')), `GATEWAY_API_KEY names no client: ${gatewayKey}`);
    }),
  );

  test(
    'named client keys open the gateway door like GATEWAY_API_KEY; other keys get 401',
    withLog(log, async () => {
      const answer = await gateway.client({ apiKey: ALICE_KEY }).chat.completions.create({ model: MODEL, messages: [user('hello from alice')] });
      assert.equal(answer.choices[0].finish_reason, 'stop');
      await rejectsWith(gateway.client({ apiKey: 'sk-nobody' }).chat.completions.create({ model: MODEL, messages: [user('hi')] }), OpenAI.AuthenticationError);
    }),
  );

  test(
    'the metrics count server-side tool calls by server and outcome',
    withLog(log, async () => {
      const okBefore = await metricValue(gateway.url, 'ccgate_gateway_server_tool_calls_total', { server: 'web', outcome: 'ok' });
      await gateway.client().chat.completions.create({ model: MODEL, messages: [user('force-call mcp__web__web_search with {"topic":"metrics"}')] });
      await waitUntil(
        async () => (await metricValue(gateway.url, 'ccgate_gateway_server_tool_calls_total', { server: 'web', outcome: 'ok' })) === okBefore + 1,
        5000,
        'the web call counted',
      );
      assert.ok((await metricValue(gateway.url, 'ccgate_gateway_server_tool_calls_total', { server: 'files', outcome: 'ok' })) >= 1);
      assert.ok((await metricValue(gateway.url, 'ccgate_gateway_server_tool_calls_total', { server: 'files', outcome: 'denied' })) >= 1);

      // A tool that fails: the model gets its error, the log and the metrics say error.
      const failed = await gateway.client().chat.completions.create({ model: MODEL, messages: [user('force-call mcp__web__web_broken with {"topic":"x"}')] });
      assert.match(failed.choices[0].message.content, /the search backend is down/);
      await waitUntil(
        async () => (await metricValue(gateway.url, 'ccgate_gateway_server_tool_calls_total', { server: 'web', outcome: 'error' })) === 1,
        5000,
        'the failed call counted',
      );
      assert.match(gateway.log(), /server-side tool mcp__web__web_broken: error/);
    }),
  );
});

describe('gateway: an operator MCP server that fails to start or connect', { skip: claudeMissing }, () => {
  let gateway;
  let configDir;
  const log = () => gateway;
  const hangMarker = `ccgate-e2e-hanging-mcp-${randomBytes(4).toString('hex')}`;

  before(async () => {
    configDir = makeTempDir('ccgate-e2e-mcp-failing-');
    const config = writeConfig(
      configDir,
      `gateway:
  mcp_servers:
    - name: broken
      command: /nonexistent/ccgate-e2e-mcp-server
      allow_tools: ["*"]
      only_for: {models: [broken-model]}
    - name: unreachable
      url: http://127.0.0.1:9/mcp
      allow_tools: ["*"]
      only_for: {models: [unreachable-model]}
    - name: hanging
      command: ${process.execPath}
      args: ["-e", "setInterval(() => {}, 1000)", ${JSON.stringify(hangMarker)}]
      allow_tools: ["*"]
      only_for: {models: [hanging-model]}
`,
    );
    gateway = await GatewayFixture.start({ env: { CCGATE_CONFIG: config, MCP_SERVER_START_TIMEOUT: '2' } });
  });
  after(async () => {
    await gateway?.stop();
    if (configDir) fs.rmSync(configDir, { recursive: true, force: true });
  });

  for (const { model, server, status, stream } of [
    { model: 'broken-model', server: 'broken', status: 'failed', stream: false },
    { model: 'broken-model', server: 'broken', status: 'failed', stream: true },
    { model: 'unreachable-model', server: 'unreachable', status: 'failed', stream: false },
    // Past MCP_SERVER_START_TIMEOUT the CLI reports a server that never answered as failed or
    // still pending.
    { model: 'hanging-model', server: 'hanging', status: '(failed|pending)', stream: true },
  ]) {
    test(
      `${server} (${status}${stream ? ', streamed' : ''}): 503 naming it, and nothing is left behind`,
      withLog(log, async () => {
        const started = Date.now();
        const error = await rejectsWith(
          gateway.client().chat.completions.create({ model, stream, messages: [user(`hello ${server}`)] }),
          OpenAI.APIError,
        );
        assert.equal(error.status, 503);
        assert.match(error.message, new RegExp(`MCP server ${server} is not available`));
        assert.match(error.message, new RegExp(`status: ${status}`));
        assert.ok(Date.now() - started < 20_000, `answered within MCP_SERVER_START_TIMEOUT and a CLI start (${Date.now() - started} ms)`);
        await gateway.assertCleanWithin(5000, 'after the failed start');
        await waitUntil(() => !processTable().some((p) => p.cmdline.includes(hangMarker)), 5000, 'the hanging server ended');
      }),
    );
  }

  test(
    'a conversation without the failing server is served as before',
    withLog(log, async () => {
      const answer = await gateway.client().chat.completions.create({ model: MODEL, messages: [user('hello without servers')] });
      assert.equal(answer.choices[0].finish_reason, 'stop');
    }),
  );
});

describe('gateway: spares are fixed to their operator MCP servers', { skip: claudeMissing }, () => {
  let gateway;
  let web;
  let configDir;
  const log = () => gateway;

  before(async () => {
    configDir = makeTempDir('ccgate-e2e-mcp-spares-');
    web = await HttpMcpServer.start({ tools: [{ name: 'private_search' }] });
    const config = writeConfig(
      configDir,
      `gateway:
  client_keys:
    - id: alice
      key: \${ALICE_KEY}
    - id: bob
      key: \${BOB_KEY}
  mcp_servers:
    - name: alicetools
      url: ${web.url}
      allow_tools: ["*"]
      only_for: {client_keys: [alice]}
`,
    );
    gateway = await GatewayFixture.start({ env: { CCGATE_CONFIG: config, ALICE_KEY, BOB_KEY, SPARE_SESSIONS: '1' } });
  });
  after(async () => {
    await gateway?.stop();
    await web?.close();
    if (configDir) fs.rmSync(configDir, { recursive: true, force: true });
  });

  test(
    "a spare started for alice's conversation never serves bob's",
    withLog(log, async () => {
      const offered = async (apiKey, marker) => {
        await gateway.client({ apiKey }).chat.completions.create({ model: MODEL, messages: [user(`say hi ${marker}`)] });
        const request = gateway.model.messageRequests.find((r) => lastUserText(r.body).includes(marker));
        return toolNamesOf(request.body);
      };
      assert.ok((await offered(ALICE_KEY, 'alice-1')).includes('mcp__alicetools__private_search'));
      await waitUntil(() => /spare session \w+ started/.test(gateway.log()), 15_000, "a spare for alice's kind of conversation");
      const bob = await offered(BOB_KEY, 'bob-1');
      assert.ok(!bob.some((name) => name.startsWith('mcp__alicetools__')), `bob: ${bob}`);
      assert.ok(!/\(a spare\) takes a new conversation/.test(gateway.log()), "bob did not adopt alice's spare");
      assert.ok((await offered(ALICE_KEY, 'alice-2')).includes('mcp__alicetools__private_search'));
      assert.match(gateway.log(), /\(a spare\) takes a new conversation/, "alice's next conversation adopts it");
    }),
  );
});
