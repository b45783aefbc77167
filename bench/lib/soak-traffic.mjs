// The soak's well-behaved traffic: each lane sends one kind of request and checks every byte
// of the answer a user would look at. Proxy lanes go through the C++ mock (its deltas are
// numbered, its sizes set per request, so a lost, reordered or swapped piece shows); gateway
// lanes go through the stub CLI, whose answers carry a tag or tool result the client chose.

import { anthropicBody, directive } from './bodies.mjs';
import { exchange, isAnthropicError, isOpenAiError, parseJson, sseEvents } from './soak-http.mjs';

export const proxyModel = 'claude-sonnet-4-5';
export const gatewayModel = 'sonnet';
export const toolName = 'soak_tool';
export const tools = [
  {
    type: 'function',
    function: {
      name: toolName,
      description: 'A tool of the soak',
      parameters: { type: 'object', properties: { q: { type: 'string' } }, required: ['q'] },
    },
  },
];
// What the stub CLI passes to a tool (fake_claude's kToolInput).
const stubToolInput = { q: 'bench' };

export const randomInt = (low, high) => low + Math.floor(Math.random() * (high - low + 1));

export const proxyHeaders = (ctx) => ({
  'content-type': 'application/json',
  'anthropic-version': '2023-06-01',
  'x-api-key': ctx.keys.proxy,
});

export const gatewayHeaders = (ctx) => ({
  'content-type': 'application/json',
  authorization: `Bearer ${ctx.keys.gateway}`,
});

export const proxyBody = (text, { stream = false } = {}) =>
  JSON.stringify({ model: proxyModel, max_tokens: 256, stream, messages: [{ role: 'user', content: text }] });

// A quarter of the proxy requests are shaped like Claude Code's turns (system prompt, tools, a
// history of tool calls and results) of 4 to 32 KB; the rest are one short user message.
const placeholder = '@@SOAK@@';
const turnTemplates = [false, true].map((stream) =>
  [4096, 16384, 32768].map((bytes) => anthropicBody(bytes, placeholder, { stream })),
);

export function proxyRequestBody(text, { stream = false } = {}) {
  if (Math.random() >= 0.25) return proxyBody(text, { stream });
  const templates = turnTemplates[stream ? 1 : 0];
  return templates[randomInt(0, templates.length - 1)].replace(placeholder, text);
}

export const fail = (kind, detail = '') => ({ ok: false, kind, detail: String(detail).slice(0, 300) });
const passed = { ok: true };

// The mock's streamed text: delta i is i in six digits, padded with x to the chunk size.
export const mockDeltaText = (i, bytes) => String(i).padStart(6, '0').padEnd(Math.max(bytes, 6), 'x');

export function transportFailure(result) {
  if (result.error === 'timeout') return fail('timeout', `${Math.round(result.ms)} ms`);
  if (result.error) return fail(`transport_${result.error}`, result.text?.slice(0, 200));
  return null;
}

// ---- proxy door: Anthropic Messages --------------------------------------------------------

export function checkAnthropicMessage(result, expectedText) {
  const failure = transportFailure(result);
  if (failure) return failure;
  if (result.status !== 200) return fail(`status_${result.status}`, result.text);
  const message = parseJson(result.text);
  if (message?.type !== 'message' || message.role !== 'assistant') return fail('bad_shape', result.text);
  if (message.model !== proxyModel) return fail('wrong_model', message.model);
  const [block, ...rest] = message.content ?? [];
  if (rest.length || block?.type !== 'text') return fail('bad_content', JSON.stringify(message.content));
  if (block.text !== expectedText) return fail('wrong_text', `${block.text.length} bytes, expected ${expectedText.length}`);
  if (message.stop_reason !== 'end_turn') return fail('bad_stop_reason', message.stop_reason);
  if (!Number.isInteger(message.usage?.input_tokens) || !Number.isInteger(message.usage?.output_tokens))
    return fail('bad_usage', JSON.stringify(message.usage));
  return passed;
}

// Reads an Anthropic event stream: the text of its deltas and how it ended.
export function readAnthropicStream(text) {
  const { events } = sseEvents(text);
  const read = { names: [], text: '', error: null, stopReason: null, messageStart: null, stopped: false };
  for (const { event, data } of events) {
    const value = parseJson(data);
    const name = event || value?.type;
    if (name === 'ping') continue;
    read.names.push(name);
    if (name === 'message_start') read.messageStart = value?.message ?? null;
    else if (name === 'content_block_delta' && value?.delta?.type === 'text_delta') read.text += value.delta.text;
    else if (name === 'message_delta') read.stopReason = value?.delta?.stop_reason ?? null;
    else if (name === 'message_stop') read.stopped = true;
    else if (name === 'error') read.error = value;
  }
  return read;
}

export function checkAnthropicStream(result, expectedText) {
  const failure = transportFailure(result);
  if (failure) return failure;
  if (result.status !== 200) return fail(`status_${result.status}`, result.text);
  if (!String(result.headers['content-type']).startsWith('text/event-stream'))
    return fail('bad_content_type', result.headers['content-type']);
  const read = readAnthropicStream(result.text);
  if (read.error) return fail('error_event', JSON.stringify(read.error));
  const expectedNames = ['message_start', 'content_block_start'];
  if (read.names[0] !== expectedNames[0] || read.names[1] !== expectedNames[1])
    return fail('bad_opening', read.names.slice(0, 3).join(','));
  if (read.names.slice(-3).join(',') !== 'content_block_stop,message_delta,message_stop')
    return fail('bad_closing', read.names.slice(-3).join(','));
  if (read.messageStart?.model !== proxyModel) return fail('wrong_model', read.messageStart?.model);
  if (read.text !== expectedText) return fail('wrong_text', `${read.text.length} bytes, expected ${expectedText.length}`);
  if (read.stopReason !== 'end_turn') return fail('bad_stop_reason', read.stopReason);
  return passed;
}

async function proxyMessage(ctx) {
  const bytes = randomInt(64, 2048);
  const text = `${directive({ response_bytes: bytes })} soak ${ctx.nextNumber()}`;
  const result = await exchange({
    port: ctx.ccgate.port,
    path: '/v1/messages',
    headers: proxyHeaders(ctx),
    body: proxyRequestBody(text),
    agent: ctx.agent,
    timeoutMs: ctx.requestTimeoutMs,
  });
  return checkAnthropicMessage(result, 'x'.repeat(bytes));
}

async function proxyCountTokens(ctx) {
  const result = await exchange({
    port: ctx.ccgate.port,
    path: '/v1/messages/count_tokens',
    headers: proxyHeaders(ctx),
    body: JSON.stringify({ model: proxyModel, messages: [{ role: 'user', content: `soak ${ctx.nextNumber()}` }] }),
    agent: ctx.agent,
    timeoutMs: ctx.requestTimeoutMs,
  });
  const failure = transportFailure(result);
  if (failure) return failure;
  if (result.status !== 200) return fail(`status_${result.status}`, result.text);
  const answer = parseJson(result.text);
  return Number.isInteger(answer?.input_tokens) && answer.input_tokens > 0 ? passed : fail('bad_shape', result.text);
}

async function proxyStream(ctx) {
  const chunks = randomInt(4, 32);
  const chunkBytes = randomInt(8, 64);
  const text = `${directive({ chunks, chunk_bytes: chunkBytes, interval_ms: randomInt(0, 8) })} soak ${ctx.nextNumber()}`;
  const result = await exchange({
    port: ctx.ccgate.port,
    path: '/v1/messages',
    headers: proxyHeaders(ctx),
    body: proxyRequestBody(text, { stream: true }),
    agent: ctx.agent,
    timeoutMs: ctx.requestTimeoutMs,
  });
  let expected = '';
  for (let i = 0; i < chunks; ++i) expected += mockDeltaText(i, chunkBytes);
  return checkAnthropicStream(result, expected);
}

// ---- gateway door: OpenAI Chat Completions over the stub CLI --------------------------------

// The stub's answer: the leading deltas ("key=value;" padded with x), then timestamped ones.
export function stubTextPattern(leading, lines) {
  const head = leading.map(([key, value]) => `${key}=(${value});x*`).join('');
  return new RegExp(`^${head}(?:ts=\\d+;x*){${Math.max(lines - leading.length, 0)}}$`);
}

// Reads an OpenAI chat-completion stream: the content, the tool calls, how it ended.
export function readChatStream(text) {
  const { events, comments } = sseEvents(text);
  const read = { content: '', toolCalls: [], finish: null, usage: null, done: false, error: null, models: new Set(), afterDone: 0, comments };
  for (const { data } of events) {
    if (read.done) {
      read.afterDone += 1;
      continue;
    }
    if (data === '[DONE]') {
      read.done = true;
      continue;
    }
    const chunk = parseJson(data);
    if (chunk?.error) {
      read.error = chunk;
      continue;
    }
    if (chunk?.model) read.models.add(chunk.model);
    if (chunk?.usage) read.usage = chunk.usage;
    const choice = chunk?.choices?.[0];
    if (!choice) continue;
    if (typeof choice.delta?.content === 'string') read.content += choice.delta.content;
    for (const call of choice.delta?.tool_calls ?? []) {
      const slot = (read.toolCalls[call.index ?? 0] ??= { id: '', name: '', arguments: '' });
      if (call.id) slot.id = call.id;
      if (call.function?.name) slot.name += call.function.name;
      if (call.function?.arguments) slot.arguments += call.function.arguments;
    }
    if (choice.finish_reason) read.finish = choice.finish_reason;
  }
  return read;
}

// The same facts from a whole chat.completion.
export function readChatCompletion(text) {
  const completion = parseJson(text);
  const choice = completion?.choices?.[0];
  return {
    shapeOk: completion?.object === 'chat.completion' && choice?.message?.role === 'assistant',
    content: choice?.message?.content ?? '',
    toolCalls: (choice?.message?.tool_calls ?? []).map((call) => ({
      id: call.id,
      name: call.function?.name,
      arguments: call.function?.arguments,
    })),
    finish: choice?.finish_reason ?? null,
    usage: completion?.usage ?? null,
    model: completion?.model,
    error: completion?.error ? completion : null,
  };
}

// Sends one chat request, streamed or not, and reads the answer into the same shape.
export async function chat(ctx, body, { timeoutMs = ctx.requestTimeoutMs } = {}) {
  const result = await exchange({
    port: ctx.ccgate.port,
    path: '/v1/chat/completions',
    headers: gatewayHeaders(ctx),
    body: JSON.stringify(body),
    agent: ctx.agent,
    timeoutMs,
  });
  const failure = transportFailure(result);
  if (failure) return { failure, result };
  if (result.status !== 200) return { failure: fail(`status_${result.status}`, result.text), result };
  if (body.stream) {
    const read = readChatStream(result.text);
    if (read.error) return { failure: fail('error_chunk', JSON.stringify(read.error)), result, read };
    if (!read.done) return { failure: fail('no_done', result.text.slice(-200)), result, read };
    if (read.afterDone) return { failure: fail('data_after_done'), result, read };
    if ([...read.models].some((model) => model !== body.model)) return { failure: fail('wrong_model', [...read.models]), result, read };
    if (body.stream_options?.include_usage && !Number.isInteger(read.usage?.completion_tokens))
      return { failure: fail('no_usage_chunk'), result, read };
    return { result, read };
  }
  const read = readChatCompletion(result.text);
  if (!read.shapeOk) return { failure: fail('bad_shape', result.text), result, read };
  if (read.model !== body.model) return { failure: fail('wrong_model', read.model), result, read };
  if (!Number.isInteger(read.usage?.completion_tokens)) return { failure: fail('bad_usage', JSON.stringify(read.usage)), result, read };
  return { result, read };
}

export function checkStubText(read, leading, lines) {
  if (read.finish !== 'stop') return fail('bad_finish_reason', read.finish);
  if (read.toolCalls.length) return fail('unexpected_tool_calls', JSON.stringify(read.toolCalls));
  if (!stubTextPattern(leading, lines).test(read.content)) return fail('wrong_text', read.content.slice(0, 200));
  return passed;
}

const streamed = (on, body) =>
  on ? { ...body, stream: true, stream_options: { include_usage: true } } : { ...body, stream: false };

async function gatewayTurn(ctx, i) {
  const lines = randomInt(4, 32);
  const tag = ctx.nextNumber();
  const fake = `FAKE[lines=${lines};chunk_bytes=${randomInt(16, 64)};interval_us=${randomInt(0, 2) * 1000};tag=${tag}]`;
  const body = streamed(i % 2 === 0, {
    model: gatewayModel,
    messages: [{ role: 'user', content: `${fake} soak turn ${tag}` }],
  });
  const { failure, read } = await chat(ctx, body);
  return failure ?? checkStubText(read, [['tag', tag]], lines);
}

// One conversation: a tool call, its result (which the stub echoes), and a follow-up question.
// Each request is recorded on its own; a failure ends the conversation.
async function gatewayTools(ctx, i, record) {
  const lines = randomInt(2, 12);
  const tag = ctx.nextNumber();
  const first = { role: 'user', content: `FAKE[tool=${toolName};lines=${lines};tag=${tag}] soak tools ${tag}` };
  const call = await timed(() => chat(ctx, streamed(i % 2 === 0, { model: gatewayModel, tools, messages: [first] })));
  let outcome = call.failure ?? checkToolCall(call.read);
  record(outcome, call.ms);
  if (!outcome.ok) return;

  const toolCall = call.read.toolCalls[0];
  const result = randomInt(1, 1e9);
  const history = [
    first,
    {
      role: 'assistant',
      content: null,
      tool_calls: [{ id: toolCall.id, type: 'function', function: { name: toolCall.name, arguments: toolCall.arguments } }],
    },
    { role: 'tool', tool_call_id: toolCall.id, content: String(result) },
  ];
  const answer = await timed(() => chat(ctx, streamed(i % 3 === 0, { model: gatewayModel, tools, messages: history })));
  outcome = answer.failure ?? checkStubText(answer.read, [['result', result]], lines);
  record(outcome, answer.ms);
  if (!outcome.ok) return;

  const followLines = randomInt(2, 8);
  const followTag = ctx.nextNumber();
  history.push(
    { role: 'assistant', content: answer.read.content },
    { role: 'user', content: `FAKE[lines=${followLines};tag=${followTag}] soak follow-up ${tag}` },
  );
  const follow = await timed(() => chat(ctx, streamed(i % 2 === 1, { model: gatewayModel, tools, messages: history })));
  record(follow.failure ?? checkStubText(follow.read, [['tag', followTag]], followLines), follow.ms);
}

export function checkToolCall(read) {
  if (read.finish !== 'tool_calls') return fail('bad_finish_reason', read.finish);
  if (read.toolCalls.length !== 1) return fail('bad_tool_calls', JSON.stringify(read.toolCalls));
  const [call] = read.toolCalls;
  if (call.name !== toolName || !call.id) return fail('bad_tool_call', JSON.stringify(call));
  if (JSON.stringify(parseJson(call.arguments)) !== JSON.stringify(stubToolInput))
    return fail('bad_tool_arguments', call.arguments);
  return passed;
}

async function timed(send) {
  const started = performance.now();
  const outcome = await send();
  return { ...outcome, ms: performance.now() - started };
}

// rate: requests per second at SOAK_RATE=1. A lane whose run() records its own requests
// (several per conversation) says so with `records`.
export const lanes = [
  { name: 'proxy-message', door: 'proxy', rate: 36, run: proxyMessage },
  { name: 'proxy-count-tokens', door: 'proxy', rate: 4, run: proxyCountTokens },
  { name: 'proxy-stream', door: 'proxy', rate: 10, run: proxyStream },
  { name: 'gateway-turn', door: 'gateway', rate: 1, run: gatewayTurn },
  { name: 'gateway-tools', door: 'gateway', rate: 0.5, requestsPerRun: 3, records: true, run: gatewayTools },
];

export { isAnthropicError, isOpenAiError };
