// Request bodies for the load client: Anthropic Messages requests shaped like Claude Code's
// turns (system prompt, tools, a history of text, tool calls and tool results) grown to a
// target size, and the mock directive that sets the upstream's behaviour for the request.

import fs from 'node:fs';
import path from 'node:path';

export const directive = (settings) =>
  `MOCK[${Object.entries(settings)
    .map(([key, value]) => `${key}=${value}`)
    .join(';')}]`;

// Mostly ASCII, as code and English are, with a non-ASCII word now and then (so UTF-8
// validation is exercised without dominating).
const words = (
  'the gateway reads each line of code and the function returns a value when tests pass so ' +
  'every request carries its history with tool calls results and text for the model café'
).split(' ');

const prose = (length, seed) => {
  let text = '';
  for (let i = seed; text.length < length; ++i) text += words[(i * 7) % words.length] + ' ';
  return text.slice(0, length);
};

const tool = (i) => ({
  name: `tool_${i}`,
  description: prose(300, i),
  input_schema: {
    type: 'object',
    properties: {
      path: { type: 'string', description: 'file path' },
      limit: { type: 'integer', minimum: 1 },
      mode: { type: 'string', enum: ['read', 'write', 'append'] },
    },
    required: ['path'],
  },
});

// One exchange of history: the assistant calls a tool, the user returns its result.
const exchange = (i) => [
  {
    role: 'assistant',
    content: [
      { type: 'text', text: prose(200, i) },
      {
        type: 'tool_use',
        id: `toolu_bench_${i}`,
        name: `tool_${i % 8}`,
        input: { path: `src/file_${i}.cpp`, limit: 200 },
      },
    ],
  },
  {
    role: 'user',
    content: [{ type: 'tool_result', tool_use_id: `toolu_bench_${i}`, content: prose(1400, i + 3) }],
  },
];

// An Anthropic request of about `bytes` bytes; the last user message carries `mockText`.
export function anthropicBody(bytes, mockText, { stream = false, maxTokens = 1024 } = {}) {
  const request = {
    model: 'claude-sonnet-4-5',
    max_tokens: maxTokens,
    stream,
    messages: [],
  };
  const finalMessage = { role: 'user', content: `${mockText} Say hello.` };
  if (bytes > 4096) {
    request.system = [{ type: 'text', text: prose(Math.min(8192, bytes / 8), 1) }];
    request.tools = Array.from({ length: 8 }, (_, i) => tool(i));
    request.messages.push({ role: 'user', content: prose(500, 2) });
  }
  let size = JSON.stringify({ ...request, messages: [...request.messages, finalMessage] }).length;
  for (let i = 0; size < bytes - 2200; ++i) {
    const [assistant, user] = exchange(i);
    request.messages.push(assistant, user);
    size += JSON.stringify(assistant).length + JSON.stringify(user).length + 2;
  }
  if (request.messages.length && request.messages.at(-1).role === 'user') {
    // The history ends with a tool result: the final user text joins that message.
    request.messages.at(-1).content.push({ type: 'text', text: finalMessage.content });
  } else {
    request.messages.push(finalMessage);
  }
  const pad = bytes - JSON.stringify(request).length;
  if (pad > 0) {
    const last = request.messages.at(-1);
    if (typeof last.content === 'string') last.content += ' ' + prose(pad - 1, 5);
    else last.content.at(-1).text += ' ' + prose(pad - 1, 5);
  }
  return JSON.stringify(request);
}

export function writeBody(dir, name, text) {
  const file = path.join(dir, name);
  fs.writeFileSync(file, text);
  return file;
}

export const anthropicHeaders = ['anthropic-version: 2023-06-01', 'x-api-key: bench-client-key'];
