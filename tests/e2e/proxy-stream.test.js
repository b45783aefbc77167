// The proxy door, streaming: the SDK's stream helper and the raw SSE ccgate sends.

import assert from 'node:assert/strict';
import { after, before, beforeEach, describe, test } from 'node:test';

import { ProxyFixture, readSSE, user } from './lib/harness.js';
import { chunk, textStream, toolCallChunks, usage, usageChunk } from './lib/mock-openai.js';

const tools = [
  { name: 'get_weather', description: 'Weather for a city', input_schema: { type: 'object', properties: { city: { type: 'string' } } } },
  { name: 'get_time', description: 'Time in a zone', input_schema: { type: 'object', properties: { tz: { type: 'string' } } } },
];

const request = (extra = {}) => ({ model: 'claude-sonnet-4-6', max_tokens: 1024, messages: [user('hi')], ...extra });

// Checks the Anthropic stream grammar: message_start first, blocks opened and closed strictly
// one after another with consecutive indexes, deltas only for the open block, message_delta
// with usage, message_stop last. Returns the non-ping events.
function assertAnthropicStreamShape(events) {
  for (const { event, data } of events) {
    assert.equal(event, data.type, `the event name matches the data type: ${event} / ${JSON.stringify(data)}`);
  }
  const meaningful = events.filter((e) => e.event !== 'ping');
  assert.equal(meaningful[0].event, 'message_start');
  assert.equal(meaningful.at(-1).event, 'message_stop', `the stream ends with message_stop: ${meaningful.at(-1).event}`);
  assert.equal(meaningful.at(-2).event, 'message_delta');
  assert.equal(typeof meaningful.at(-2).data.usage?.output_tokens, 'number', 'message_delta carries usage');
  let open = null;
  let nextIndex = 0;
  for (const { event, data } of meaningful.slice(1, -2)) {
    if (event === 'content_block_start') {
      assert.equal(open, null, `block ${data.index} opened while block ${open} is still open`);
      assert.equal(data.index, nextIndex, 'block indexes are consecutive from 0');
      open = data.index;
      nextIndex++;
    } else if (event === 'content_block_delta') {
      assert.equal(data.index, open, `a delta for block ${data.index} while block ${open} is open`);
    } else if (event === 'content_block_stop') {
      assert.equal(data.index, open, `stop for block ${data.index} while block ${open} is open`);
      open = null;
    } else {
      assert.fail(`unexpected event inside the message: ${event}`);
    }
  }
  assert.equal(open, null, 'every block is closed before message_delta');
  return meaningful;
}

describe('proxy door: streaming', () => {
  let proxy;
  let client;

  before(async () => {
    proxy = await ProxyFixture.start();
    client = proxy.client();
  });
  after(() => proxy?.stop());
  beforeEach(() => proxy.mock.reset());

  test('text streams through the SDK helper; finalMessage matches', async () => {
    proxy.mock.enqueue({ stream: textStream(['Hello', ', ', 'streaming ', 'world!'], { usage: usage(50, 4, 20) }), delayMs: 20 });

    const stream = client.messages.stream(request());
    const deltas = [];
    stream.on('text', (delta) => deltas.push(delta));
    const message = await stream.finalMessage();

    assert.deepEqual(message.content, [{ type: 'text', text: 'Hello, streaming world!' }]);
    assert.ok(deltas.length >= 2, `text arrives as several deltas, got ${JSON.stringify(deltas)}`);
    assert.equal(message.stop_reason, 'end_turn');
    assert.equal(message.model, 'claude-sonnet-4-6');
    assert.equal(message.usage.output_tokens, 4);
    assert.equal(message.usage.input_tokens, 30, 'input tokens exclude cache reads');
    assert.equal(message.usage.cache_read_input_tokens, 20);

    const upstream = proxy.mock.requests[0].body;
    assert.equal(upstream.stream, true);
    assert.equal(upstream.stream_options?.include_usage, true, 'usage is requested from the upstream');
    assert.equal(upstream.model, 'gpt-middle');
  });

  test('parallel tool calls arrive as tool_use blocks with parsed input and kept ids', async () => {
    proxy.mock.enqueue({
      stream: [
        chunk({ role: 'assistant', content: '' }),
        chunk({ content: 'Let me check.' }),
        ...toolCallChunks(0, 'call_weather', 'get_weather', ['{"ci', 'ty": "Pa', 'ris"}']),
        ...toolCallChunks(1, 'call_time', 'get_time', ['{"tz":', ' "CET"}']),
        chunk({}, { finishReason: 'tool_calls' }),
        usageChunk(usage(80, 30)),
      ],
      delayMs: 5,
    });

    const message = await client.messages.stream(request({ tools })).finalMessage();

    assert.equal(message.stop_reason, 'tool_use');
    assert.deepEqual(message.content, [
      { type: 'text', text: 'Let me check.' },
      { type: 'tool_use', id: 'call_weather', name: 'get_weather', input: { city: 'Paris' } },
      { type: 'tool_use', id: 'call_time', name: 'get_time', input: { tz: 'CET' } },
    ]);
  });

  test('tool calls without ids get toolu_ ids, one block per call', async () => {
    const withoutId = (index, name, args) => [
      chunk({ tool_calls: [{ index, type: 'function', function: { name, arguments: args } }] }),
    ];
    proxy.mock.enqueue({
      stream: [
        chunk({ role: 'assistant' }),
        ...withoutId(0, 'get_weather', '{"city":"Rome"}'),
        ...withoutId(1, 'get_time', '{"tz":"UTC"}'),
        chunk({}, { finishReason: 'tool_calls' }),
      ],
    });
    const message = await client.messages.stream(request({ tools })).finalMessage();
    const uses = message.content.filter((block) => block.type === 'tool_use');
    assert.equal(uses.length, 2, JSON.stringify(message.content));
    assert.deepEqual(uses.map((u) => u.input), [{ city: 'Rome' }, { tz: 'UTC' }]);
    for (const use of uses) assert.match(use.id, /^toolu_\w+/);
    assert.notEqual(uses[0].id, uses[1].id);
  });

  test('reasoning_content (and reasoning) stream as a thinking block', async () => {
    for (const field of ['reasoning_content', 'reasoning']) {
      proxy.mock.reset();
      proxy.mock.enqueue({
        stream: [
          chunk({ role: 'assistant' }),
          chunk({ [field]: 'Two plus ' }),
          chunk({ [field]: 'two is four.' }),
          chunk({ content: 'It is ' }),
          chunk({ content: '4.' }),
          chunk({}, { finishReason: 'stop' }),
          usageChunk(usage(10, 9)),
        ],
        delayMs: 5,
      });
      const stream = client.messages.stream(request());
      const thinkingDeltas = [];
      stream.on('thinking', (delta) => thinkingDeltas.push(delta));
      const message = await stream.finalMessage();
      assert.equal(message.content.length, 2, `${field}: ${JSON.stringify(message.content)}`);
      assert.equal(message.content[0].type, 'thinking');
      assert.equal(message.content[0].thinking, 'Two plus two is four.');
      assert.deepEqual(message.content[1], { type: 'text', text: 'It is 4.' });
      assert.ok(thinkingDeltas.length >= 1);
    }
  });

  test('multi-byte UTF-8 split across upstream reads arrives intact', async () => {
    const text = 'héllo wörld — 世界 🎉 ñ 日本語 🚀✓';
    const sse = Buffer.from(
      textStream([text.slice(0, 9), text.slice(9)])
        .map((c) => `data: ${JSON.stringify(c)}\n\n`)
        .join('') + 'data: [DONE]\n\n',
      'utf8',
    );
    // Cut the byte stream inside every multi-byte character (after its first byte).
    const pieces = [];
    let start = 0;
    for (let i = 0; i < sse.length; i++) {
      if (sse[i] >= 0xc0 && i + 1 > start) {
        pieces.push(sse.subarray(start, i + 1));
        start = i + 1;
      }
    }
    pieces.push(sse.subarray(start));
    assert.ok(pieces.length > 10, 'the stream is cut many times');
    proxy.mock.enqueue({ stream: pieces, delayMs: 3, done: false });

    const message = await client.messages.stream(request()).finalMessage();
    assert.deepEqual(message.content, [{ type: 'text', text }]);
  });

  test('raw SSE: message_start, strictly sequential blocks, message_delta with usage, message_stop', async () => {
    proxy.mock.enqueue({
      stream: [
        chunk({ role: 'assistant' }),
        chunk({ reasoning_content: 'thinking first' }),
        chunk({ content: 'Some text, ' }),
        ...toolCallChunks(0, 'call_1', 'get_weather', ['{"city":', '"Lima"}']),
        // Text after a tool call has started must not go back into the closed text block.
        chunk({ content: 'more text' }),
        ...toolCallChunks(1, 'call_2', 'get_time', ['{"tz":"PET"}']),
        chunk({}, { finishReason: 'tool_calls' }),
        usageChunk(usage(40, 12)),
      ],
      delayMs: 5,
    });

    const response = await proxy.postMessages(request({ tools, stream: true }));
    assert.equal(response.status, 200);
    assert.match(response.headers.get('content-type'), /^text\/event-stream/);
    const events = assertAnthropicStreamShape(await readSSE(response));

    const start = events[0].data.message;
    assert.equal(start.role, 'assistant');
    assert.equal(start.model, 'claude-sonnet-4-6');
    assert.deepEqual(start.content, []);

    const blocks = events.filter((e) => e.event === 'content_block_start').map((e) => e.data.content_block.type);
    assert.equal(blocks[0], 'thinking');
    assert.equal(blocks[1], 'text');
    assert.equal(blocks.filter((type) => type === 'tool_use').length, 2);

    const messageDelta = events.at(-2).data;
    assert.equal(messageDelta.delta.stop_reason, 'tool_use');
    assert.equal(messageDelta.usage.output_tokens, 12);

    const allText = events
      .filter((e) => e.event === 'content_block_delta' && e.data.delta.type === 'text_delta')
      .map((e) => e.data.delta.text)
      .join('');
    assert.equal(allText, 'Some text, more text', 'no text is lost');
  });

  test('tool arguments are forwarded as several input_json_delta fragments', async () => {
    const fragments = ['{"ci', 'ty": ', '"Buenos', ' Aires', '"}'];
    proxy.mock.enqueue({
      stream: [
        chunk({ role: 'assistant' }),
        ...toolCallChunks(0, 'call_frag', 'get_weather', fragments),
        chunk({}, { finishReason: 'tool_calls' }),
        usageChunk(usage(10, 10)),
      ],
      delayMs: 40,
    });

    const response = await proxy.postMessages(request({ tools, stream: true }));
    const events = assertAnthropicStreamShape(await readSSE(response));
    const jsonDeltas = events.filter((e) => e.event === 'content_block_delta' && e.data.delta.type === 'input_json_delta');
    assert.ok(jsonDeltas.length >= 3, `arguments stream as fragments, got ${jsonDeltas.length} delta(s)`);
    const whole = jsonDeltas.map((e) => e.data.delta.partial_json).join('');
    assert.deepEqual(JSON.parse(whole), { city: 'Buenos Aires' });
    const toolStart = events.find((e) => e.event === 'content_block_start' && e.data.content_block.type === 'tool_use');
    assert.equal(toolStart.data.content_block.id, 'call_frag');
    assert.equal(toolStart.data.content_block.name, 'get_weather');
    // The first fragment reached the client well before the last one left the upstream.
    assert.ok(jsonDeltas.at(-1).at - jsonDeltas[0].at >= 80, 'fragments are not held back until complete');
  });

  test('finish_reason length → stop_reason max_tokens; no usage from the upstream is fine', async () => {
    proxy.mock.enqueue({ stream: textStream(['cut o'], { finishReason: 'length', usage: null }) });
    const message = await client.messages.stream(request()).finalMessage();
    assert.equal(message.stop_reason, 'max_tokens');
    assert.deepEqual(message.content, [{ type: 'text', text: 'cut o' }]);
    assert.equal(typeof message.usage.output_tokens, 'number');
  });

  test('a stop sequence reported by the upstream ends the stream with stop_sequence', async () => {
    proxy.mock.enqueue({
      stream: [
        chunk({ role: 'assistant', content: 'one two' }),
        { ...chunk({}, { finishReason: 'stop' }), choices: [{ index: 0, delta: {}, finish_reason: 'stop', stop_reason: '###' }] },
      ],
    });
    const message = await client.messages.stream(request({ stop_sequences: ['###'] })).finalMessage();
    assert.equal(message.stop_reason, 'stop_sequence');
    assert.equal(message.stop_sequence, '###');
  });
});

describe('proxy door: streaming keep-alive pings', () => {
  let proxy;

  before(async () => {
    proxy = await ProxyFixture.start({ env: { PING_INTERVAL: 1 } });
  });
  after(() => proxy?.stop());

  test('ping events are sent while the upstream is silent longer than PING_INTERVAL', async () => {
    proxy.mock.enqueue({
      stream: textStream(['before the pause, ', 'after the pause']),
      pauseAfter: { chunks: 2, ms: 2600 },
    });
    const response = await proxy.postMessages(request({ stream: true }));
    assert.equal(response.status, 200);
    const events = await readSSE(response);
    assertAnthropicStreamShape(events);

    const firstText = events.findIndex((e) => e.event === 'content_block_delta');
    const secondText = events.findLastIndex((e) => e.event === 'content_block_delta');
    const pingsDuringPause = events.slice(firstText, secondText).filter((e) => e.event === 'ping');
    assert.ok(pingsDuringPause.length >= 2, `expected ≥2 pings during a 2.6 s pause, got ${pingsDuringPause.length}`);
    for (const ping of pingsDuringPause) assert.deepEqual(ping.data, { type: 'ping' });
  });
});
