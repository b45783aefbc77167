// The real Claude Code CLI run as a user runs it (`claude -p …`), for the proxy-door tests that
// put ccgate between it and a mock model: where it is installed, running it with a deadline, and
// reading its stream-json output.

import { spawn } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

import { trackChild } from './ccgate.js';

const e2eDir = path.dirname(path.dirname(fileURLToPath(import.meta.url)));

// The pinned CLI (npm ci in tests/e2e); undefined when it is not installed.
export const claudeBinary = [
  path.join(e2eDir, 'node_modules/.bin/claude'),
  path.join(e2eDir, 'node_modules/@anthropic-ai/claude-code/bin/claude.exe'),
].find((candidate) => fs.existsSync(candidate));

export const CLI_TIMEOUT_MS = 60_000;

// Runs the CLI to its end, or kills it at CLI_TIMEOUT_MS: { code, signal, stdout, stderr, timedOut }.
export function runClaude(args, { cwd, env }) {
  return new Promise((resolve) => {
    const child = trackChild(spawn(claudeBinary, args, { cwd, env, stdio: ['ignore', 'pipe', 'pipe'] }));
    let stdout = '';
    let stderr = '';
    let timedOut = false;
    child.stdout.on('data', (data) => (stdout += data));
    child.stderr.on('data', (data) => (stderr += data));
    const timer = setTimeout(() => {
      timedOut = true;
      child.kill('SIGKILL');
    }, CLI_TIMEOUT_MS);
    child.on('close', (code, signal) => {
      clearTimeout(timer);
      resolve({ code, signal, stdout, stderr, timedOut });
    });
  });
}

// Each stdout line parsed; a line that is not JSON as { unparsed }.
export function parseJsonLines(text) {
  return text
    .split('\n')
    .filter((line) => line.trim())
    .map((line) => {
      try {
        return JSON.parse(line);
      } catch {
        return { unparsed: line };
      }
    });
}
