// Tool use round trips through the proxy door: what the SDK gets, and what the upstream is sent
// when the client answers with tool results.

import assert from 'node:assert/strict';
import { after, before, beforeEach, describe, test } from 'node:test';

import { ProxyFixture, textOf, user } from './lib/harness.js';
import { chunk, completion, toolCall, toolCallChunks, usage, usageChunk } from './lib/mock-openai.js';

const PNG_1x1 = 'iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mNkYPhfDwAChwGA60e6kgAAAABJRU5ErkJggg==';
const PNG_DATA_URL = `data:image/png;base64,${PNG_1x1}`;

const weatherTool = {
  name: 'get_weather',
  description: 'Current weather for a city',
  input_schema: { type: 'object', properties: { city: { type: 'string' } }, required: ['city'] },
};
const timeTool = { name: 'get_time', description: 'Time in a zone', input_schema: { type: 'object', properties: { tz: { type: 'string' } } } };

const imageParts = (content) => (Array.isArray(content) ? content.filter((part) => part.type === 'image_url') : []);

describe('proxy door: tool use round trips', () => {
  let proxy;
  let client;

  before(async () => {
    proxy = await ProxyFixture.start();
    client = proxy.client();
  });
  after(() => proxy?.stop());
  beforeEach(() => proxy.mock.reset());

  test('tool call → tool_use; tool_result + text + image → tool message then user message upstream', async () => {
    proxy.mock.enqueue({
      json: completion({ finishReason: 'tool_calls', toolCalls: [toolCall('call_123', 'get_weather', { city: 'Paris' })] }),
    });
    const question = user('What is the weather in Paris?');
    const first = await client.messages.create({ model: 'claude-sonnet-4-6', max_tokens: 512, tools: [weatherTool], messages: [question] });

    assert.equal(first.stop_reason, 'tool_use');
    const toolUse = first.content.find((block) => block.type === 'tool_use');
    assert.deepEqual(toolUse, { type: 'tool_use', id: 'call_123', name: 'get_weather', input: { city: 'Paris' } });

    const firstUpstream = proxy.mock.requests[0].body;
    assert.deepEqual(firstUpstream.tools, [
      { type: 'function', function: { name: 'get_weather', description: weatherTool.description, parameters: weatherTool.input_schema } },
    ]);

    proxy.mock.enqueue({ json: completion({ content: 'It is sunny in Paris, and that is a red pixel.' }) });
    const second = await client.messages.create({
      model: 'claude-sonnet-4-6',
      max_tokens: 512,
      tools: [weatherTool],
      messages: [
        question,
        { role: 'assistant', content: first.content },
        user([
          { type: 'tool_result', tool_use_id: 'call_123', content: [{ type: 'text', text: 'sunny, 21°C' }] },
          { type: 'text', text: 'Also, what is in this picture?' },
          { type: 'image', source: { type: 'base64', media_type: 'image/png', data: PNG_1x1 } },
        ]),
      ],
    });
    assert.deepEqual(second.content, [{ type: 'text', text: 'It is sunny in Paris, and that is a red pixel.' }]);
    assert.equal(second.stop_reason, 'end_turn');

    const { messages } = proxy.mock.requests[1].body;
    const assistantIndex = messages.findIndex((m) => m.role === 'assistant');
    assert.ok(assistantIndex > 0, JSON.stringify(messages));
    const assistant = messages[assistantIndex];
    assert.equal(assistant.tool_calls.length, 1);
    assert.equal(assistant.tool_calls[0].id, 'call_123');
    assert.equal(assistant.tool_calls[0].type, 'function');
    assert.equal(assistant.tool_calls[0].function.name, 'get_weather');
    assert.deepEqual(JSON.parse(assistant.tool_calls[0].function.arguments), { city: 'Paris' });

    const tool = messages[assistantIndex + 1];
    assert.equal(tool.role, 'tool', `the tool result follows the assistant message: ${JSON.stringify(messages)}`);
    assert.equal(tool.tool_call_id, 'call_123');
    assert.equal(textOf(tool.content), 'sunny, 21°C');

    const rest = messages[assistantIndex + 2];
    assert.equal(rest?.role, 'user', 'the rest of that user message is kept as a following user message');
    assert.match(textOf(rest.content), /Also, what is in this picture\?/);
    assert.deepEqual(imageParts(rest.content).map((part) => part.image_url.url), [PNG_DATA_URL]);
    assert.equal(messages.length, assistantIndex + 3);
  });

  test('several tool results become tool messages in order, with is_error results kept', async () => {
    await client.messages.create({
      model: 'claude-sonnet-4-6',
      max_tokens: 128,
      tools: [weatherTool, timeTool],
      messages: [
        user('weather and time in Paris?'),
        {
          role: 'assistant',
          content: [
            { type: 'text', text: 'Looking both up.' },
            { type: 'tool_use', id: 'toolu_A', name: 'get_weather', input: { city: 'Paris' } },
            { type: 'tool_use', id: 'toolu_B', name: 'get_time', input: { tz: 'CET' } },
          ],
        },
        user([
          { type: 'tool_result', tool_use_id: 'toolu_A', content: 'cloudy' },
          { type: 'tool_result', tool_use_id: 'toolu_B', content: 'clock is broken', is_error: true },
        ]),
      ],
    });

    const { messages } = proxy.mock.requests[0].body;
    const assistant = messages.find((m) => m.role === 'assistant');
    assert.equal(textOf(assistant.content), 'Looking both up.');
    assert.deepEqual(
      assistant.tool_calls.map((call) => [call.id, call.function.name, JSON.parse(call.function.arguments)]),
      [
        ['toolu_A', 'get_weather', { city: 'Paris' }],
        ['toolu_B', 'get_time', { tz: 'CET' }],
      ],
    );
    const toolMessages = messages.filter((m) => m.role === 'tool');
    assert.deepEqual(toolMessages.map((m) => m.tool_call_id), ['toolu_A', 'toolu_B']);
    assert.equal(textOf(toolMessages[0].content), 'cloudy');
    assert.match(textOf(toolMessages[1].content), /clock is broken/);
    assert.equal(messages.at(-1).role, 'tool', 'no empty user message after the tool results');
  });

  test('an image inside a tool result reaches the upstream as an image, not as JSON text', async () => {
    await client.messages.create({
      model: 'claude-sonnet-4-6',
      max_tokens: 128,
      tools: [{ name: 'screenshot', input_schema: { type: 'object' } }],
      messages: [
        user('take a screenshot'),
        { role: 'assistant', content: [{ type: 'tool_use', id: 'toolu_shot', name: 'screenshot', input: {} }] },
        user([
          {
            type: 'tool_result',
            tool_use_id: 'toolu_shot',
            content: [
              { type: 'text', text: 'here it is' },
              { type: 'image', source: { type: 'base64', media_type: 'image/png', data: PNG_1x1 } },
            ],
          },
        ]),
      ],
    });
    const { messages } = proxy.mock.requests[0].body;
    const tool = messages.find((m) => m.role === 'tool');
    assert.equal(tool.tool_call_id, 'toolu_shot');
    assert.match(textOf(tool.content), /here it is/);
    const images = messages.flatMap((m) => imageParts(m.content));
    assert.deepEqual(images.map((part) => part.image_url.url), [PNG_DATA_URL], JSON.stringify(messages));
    assert.ok(!(typeof tool.content === 'string' && tool.content.includes(PNG_1x1)), 'the image is not pasted into the text');
  });

  test('image URL sources become image_url parts', async () => {
    await client.messages.create({
      model: 'claude-sonnet-4-6',
      max_tokens: 32,
      messages: [
        user([
          { type: 'text', text: 'describe' },
          { type: 'image', source: { type: 'url', url: 'https://example.com/cat.png' } },
        ]),
      ],
    });
    const last = proxy.mock.requests[0].body.messages.at(-1);
    assert.deepEqual(imageParts(last.content).map((part) => part.image_url.url), ['https://example.com/cat.png']);
  });

  test('tool_choice and disable_parallel_tool_use map to their OpenAI counterparts', async () => {
    const cases = [
      [{ type: 'auto' }, 'auto'],
      [{ type: 'any' }, 'required'],
      [{ type: 'none' }, 'none'],
      [{ type: 'tool', name: 'get_weather' }, { type: 'function', function: { name: 'get_weather' } }],
    ];
    for (const [toolChoice, expected] of cases) {
      proxy.mock.reset();
      await client.messages.create({
        model: 'claude-sonnet-4-6',
        max_tokens: 32,
        tools: [weatherTool],
        tool_choice: toolChoice,
        messages: [user('weather?')],
      });
      assert.deepEqual(proxy.mock.requests[0].body.tool_choice, expected, `${JSON.stringify(toolChoice)}`);
    }
    proxy.mock.reset();
    await client.messages.create({
      model: 'claude-sonnet-4-6',
      max_tokens: 32,
      tools: [weatherTool],
      tool_choice: { type: 'auto', disable_parallel_tool_use: true },
      messages: [user('weather?')],
    });
    assert.equal(proxy.mock.requests[0].body.parallel_tool_calls, false);
  });

  test('temperature and top_p pass through', async () => {
    await client.messages.create({ model: 'claude-sonnet-4-6', max_tokens: 32, temperature: 0.25, top_p: 0.5, messages: [user('hi')] });
    const body = proxy.mock.requests[0].body;
    assert.equal(body.temperature, 0.25);
    assert.equal(body.top_p, 0.5);
  });

  test('a streamed tool call round trip through the SDK stream helper', async () => {
    proxy.mock.enqueue({
      stream: [
        chunk({ role: 'assistant' }),
        ...toolCallChunks(0, 'call_stream', 'get_weather', ['{"city"', ':"Kyiv"}']),
        chunk({}, { finishReason: 'tool_calls' }),
        usageChunk(usage(30, 8)),
      ],
    });
    const question = user('weather in Kyiv?');
    const first = await client.messages.stream({ model: 'claude-sonnet-4-6', max_tokens: 256, tools: [weatherTool], messages: [question] }).finalMessage();
    assert.equal(first.stop_reason, 'tool_use');
    assert.deepEqual(first.content, [{ type: 'tool_use', id: 'call_stream', name: 'get_weather', input: { city: 'Kyiv' } }]);

    proxy.mock.enqueue({
      stream: [chunk({ role: 'assistant' }), chunk({ content: 'Snowing in Kyiv.' }), chunk({}, { finishReason: 'stop' })],
    });
    const second = await client.messages
      .stream({
        model: 'claude-sonnet-4-6',
        max_tokens: 256,
        tools: [weatherTool],
        messages: [question, { role: 'assistant', content: first.content }, user([{ type: 'tool_result', tool_use_id: 'call_stream', content: 'snow' }])],
      })
      .finalMessage();
    assert.deepEqual(second.content, [{ type: 'text', text: 'Snowing in Kyiv.' }]);
    const { messages } = proxy.mock.requests[1].body;
    const tool = messages.find((m) => m.role === 'tool');
    assert.equal(tool.tool_call_id, 'call_stream');
    assert.equal(textOf(tool.content), 'snow');
  });
});
