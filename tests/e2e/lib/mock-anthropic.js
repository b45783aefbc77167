// A scripted Anthropic Messages model on 127.0.0.1 for the real Claude Code CLI to talk to (the
// CLI that ccgate's gateway door drives). `POST /v1/messages` (any query) is answered as an SSE
// stream shaped exactly like Anthropic's (a JSON message when the request does not stream);
// every other path gets a 404 Anthropic error. A protocol layer on MockServer (mock-server.js):
// every request is recorded (`mock.requests`, body parsed, plus `answer`: what the mock replied).
//
// Rules, applied to each model request when no scripted behaviour is queued:
//   1. the last user message carries tool_result blocks → text `Tool said: <texts joined by " | ">`
//   2. its text says `call NAME [with {json}] [and NAME2 [with {json}]]…` (or `use …`) and every
//      NAME is a client tool of the request (`mcp__gateway__NAME`, also matched through a
//      sanitised name or a description that mentions NAME) → one tool_use block per NAME, the
//      input streamed as 2–3 `input_json_delta` fragments, stop_reason `tool_use`
//   3. its text says `force-call NAME [with {json}]` → a tool_use named NAME verbatim, offered
//      or not (a model that calls a tool it was not given)
//   4. otherwise → text `Hello from mock: <last user text>`
//
// Behaviours (`mock.enqueue(...)` for the next requests, or returned by `mock.rule`):
//   { text }                              a text answer
//   { toolUses: [{ name, input, id }] }   tool_use blocks (name verbatim)
//   { thinking, text | toolUses }         a thinking block first
//   { blocks: [...], stopReason }         content blocks as given (text / tool_use / thinking)
//   { delayMs }                           wait before the response headers
//   { eventDelayMs }                      wait between SSE events
//   { pauseAfterEvents: { count, ms } }   pause once, after `count` events (mid-stream)
//   { hangAfterEvents: count }            send `count` events, then never finish
//   { hang: true }                        accept the request, never answer
//   { status, errorType, message }        an Anthropic error response
//   { usage: { input_tokens, … } }        the usage reported in message_start/message_delta
//   { handler: async (req, res, record) } anything else
// A behaviour without content gets the rule's content: `{ delayMs: 3000 }` only delays.
// `mock.rule = (record) => behaviour | undefined` replaces the queue-less default per request.

import { randomBytes } from 'node:crypto';

import { sleep, textOf } from './common.js';
import { MockServer } from './mock-server.js';

export const GATEWAY_TOOL_PREFIX = 'mcp__gateway__';

export const DEFAULT_USAGE = Object.freeze({
  input_tokens: 37,
  cache_read_input_tokens: 11,
  cache_creation_input_tokens: 5,
  output_tokens: 9,
});

export class MockAnthropic extends MockServer {
  rule = undefined;

  // What the CLI takes as ANTHROPIC_BASE_URL (it appends /v1/messages itself).
  get url() {
    return this.origin;
  }

  get label() {
    return 'mock model';
  }

  // The model requests only (POST /v1/messages), in arrival order.
  get messageRequests() {
    return this.requests.filter(isModelRequest);
  }

  // waitFor looks at the model requests.
  get watched() {
    return this.messageRequests;
  }

  waitForModelRequests(count, options = {}) {
    return this.waitFor((requests) => requests.length >= count, { what: `${count} model request(s)`, ...options });
  }

  // The first model request whose last user message carries a tool_result for `toolUseId`.
  waitForToolResult(toolUseId, options = {}) {
    const find = (requests) => requests.find((r) => toolResultsOf(r.body).some((result) => result.tool_use_id === toolUseId));
    return this.waitFor((requests) => find(requests) !== undefined, { what: `a tool_result for ${toolUseId}`, ...options }).then(find);
  }

  behaviourFor(record) {
    const behaviour = isModelRequest(record) ? this.#next(record) : notFound(record);
    record.answer = describe(behaviour);
    return behaviour;
  }

  respond(behaviour, req, res, record) {
    return sendAnswer(behaviour, res, record);
  }

  sendFailure(res, error) {
    sendError(res, 500, 'api_error', `mock failure: ${error.message}`);
  }

  #next(record) {
    const behaviour = this.takeQueued() ?? this.rule?.(record) ?? {};
    if (behaviour.handler || behaviour.hang || behaviour.status || behaviour.blocks || behaviour.text !== undefined || behaviour.toolUses) {
      return behaviour;
    }
    return { ...answerByRules(record.body), ...behaviour };
  }
}

function isModelRequest(record) {
  return record.method === 'POST' && record.path === '/v1/messages';
}

const notFound = (record) => ({ status: 404, errorType: 'not_found_error', message: `mock model: no route for ${record.method} ${record.path}` });

function describe(behaviour) {
  if (behaviour.handler) return { handler: true };
  if (behaviour.hang) return { hang: true };
  if (behaviour.status) return { status: behaviour.status };
  const blocks = blocksOf(behaviour);
  return {
    text: blocks.filter((b) => b.type === 'text').map((b) => b.text).join(''),
    toolUses: blocks.filter((b) => b.type === 'tool_use').map(({ id, name, input }) => ({ id, name, input })),
    stopReason: stopReasonOf(behaviour, blocks),
  };
}

// ---------- reading what the CLI sent ----------

// The last `user` message of a Messages request (the CLI also puts `system` entries in messages).
export function lastUserMessage(body) {
  return (body?.messages ?? []).findLast((message) => message.role === 'user');
}

function contentBlocks(message) {
  if (!message) return [];
  if (typeof message.content === 'string') return [{ type: 'text', text: message.content }];
  return Array.isArray(message.content) ? message.content : [];
}

// The user's own words in the last user message: its text blocks minus the CLI's reminders.
export function lastUserText(body) {
  return contentBlocks(lastUserMessage(body))
    .filter((block) => block.type === 'text' && !block.text.trimStart().startsWith('<system-reminder>'))
    .map((block) => block.text)
    .join('\n')
    .trim();
}

// The tool_result blocks of the last user message: [{ tool_use_id, text, is_error }].
export function toolResultsOf(body) {
  return contentBlocks(lastUserMessage(body))
    .filter((block) => block.type === 'tool_result')
    .map((block) => ({ tool_use_id: block.tool_use_id, text: textOf(block.content), is_error: block.is_error === true }));
}

// Names of the tools the request offers the model.
export function toolNamesOf(body) {
  return (body?.tools ?? []).map((tool) => tool.name).filter(Boolean);
}

// ---------- the rules ----------

export function answerByRules(body) {
  const results = toolResultsOf(body);
  if (results.length > 0) return { text: `Tool said: ${results.map((result) => result.text).join(' | ')}` };
  const text = lastUserText(body);
  const forced = parseToolRequest(text, 'force-call');
  if (forced) return { toolUses: forced.map(({ name, input }) => ({ name, input })) };
  const requested = parseToolRequest(text, 'call') ?? parseToolRequest(text, 'use');
  if (requested) {
    const resolved = requested.map(({ name, input }) => ({ name: resolveTool(body, name), input }));
    if (resolved.every((call) => call.name)) return { toolUses: resolved };
  }
  return { text: `Hello from mock: ${text}` };
}

// `VERB NAME [with {json}] [and NAME [with {json}]]…` → [{ name, input }], else undefined.
export function parseToolRequest(text, verb) {
  const start = new RegExp(`(?:^|[\\s"'(])${verb.replace('-', '\\-')}\\s+`, 'i').exec(text);
  if (!start) return undefined;
  let rest = text.slice(start.index + start[0].length);
  const calls = [];
  for (;;) {
    const nameMatch = /^(\S+)/.exec(rest);
    if (!nameMatch) break;
    const name = nameMatch[1].replace(/[.,;:!?]+$/, '');
    rest = rest.slice(nameMatch[0].length);
    let input = {};
    const withMatch = /^\s+with\s+/i.exec(rest);
    if (withMatch) {
      const json = leadingJsonObject(rest.slice(withMatch[0].length));
      if (json) {
        input = JSON.parse(json);
        rest = rest.slice(withMatch[0].length + json.length);
      }
    }
    calls.push({ name, input });
    const andMatch = /^\s+and\s+/i.exec(rest);
    if (!andMatch) break;
    rest = rest.slice(andMatch[0].length);
  }
  return calls.length > 0 ? calls : undefined;
}

// The balanced `{…}` at the start of `text` (strings respected), if it parses as JSON.
function leadingJsonObject(text) {
  if (!text.startsWith('{')) return undefined;
  let depth = 0;
  let inString = false;
  for (let i = 0; i < text.length; i++) {
    const c = text[i];
    if (inString) {
      if (c === '\\') i++;
      else if (c === '"') inString = false;
    } else if (c === '"') inString = true;
    else if (c === '{') depth++;
    else if (c === '}' && --depth === 0) {
      const candidate = text.slice(0, i + 1);
      try {
        JSON.parse(candidate);
        return candidate;
      } catch {
        return undefined;
      }
    }
  }
  return undefined;
}

// The offered `mcp__gateway__…` tool that stands for the client's tool `name`: the same name, the
// same name once sanitised (ccgate may rename tools the CLI would not accept), or a tool whose
// description mentions the name.
function resolveTool(body, name) {
  const tools = (body?.tools ?? []).filter((tool) => tool.name?.startsWith(GATEWAY_TOOL_PREFIX));
  const bare = (tool) => tool.name.slice(GATEWAY_TOOL_PREFIX.length);
  const sanitise = (value) => value.toLowerCase().replace(/[^a-z0-9]+/g, '_');
  const found =
    tools.find((tool) => bare(tool) === name) ??
    tools.find((tool) => sanitise(bare(tool)) === sanitise(name)) ??
    tools.find((tool) => sanitise(bare(tool)).startsWith(`${sanitise(name)}_`)) ??
    tools.find((tool) => typeof tool.description === 'string' && tool.description.includes(name));
  return found?.name;
}

// ---------- answering ----------

let sequence = 0;
const unique = () => `${Date.now().toString(36)}${(++sequence).toString(36)}${randomBytes(4).toString('hex')}`;

function blocksOf(behaviour) {
  if (behaviour.resolvedBlocks) return behaviour.resolvedBlocks;
  let blocks = behaviour.blocks;
  if (!blocks) {
    blocks = [];
    if (behaviour.thinking !== undefined) blocks.push({ type: 'thinking', thinking: behaviour.thinking });
    if (behaviour.text !== undefined) blocks.push({ type: 'text', text: behaviour.text });
    for (const use of behaviour.toolUses ?? []) blocks.push({ type: 'tool_use', ...use });
  }
  blocks = blocks.map((block) => (block.type === 'tool_use' ? { ...block, id: block.id ?? `toolu_mock_${unique()}`, input: block.input ?? {} } : block));
  behaviour.resolvedBlocks = blocks;
  return blocks;
}

function stopReasonOf(behaviour, blocks) {
  if (behaviour.stopReason) return behaviour.stopReason;
  return blocks.some((block) => block.type === 'tool_use') ? 'tool_use' : 'end_turn';
}

// Unreferenced: a scripted stall must not keep the test process alive after the test ends.
const stall = (ms) => sleep(ms, { unref: true });

function sendError(res, status, type, message) {
  res.writeHead(status, { 'content-type': 'application/json' });
  res.end(JSON.stringify({ type: 'error', error: { type, message } }));
}

async function sendAnswer(behaviour, res, record) {
  if (behaviour.delayMs) await stall(behaviour.delayMs);
  if (res.destroyed) return;
  if (behaviour.status) return sendError(res, behaviour.status, behaviour.errorType ?? 'api_error', behaviour.message ?? 'mock error');
  const blocks = blocksOf(behaviour);
  const stopReason = stopReasonOf(behaviour, blocks);
  const usage = { ...DEFAULT_USAGE, ...behaviour.usage };
  const model = record.body?.model ?? 'claude-mock';
  const id = `msg_mock_${unique()}`;
  if (record.body?.stream !== true) {
    res.writeHead(200, { 'content-type': 'application/json', 'request-id': `req_mock_${unique()}` });
    return res.end(JSON.stringify(messageJson(id, model, blocks, stopReason, usage)));
  }
  res.writeHead(200, { 'content-type': 'text/event-stream', 'cache-control': 'no-cache', 'request-id': `req_mock_${unique()}` });
  res.flushHeaders();
  const events = streamEvents(id, model, blocks, stopReason, usage);
  for (let i = 0; i < events.length; i++) {
    if (behaviour.hangAfterEvents !== undefined && i === behaviour.hangAfterEvents) return;
    if (behaviour.pauseAfterEvents && i === behaviour.pauseAfterEvents.count) await stall(behaviour.pauseAfterEvents.ms);
    else if (i > 0 && behaviour.eventDelayMs) await stall(behaviour.eventDelayMs);
    if (res.destroyed) return;
    res.write(`event: ${events[i].type}\ndata: ${JSON.stringify(events[i])}\n\n`);
  }
  res.end();
}

function messageJson(id, model, blocks, stopReason, usage) {
  const content = blocks.map((block) => (block.type === 'thinking' ? { ...block, signature: signatureOf(block) } : block));
  return { id, type: 'message', role: 'assistant', model, content, stop_reason: stopReason, stop_sequence: null, usage };
}

const signatureOf = (block) => block.signature ?? `mock-signature-${Buffer.from(block.thinking).length}`;

// Splits `text` into up to `parts` non-empty pieces (fewer when it is short).
export function splitInPieces(text, parts) {
  const size = Math.max(1, Math.ceil(text.length / parts));
  const pieces = [];
  for (let i = 0; i < text.length; i += size) pieces.push(text.slice(i, i + size));
  return pieces.length > 0 ? pieces : [''];
}

// The Anthropic SSE grammar: message_start, per block start/deltas/stop (a ping after the first
// start), message_delta with the stop reason and usage, message_stop.
function streamEvents(id, model, blocks, stopReason, usage) {
  const { output_tokens: outputTokens, ...inputUsage } = usage;
  const events = [
    {
      type: 'message_start',
      message: { id, type: 'message', role: 'assistant', model, content: [], stop_reason: null, stop_sequence: null, usage: { ...inputUsage, output_tokens: 1 } },
    },
  ];
  blocks.forEach((block, index) => {
    events.push({ type: 'content_block_start', index, content_block: openingOf(block) });
    if (index === 0) events.push({ type: 'ping' });
    for (const delta of deltasOf(block)) events.push({ type: 'content_block_delta', index, delta });
    events.push({ type: 'content_block_stop', index });
  });
  events.push({ type: 'message_delta', delta: { stop_reason: stopReason, stop_sequence: null }, usage: { output_tokens: outputTokens } });
  events.push({ type: 'message_stop' });
  return events;
}

function openingOf(block) {
  if (block.type === 'text') return { type: 'text', text: '' };
  if (block.type === 'thinking') return { type: 'thinking', thinking: '', signature: '' };
  return { type: 'tool_use', id: block.id, name: block.name, input: {} };
}

function deltasOf(block) {
  if (block.type === 'text') return splitInPieces(block.text, 3).map((text) => ({ type: 'text_delta', text }));
  if (block.type === 'thinking') {
    return [
      ...splitInPieces(block.thinking, 2).map((thinking) => ({ type: 'thinking_delta', thinking })),
      { type: 'signature_delta', signature: signatureOf(block) },
    ];
  }
  const json = JSON.stringify(block.input);
  return splitInPieces(json, json.length >= 3 ? 3 : 2).map((partial_json) => ({ type: 'input_json_delta', partial_json }));
}
