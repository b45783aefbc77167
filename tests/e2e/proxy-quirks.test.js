// Per-model quirks on the proxy door (issue 11): what the configuration file says a model accepts
// shapes the request ccgate sends it, through the real Anthropic SDK. One mock upstream serves two
// providers of a configuration file:
//   deepseek/deepseek-chat      max_output_tokens 8192, no tool_choice, no stream_options
//   groq/llama-3.1-8b-instant   no parallel_tool_calls
//   legacy/deepseek-reasoner    a reasoning model without the reasoning round trip
// The routes name them by client model; the default route is the plain deepseek-chat.

import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';

import Anthropic from '@anthropic-ai/sdk';

import { Ccgate, makeTempDir } from './lib/ccgate.js';
import { user } from './lib/harness.js';
import { MockOpenAI, chunk, completion } from './lib/mock-openai.js';

const weatherTool = {
  name: 'get_weather',
  description: 'Current weather for a city',
  input_schema: { type: 'object', properties: { city: { type: 'string' } }, required: ['city'] },
};
const anthropicSignature = `EqQBCkgIBxABGAIiQ${Buffer.from('a signature made by Anthropic').toString('base64')}`;

function configFor(mock) {
  return `providers:
  - name: deepseek
    base_url: ${mock.baseURL}
    api_key: \${QUIRKS_UPSTREAM_KEY}
    models:
      deepseek-chat: {max_output_tokens: 8192, tool_choice: false, stream_options: false}
  - name: groq
    base_url: ${mock.baseURL}
    api_key: \${QUIRKS_UPSTREAM_KEY}
    models:
      llama-3.1-8b-instant: {parallel_tool_calls: false}
  - name: legacy
    base_url: ${mock.baseURL}
    api_key: \${QUIRKS_UPSTREAM_KEY}
    models:
      deepseek-reasoner: {reasoning: true, reasoning_round_trip: false}
routes:
  default: deepseek/deepseek-chat
  models:
    fast: groq/llama-3.1-8b-instant
    legacy-reasoner: legacy/deepseek-reasoner
`;
}

async function startWithConfig(mock, dir) {
  const file = path.join(dir, 'ccgate.yaml');
  fs.writeFileSync(file, configFor(mock));
  return Ccgate.start({ env: { QUIRKS_UPSTREAM_KEY: 'sk-quirks-upstream' }, args: ['--config', file] });
}

// An earlier turn that made a tool call, with a thinking block ccgate made and one it did not.
const toolLoop = [
  user('weather in Kyiv?'),
  {
    role: 'assistant',
    content: [
      { type: 'thinking', thinking: 'Call the tool.', signature: 'ccgate:reasoning_content' },
      { type: 'thinking', thinking: 'Anthropic thought.', signature: anthropicSignature },
      { type: 'tool_use', id: 'call_1', name: 'get_weather', input: { city: 'Kyiv' } },
    ],
  },
  { role: 'user', content: [{ type: 'tool_result', tool_use_id: 'call_1', content: 'snow' }] },
];

describe('proxy door: per-model quirks from the configuration file', () => {
  let mock;
  let gate;
  let dir;
  let client;

  before(async () => {
    mock = await MockOpenAI.start();
    dir = makeTempDir('ccgate-quirks-');
    gate = await startWithConfig(mock, dir);
    client = new Anthropic({ baseURL: gate.url, apiKey: 'sk-client-test', maxRetries: 0, timeout: 20_000 });
  });
  after(async () => {
    await Promise.allSettled([gate?.stop(), mock?.close()]);
    if (dir) fs.rmSync(dir, { recursive: true, force: true });
  });

  const quirkTest = (name, body) =>
    test(name, async () => {
      mock.reset();
      await body();
    });

  quirkTest('max_tokens above the model ceiling is clamped to it, not refused upstream', async () => {
    mock.enqueue({ json: completion({ content: 'ok' }) });
    const message = await client.messages.create({ model: 'claude-sonnet-4-6', max_tokens: 32000, messages: [user('hi')] });
    assert.equal(message.content[0].text, 'ok');
    const [request] = await mock.waitForRequests(1);
    assert.equal(request.body.model, 'deepseek-chat');
    assert.equal(request.body.max_tokens, 8192);
  });

  quirkTest('a model without tool_choice gets the tools but neither tool_choice nor parallel_tool_calls', async () => {
    mock.enqueue({ json: completion({ content: 'no tool needed' }) });
    await client.messages.create({
      model: 'claude-sonnet-4-6',
      max_tokens: 100,
      tools: [weatherTool],
      tool_choice: { type: 'any', disable_parallel_tool_use: true },
      messages: [user('weather?')],
    });
    const [request] = await mock.waitForRequests(1);
    assert.equal(request.body.tools.length, 1);
    assert.ok(!('tool_choice' in request.body), JSON.stringify(request.body));
    assert.ok(!('parallel_tool_calls' in request.body));
  });

  quirkTest('a model without parallel_tool_calls still gets the tool_choice', async () => {
    mock.enqueue({ json: completion({ content: 'no tool needed' }) });
    await client.messages.create({
      model: 'fast',
      max_tokens: 100,
      tools: [weatherTool],
      tool_choice: { type: 'any', disable_parallel_tool_use: true },
      messages: [user('weather?')],
    });
    const [request] = await mock.waitForRequests(1);
    assert.equal(request.body.model, 'llama-3.1-8b-instant');
    assert.equal(request.body.tool_choice, 'required');
    assert.ok(!('parallel_tool_calls' in request.body));
  });

  quirkTest('a model without stream_options streams without it, and the SDK still gets a whole message', async () => {
    mock.enqueue({ stream: [chunk({ role: 'assistant' }), chunk({ content: 'Hello.' }), chunk({}, { finishReason: 'stop' })] });
    const message = await client.messages.stream({ model: 'claude-sonnet-4-6', max_tokens: 100, messages: [user('hi')] }).finalMessage();
    assert.equal(message.content[0].text, 'Hello.');
    assert.equal(message.stop_reason, 'end_turn');
    assert.equal(message.usage.output_tokens, 0, 'no usage arrived: none is made up');
    const [request] = await mock.waitForRequests(1);
    assert.equal(request.body.stream, true);
    assert.ok(!('stream_options' in request.body), JSON.stringify(request.body));
  });

  quirkTest("ccgate's own thinking goes back as reasoning_content where the model takes it, a foreign one never", async () => {
    mock.enqueue({ json: completion({ content: 'Snow in Kyiv.' }) });
    await client.messages.create({ model: 'claude-sonnet-4-6', max_tokens: 100, tools: [weatherTool], messages: toolLoop });
    const [request] = await mock.waitForRequests(1);
    const assistant = request.body.messages.find((message) => message.role === 'assistant');
    assert.equal(assistant.reasoning_content, 'Call the tool.');
  });

  quirkTest('a model without the round trip gets no reasoning_content, and still the tool call', async () => {
    mock.enqueue({ json: completion({ content: 'Snow in Kyiv.' }) });
    await client.messages.create({ model: 'legacy-reasoner', max_tokens: 100, tools: [weatherTool], messages: toolLoop });
    const [request] = await mock.waitForRequests(1);
    assert.equal(request.body.model, 'deepseek-reasoner');
    assert.equal(request.body.max_completion_tokens, 100, 'a reasoning model');
    const assistant = request.body.messages.find((message) => message.role === 'assistant');
    assert.ok(!('reasoning_content' in assistant), JSON.stringify(assistant));
    assert.equal(assistant.tool_calls[0].id, 'call_1');
  });
});
