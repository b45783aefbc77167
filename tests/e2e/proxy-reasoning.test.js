// The reasoning round trip on the proxy door (issue 11): DeepSeek, Kimi and other providers
// require the assistant's reasoning_content back on later requests of the same tool loop. A
// thinking block ccgate made from reasoning_content returns upstream as reasoning_content; one
// it did not make (signed by Anthropic, say) is dropped.

import assert from 'node:assert/strict';
import { after, before, beforeEach, describe, test } from 'node:test';

import { ProxyFixture, user } from './lib/harness.js';
import { chunk, completion, toolCall, toolCallChunks, usage, usageChunk } from './lib/mock-openai.js';

const weatherTool = {
  name: 'get_weather',
  description: 'Current weather for a city',
  input_schema: { type: 'object', properties: { city: { type: 'string' } }, required: ['city'] },
};
const model = 'claude-sonnet-4-6';
// What a real Anthropic signature looks like: a long base64 string.
const anthropicSignature = `EqQBCkgIBxABGAIiQ${Buffer.from('a signature made by Anthropic, not by ccgate').toString('base64')}`;

const assistantMessages = (request) => request.body.messages.filter((message) => message.role === 'assistant');

describe('proxy door: reasoning round trip', () => {
  let proxy;
  let client;

  before(async () => {
    proxy = await ProxyFixture.start();
    client = proxy.client();
  });
  after(() => proxy?.stop());
  beforeEach(() => proxy.mock.reset());

  test('streamed reasoning_content + tool call: the thinking the SDK got goes back upstream as reasoning_content', async () => {
    proxy.mock.enqueue({
      stream: [
        chunk({ role: 'assistant' }),
        chunk({ reasoning_content: 'The user wants the weather. ' }),
        chunk({ reasoning_content: 'I should call "get_weather" — café.' }),
        chunk({ content: 'Checking.' }),
        chunk({ reasoning_content: '\nCity: Kyiv.' }),
        ...toolCallChunks(0, 'call_kyiv', 'get_weather', ['{"city"', ':"Kyiv"}']),
        chunk({}, { finishReason: 'tool_calls' }),
        usageChunk(usage(30, 8)),
      ],
    });
    const question = user('weather in Kyiv?');
    const first = await client.messages.stream({ model, max_tokens: 256, tools: [weatherTool], messages: [question] }).finalMessage();
    assert.equal(first.stop_reason, 'tool_use');
    const thinking = first.content.filter((block) => block.type === 'thinking');
    assert.equal(thinking.length, 2);
    assert.equal(thinking.map((block) => block.thinking).join(''), 'The user wants the weather. I should call "get_weather" — café.\nCity: Kyiv.');
    for (const block of thinking) assert.ok(block.signature.length > 0, 'Claude Code drops an unsigned thinking block');

    proxy.mock.enqueue({ stream: [chunk({ role: 'assistant' }), chunk({ content: 'Snowing in Kyiv.' }), chunk({}, { finishReason: 'stop' })] });
    const second = await client.messages
      .stream({
        model,
        max_tokens: 256,
        tools: [weatherTool],
        messages: [question, { role: 'assistant', content: first.content }, user([{ type: 'tool_result', tool_use_id: 'call_kyiv', content: 'snow' }])],
      })
      .finalMessage();
    assert.deepEqual(second.content, [{ type: 'text', text: 'Snowing in Kyiv.' }]);

    const [assistant] = assistantMessages(proxy.mock.requests[1]);
    assert.equal(assistant.reasoning_content, 'The user wants the weather. I should call "get_weather" — café.\nCity: Kyiv.');
    assert.equal(assistant.content, 'Checking.');
    assert.deepEqual(assistant.tool_calls, [toolCall('call_kyiv', 'get_weather', { city: 'Kyiv' })]);
  });

  test('non-streaming reasoning_content + tool call: sent back as reasoning_content too', async () => {
    proxy.mock.enqueue({
      json: completion({
        finishReason: 'tool_calls',
        reasoningContent: 'Paris needs a lookup.',
        toolCalls: [toolCall('call_paris', 'get_weather', { city: 'Paris' })],
      }),
    });
    const question = user('weather in Paris?');
    const first = await client.messages.create({ model, max_tokens: 256, tools: [weatherTool], messages: [question] });
    const [thinking] = first.content.filter((block) => block.type === 'thinking');
    assert.equal(thinking.thinking, 'Paris needs a lookup.');
    assert.ok(thinking.signature.length > 0, 'Claude Code drops an unsigned thinking block');

    proxy.mock.enqueue({ json: completion({ content: 'Sunny.' }) });
    await client.messages.create({
      model,
      max_tokens: 256,
      tools: [weatherTool],
      messages: [question, { role: 'assistant', content: first.content }, user([{ type: 'tool_result', tool_use_id: 'call_paris', content: 'sun' }])],
    });
    const [assistant] = assistantMessages(proxy.mock.requests[1]);
    assert.equal(assistant.reasoning_content, 'Paris needs a lookup.');
    assert.equal(assistant.content, null);
    assert.deepEqual(assistant.tool_calls, [toolCall('call_paris', 'get_weather', { city: 'Paris' })]);
  });

  // DeepSeek's thinking mode: the reasoning of a turn that called tools must go back in every
  // later request, not only within the current tool loop (a new user question does not end it).
  test('the reasoning of an earlier tool loop still goes back after a new user question', async () => {
    proxy.mock.enqueue({ json: completion({ finishReason: 'tool_calls', reasoningContent: 'Look up Rome.', toolCalls: [toolCall('call_rome', 'get_weather', { city: 'Rome' })] }) });
    const first = await client.messages.create({ model, max_tokens: 64, tools: [weatherTool], messages: [user('Rome?')] });
    proxy.mock.enqueue({ json: completion({ content: 'Warm.' }) });
    await client.messages.create({
      model,
      max_tokens: 64,
      tools: [weatherTool],
      messages: [
        user('Rome?'),
        { role: 'assistant', content: first.content },
        user([{ type: 'tool_result', tool_use_id: 'call_rome', content: 'warm' }]),
        { role: 'assistant', content: [{ type: 'text', text: 'Warm.' }] },
        user('And tomorrow?'),
      ],
    });
    const [loop, answer] = assistantMessages(proxy.mock.requests[1]);
    assert.equal(loop.reasoning_content, 'Look up Rome.');
    assert.ok(!('reasoning_content' in answer));
  });

  test('a thinking block ccgate did not make is dropped, beside one it did', async () => {
    proxy.mock.enqueue({ json: completion({ finishReason: 'tool_calls', reasoningContent: 'ours', toolCalls: [toolCall('call_1', 'get_weather', { city: 'Oslo' })] }) });
    const ours = await client.messages.create({ model, max_tokens: 64, tools: [weatherTool], messages: [user('Oslo?')] });
    const ownThinking = ours.content.find((block) => block.type === 'thinking');

    proxy.mock.enqueue({ json: completion({ content: 'ok' }) });
    await client.messages.create({
      model,
      max_tokens: 64,
      tools: [weatherTool],
      messages: [
        user('Oslo?'),
        {
          role: 'assistant',
          content: [
            { type: 'thinking', thinking: 'signed by Anthropic', signature: anthropicSignature },
            { type: 'redacted_thinking', data: 'EmwKAhgBEgy3va3pzix/LafPsn4a' },
            { type: 'text', text: 'Looking it up.' },
            { type: 'tool_use', id: 'toolu_anthropic', name: 'get_weather', input: { city: 'Oslo' } },
          ],
        },
        user([{ type: 'tool_result', tool_use_id: 'toolu_anthropic', content: 'rain' }]),
        { role: 'assistant', content: [{ type: 'thinking', thinking: 'forged?', signature: 'ccgate' }, ownThinking, ...ours.content.filter((block) => block.type === 'tool_use')] },
        user([{ type: 'tool_result', tool_use_id: 'call_1', content: 'rain' }]),
      ],
    });
    const [foreign, own] = assistantMessages(proxy.mock.requests[1]);
    assert.deepEqual(foreign, {
      role: 'assistant',
      content: 'Looking it up.',
      tool_calls: [toolCall('toolu_anthropic', 'get_weather', { city: 'Oslo' })],
    });
    assert.equal(own.reasoning_content, 'ours');
    const body = JSON.stringify(proxy.mock.requests[1].body);
    for (const dropped of ['signed by Anthropic', 'forged?', anthropicSignature]) assert.ok(!body.includes(dropped), dropped);
  });
});
