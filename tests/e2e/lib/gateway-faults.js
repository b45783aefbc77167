// Helpers for the gateway's fault and abuse tests: chat requests sent over a raw TCP connection
// (a client that stops reading, or vanishes), the CLI processes of a fixture, and stand-in CLIs for behaviour the real one cannot be made to show.

import fs from 'node:fs';
import path from 'node:path';

import { user } from './common.js';
import { GATEWAY_KEY, MODEL } from './gateway-harness.js';
import { RawConnection, fdCounts } from './probes.js';

// Opens a connection and sends one POST /v1/chat/completions; returns the RawConnection.
export async function rawChat(port, body, { apiKey = GATEWAY_KEY, stopReading = false } = {}) {
  const raw = await RawConnection.open(port);
  if (stopReading) raw.stopReading();
  const text = JSON.stringify(body);
  await raw.write(
    'POST /v1/chat/completions HTTP/1.1\r\nHost: 127.0.0.1\r\n' +
      `Authorization: Bearer ${apiKey}\r\nContent-Type: application/json\r\n` +
      `Content-Length: ${Buffer.byteLength(text)}\r\n\r\n${text}`,
  );
  return raw;
}

// The pipe and pidfd counts of `pid` (what a CLI process costs ccgate).
export function processDescriptors(pid) {
  const { pipe, pidfd } = fdCounts(pid);
  return { pipe, pidfd };
}

// A long streamed answer: `count` text blocks of `size` characters, each streamed in 3 deltas.
export function manyBlocks(count, size = 64, tag = 'block') {
  return Array.from({ length: count }, (_, i) => ({ type: 'text', text: `${tag} ${i} `.padEnd(size, '.') }));
}

export const chat = (text, extra = {}) => ({ model: MODEL, messages: [user(text)], ...extra });

// Writes an executable /bin/sh stand-in for the Claude Code CLI into `dir`.
export function writeFakeCli(dir, name, body) {
  const file = path.join(dir, name);
  fs.writeFileSync(file, `#!/bin/sh\n${body}\n`, { mode: 0o755 });
  return file;
}

// The stream-json lines of a CLI that starts an answer with `text` (no result line).
export function cliAnswerLines(text) {
  const event = (e) => JSON.stringify({ type: 'stream_event', event: e });
  return [
    event({
      type: 'message_start',
      message: { id: 'msg_fake', type: 'message', role: 'assistant', model: 'claude-fake', content: [], stop_reason: null, usage: { input_tokens: 3, output_tokens: 1 } },
    }),
    event({ type: 'content_block_start', index: 0, content_block: { type: 'text', text: '' } }),
    event({ type: 'content_block_delta', index: 0, delta: { type: 'text_delta', text } }),
  ];
}
