#!/usr/bin/env node
// Regenerates the fuzz seed corpora (tests/fuzz/corpus/<target>/) from what the tests already
// hold: the recorded upstream streams (tests/unit/fixtures/*.sse), the recorded Claude Code CLI
// stdout (tests/unit/fixtures/cli/*.jsonl), the JSON bodies written in the unit tests, and, with
// --e2e DIR, the bodies the e2e suite's mock upstreams received and answered (recorded by
// scripts/fuzz-record-e2e.mjs). A few hand-written seeds cover what no test records (HTTP
// requests, .env files). Seeds are named <source>-<hash>; rerunning replaces the generated ones.
//
//   node scripts/fuzz-seeds.mjs [--e2e DIR]
//
// The stream targets read options and cut points from the end of their input (see
// tests/fuzz/fuzz_support.hpp): their seeds carry that trailer, built here by Trailer.

import crypto from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const corpusRoot = path.join(root, 'tests/fuzz/corpus');
const unitDir = path.join(root, 'tests/unit');
const e2eIndex = process.argv.indexOf('--e2e');
const e2eDir = e2eIndex > 0 ? process.argv[e2eIndex + 1] : null;
const kMaxSeedBytes = 256 * 1024;

const written = new Map(); // target → Set of file names written this run

function seed(target, source, content) {
  const bytes = Buffer.isBuffer(content) ? content : Buffer.from(content);
  if (bytes.length === 0 || bytes.length > kMaxSeedBytes) return;
  const name = `${source}-${crypto.createHash('sha1').update(bytes).digest('hex').slice(0, 12)}`;
  const dir = path.join(corpusRoot, target);
  fs.mkdirSync(dir, { recursive: true });
  fs.writeFileSync(path.join(dir, name), bytes);
  if (!written.has(target)) written.set(target, new Set());
  written.get(target).add(name);
}

// FuzzedDataProvider reads integers from the end of the input, last byte first, the first byte
// read being the most significant. Bytes are pushed in the order the target consumes them.
class Trailer {
  #bytes = [];
  byte(value) {
    this.#bytes.push(value & 0xff);
    return this;
  }
  bool(value) {
    return this.byte(value ? 1 : 0);
  }
  u16(value) {
    return this.byte(value >> 8).byte(value);
  }
  cuts(sizes) {
    this.byte(sizes.length);
    for (const size of sizes) this.u16(size);
    return this;
  }
  after(payload) {
    return Buffer.concat([Buffer.from(payload), Buffer.from([...this.#bytes].reverse())]);
  }
}

const kCutPatterns = [[], [1, 1, 1, 2, 3, 5, 8, 13], [7, 64, 3, 200, 1, 1, 1, 90]];

function streamSeeds(target, source, body) {
  kCutPatterns.forEach((cuts, i) => {
    const trailer = new Trailer();
    if (target === 'openai_stream') trailer.byte(1); // the upstream does not fail at the end
    seed(target, `${source}-cut${i}`, trailer.cuts(cuts).after(body));
  });
}

function cliSeed(source, lines, { stream = true, usage = true, reasoning = true, stops = 0, maxTokens } = {}) {
  const trailer = new Trailer().bool(stream).bool(usage).bool(reasoning).byte(stops);
  trailer.bool(maxTokens !== undefined);
  if (maxTokens !== undefined) trailer.u16(maxTokens + 1); // ConsumeIntegralInRange(-1, 300)
  seed('cli_stream', source, trailer.after(lines));
}

// ---- raw JSON written in the unit tests ----

function rawLiterals(text) {
  const literals = [];
  const pattern = /R"([^()\\\s]{0,16})\(([\s\S]*?)\)\1"/g;
  for (let match; (match = pattern.exec(text)); ) literals.push({ at: match.index, text: match[2] });
  return literals;
}

function tryJson(text) {
  try {
    return { value: JSON.parse(text) };
  } catch {
    return null;
  }
}

// Literals per TEST block, as parsed JSON (or the raw text when it is not JSON).
function testBlocks(file) {
  const text = fs.readFileSync(path.join(unitDir, file), 'utf8');
  const starts = [...text.matchAll(/^(TEST|TEST_F|TEST_P)\(|^const \w+Case k/gm)].map((m) => m.index);
  starts.push(text.length);
  const literals = rawLiterals(text);
  const blocks = [];
  for (let i = 0; i + 1 < starts.length; i++) {
    blocks.push(literals.filter((l) => l.at >= starts[i] && l.at < starts[i + 1]));
  }
  blocks.push(literals.filter((l) => l.at < starts[0]));
  return blocks.map((block) =>
    block.map((l) => ({ raw: l.text, json: tryJson(l.text) ?? tryJson(`{${l.text}}`) })),
  );
}

const isObject = (v) => v !== null && typeof v === 'object' && !Array.isArray(v);
const isMessageArray = (v) => Array.isArray(v) && v.length > 0 && v.every((m) => isObject(m) && 'role' in m);

// Requests for `target`: every JSON value a unit test holds that is a request body, a message
// list, one message, or an object with one of the request's own top-level fields, over `base`.
function requestSeeds(target, file, base, requestFields) {
  for (const block of testBlocks(file)) {
    for (const { json } of block) {
      if (!json) continue;
      const v = json.value;
      let request = null;
      if (isObject(v) && Array.isArray(v.messages)) request = { ...base, ...v };
      else if (isMessageArray(v)) request = { ...base, messages: v };
      else if (isObject(v) && 'role' in v) request = { ...base, messages: [v] };
      else if (isObject(v) && Object.keys(v).some((k) => requestFields.includes(k))) request = { ...base, ...v };
      if (request) seed(target, `unit-${path.basename(file, '.cpp')}`, JSON.stringify(request));
    }
  }
}

const anthropicSeeds = (file) =>
  requestSeeds('anthropic_request', file, { model: 'claude-sonnet-4-5', max_tokens: 1024, messages: [{ role: 'user', content: 'hi' }] }, [
    'tools', 'system', 'thinking', 'tool_choice', 'metadata', 'stop_sequences', 'output_config', 'stream',
  ]);

const chatSeeds = (file) =>
  requestSeeds('chat_request', file, { model: 'gpt-4o', messages: [{ role: 'user', content: 'hi' }] }, [
    'tools', 'tool_choice', 'stop', 'max_tokens', 'stream_options', 'reasoning_effort',
  ]);

function completionWith(choice) {
  return { id: 'chatcmpl-1', object: 'chat.completion', created: 1, model: 'gpt-4o', choices: [choice], usage: { prompt_tokens: 12, completion_tokens: 3 } };
}

function responseSeeds(file) {
  for (const block of testBlocks(file)) {
    for (const { json } of block) {
      if (!json || !isObject(json.value)) continue;
      const v = json.value;
      let body = null;
      if (Array.isArray(v.choices)) body = v;
      else if ('message' in v && ('finish_reason' in v || 'index' in v)) body = completionWith(v);
      else if (v.role === 'assistant') body = completionWith({ index: 0, message: v, finish_reason: 'stop' });
      if (body) seed('openai_response', `unit-${path.basename(file, '.cpp')}`, JSON.stringify(body));
    }
  }
}

const kDeltaKeys = new Set(['role', 'content', 'tool_calls', 'reasoning_content', 'reasoning', 'refusal']);

function chunkWith(delta, finishReason = null) {
  return { id: 'c', object: 'chat.completion.chunk', choices: [{ index: 0, delta, finish_reason: finishReason }] };
}

function streamTestSeeds(file) {
  for (const block of testBlocks(file)) {
    const events = [];
    for (const { json } of block) {
      if (!json || !isObject(json.value)) continue;
      const v = json.value;
      if (Array.isArray(v.choices) || 'error' in v) events.push(v);
      else if ('function' in v || ('index' in v && 'id' in v)) events.push(chunkWith({ tool_calls: [v] }));
      else if (Object.keys(v).length > 0 && Object.keys(v).every((k) => kDeltaKeys.has(k))) events.push(chunkWith(v));
    }
    if (events.length === 0) continue;
    events.push(chunkWith({}, 'stop'));
    const body = events.map((e) => `data: ${JSON.stringify(e)}\n\n`).join('') + 'data: [DONE]\n\n';
    streamSeeds('openai_stream', `unit-${path.basename(file, '.cpp')}`, body);
  }
}

const kStreamEventTypes = new Set(['message_start', 'content_block_start', 'content_block_delta', 'content_block_stop', 'message_delta', 'message_stop', 'ping']);

function cliTestSeeds(file) {
  for (const block of testBlocks(file)) {
    const lines = [];
    for (const { json } of block) {
      if (!json || !isObject(json.value) || typeof json.value.type !== 'string') continue;
      const v = json.value;
      lines.push(kStreamEventTypes.has(v.type) ? { type: 'stream_event', event: v } : v);
    }
    if (lines.length > 0) cliSeed(`unit-${path.basename(file, '.cpp')}`, lines.map((l) => JSON.stringify(l) + '\n').join(''));
  }
}

function mcpSeeds(file) {
  for (const block of testBlocks(file)) {
    for (const { raw, json } of block) {
      // The JSON-RPC tests write broken bodies on purpose: those are seeds too.
      if (json && !isObject(json.value) && !Array.isArray(json.value)) continue;
      if (!json && !raw.includes('jsonrpc')) continue;
      if (json && isObject(json.value) && !('jsonrpc' in json.value || 'method' in json.value)) continue;
      seed('mcp_jsonrpc', `unit-${path.basename(file, '.cpp')}`, json ? JSON.stringify(json.value) : raw);
    }
  }
}

// ---- recorded streams ----

function fixtureSeeds() {
  const fixtures = path.join(unitDir, 'fixtures');
  for (const name of fs.readdirSync(fixtures).filter((n) => n.endsWith('.sse'))) {
    const body = fs.readFileSync(path.join(fixtures, name));
    streamSeeds('openai_stream', `fixture-${path.basename(name, '.sse')}`, body);
    streamSeeds('sse_reader', `fixture-${path.basename(name, '.sse')}`, body);
  }
  const cli = path.join(fixtures, 'cli');
  for (const name of fs.readdirSync(cli).filter((n) => n.endsWith('.jsonl'))) {
    const lines = fs.readFileSync(path.join(cli, name));
    const source = `fixture-${path.basename(name, '.jsonl')}`;
    cliSeed(source, lines);
    cliSeed(`${source}-nostream`, lines, { stream: false, usage: false });
    cliSeed(`${source}-limits`, lines, { stops: 0b01011, maxTokens: 12 });
  }
}

// At most kE2eSeedsPerKind bodies of each kind, spread over their sizes: the suite sends many
// near-copies (Claude Code's requests differ mostly in their last message).
const kE2eSeedsPerKind = 24;

function e2eSeeds(dir) {
  const read = (sub) => {
    const full = path.join(dir, sub);
    if (!fs.existsSync(full)) return [];
    const bodies = fs.readdirSync(full).map((n) => fs.readFileSync(path.join(full, n)));
    bodies.sort((a, b) => a.length - b.length);
    if (bodies.length <= kE2eSeedsPerKind) return bodies;
    const step = (bodies.length - 1) / (kE2eSeedsPerKind - 1);
    return Array.from({ length: kE2eSeedsPerKind }, (_, i) => bodies[Math.round(i * step)]);
  };
  for (const body of read('anthropic-requests')) seed('anthropic_request', 'e2e', body);
  for (const body of read('openai-requests')) seed('chat_request', 'e2e', body);
  for (const body of read('openai-json-answers')) seed('openai_response', 'e2e', body);
  for (const body of read('openai-sse-answers')) {
    streamSeeds('openai_stream', 'e2e', body);
    streamSeeds('sse_reader', 'e2e', body);
  }
  for (const body of read('anthropic-sse-answers')) streamSeeds('sse_reader', 'e2e-anthropic', body);
}

// ---- hand-written: what no test records ----

function mcpHandWritten() {
  const bodies = [
    { jsonrpc: '2.0', id: 0, method: 'initialize', params: { protocolVersion: '2025-06-18', capabilities: { roots: {} }, clientInfo: { name: 'claude-code', version: '2.1.30' } } },
    { jsonrpc: '2.0', method: 'notifications/initialized' },
    { jsonrpc: '2.0', id: 1, method: 'tools/list', params: {} },
    { jsonrpc: '2.0', id: 2, method: 'tools/call', params: { name: 'get_weather', arguments: { city: 'Paris' }, _meta: { 'claudecode/toolUseId': 'toolu_01', progressToken: 2 } } },
    { jsonrpc: '2.0', method: 'notifications/cancelled', params: { requestId: 2, reason: 'user interrupted' } },
    { jsonrpc: '2.0', id: 'server-discover-1', method: 'server/discover' },
    { jsonrpc: '2.0', id: 3, method: 'ping' },
    { jsonrpc: '2.0', id: 4, result: {} },
    [{ jsonrpc: '2.0', id: 5, method: 'ping' }],
  ];
  for (const body of bodies) seed('mcp_jsonrpc', 'handwritten', JSON.stringify(body));
}

function httpHandWritten() {
  const requests = [
    'GET / HTTP/1.1\r\nHost: a\r\n\r\n',
    'GET /echo?x=1 HTTP/1.0\r\n\r\n',
    'HEAD / HTTP/1.1\r\nHost: a\r\n\r\n',
    'POST /v1/messages HTTP/1.1\r\nHost: a\r\nContent-Type: application/json\r\nContent-Length: 2\r\n\r\n{}',
    'POST /stream HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nhello\r\n0\r\n\r\n',
    'POST /stream HTTP/1.1\r\nHost: a\r\nExpect: 100-continue\r\nContent-Length: 5\r\n\r\nhello',
    'GET /throw HTTP/1.1\r\nHost: a\r\n\r\nGET /silent HTTP/1.1\r\nHost: a\r\n\r\nGET /unfinished HTTP/1.1\r\nHost: a\r\n\r\n',
    'GET / HTTP/1.1\r\nHost: a\r\nConnection: close\r\n\r\nGET / HTTP/1.1\r\n\r\n',
    'POST / HTTP/1.1\r\nContent-Length: 99999\r\n\r\nx',
    'POST / HTTP/1.1\r\nContent-Length: 1\r\nContent-Length: 2\r\n\r\nxy',
    'GET / HTTP/1.1\r\nX: ' + 'a'.repeat(300) + '\r\n\r\n',
    'BREW /pot HTTP/1.1\r\n\r\n',
    'GET / HTTP/1.1\n\n',
  ];
  for (const request of requests) seed('http_server', 'handwritten', request);
}

function dotenvSeeds() {
  // Every variable of the README's configuration table, at its documented default.
  const readme = fs.readFileSync(path.join(root, 'README.md'), 'utf8');
  const lines = [];
  for (const match of readme.matchAll(/^\| `([A-Z][A-Z0-9_]+)` \| `([^`]*)` \|/gm)) {
    if (!/^[A-Z_]+$/.test(match[2])) lines.push(`${match[1]}=${match[2]}`); // not "value of X"
  }
  seed('dotenv_config', 'readme-defaults', lines.join('\n') + '\n');
  // The unit test's .env, and its bad values one per file.
  const test = fs.readFileSync(path.join(unitDir, 'app_config_test.cpp'), 'utf8');
  const dotenv = test.match(/parse_dotenv\(\s*((?:"(?:[^"\\]|\\.)*"\s*)+)\)/);
  if (dotenv) seed('dotenv_config', 'unit-app_config_test', JSON.parse(`[${dotenv[1].trim().split(/"\s+"/).join('","')}]`).join(''));
  for (const match of test.matchAll(/\{"([A-Z_]+)", "((?:[^"\\]|\\.)*)"\}/g)) {
    seed('dotenv_config', 'unit-app_config_test', `${match[1]}=${match[2]}\n`);
  }
  seed('dotenv_config', 'handwritten',
    '# proxy to a local Ollama\nexport OPENAI_BASE_URL="http://127.0.0.1:11434/v1"\nBIG_MODEL=\'qwen3 # big\'\n' +
    'MODEL_MAP=claude-x=gpt-y, claude-z = gpt-w\nREQUEST_TIMEOUT=1.5 # seconds\nCUSTOM_HEADER_X_API_KEY=v\nGATEWAY_REASONING=off\n');
}

// ---- run ----

// Generated seeds are replaced; files of other names (hand-minimized reproducers) are kept.
for (const target of fs.existsSync(corpusRoot) ? fs.readdirSync(corpusRoot) : []) {
  for (const name of fs.readdirSync(path.join(corpusRoot, target))) {
    if (/^(unit|fixture|e2e|handwritten|readme)-/.test(name)) {
      if (!e2eDir && name.startsWith('e2e')) continue; // keep recorded seeds unless re-recording
      fs.rmSync(path.join(corpusRoot, target, name));
    }
  }
}

fixtureSeeds();
anthropicSeeds('translate_request_test.cpp');
anthropicSeeds('translate_token_estimate_test.cpp');
chatSeeds('translate_gateway_chat_request_test.cpp');
chatSeeds('translate_gateway_cli_input_test.cpp');
responseSeeds('translate_response_test.cpp');
streamTestSeeds('translate_stream_test.cpp');
cliTestSeeds('translate_gateway_cli_stream_test.cpp');
for (const file of ['mcp_jsonrpc_test.cpp', 'mcp_protocol_test.cpp', 'mcp_endpoint_test.cpp']) mcpSeeds(file);
mcpHandWritten();
httpHandWritten();
dotenvSeeds();
if (e2eDir) e2eSeeds(e2eDir);

for (const [target, names] of [...written].sort()) console.log(`${target}: ${names.size} seeds written`);
