#!/usr/bin/env node
// A server-side tool command for the gateway's executor tests, run by ccgate (never by a shell):
// `node tool-command.mjs MODE`, the tool's input as JSON on stdin, the result on stdout.
//   echo   prints "count=<n> for <word>", then what it sees of its environment and cwd (JSON)
//   fail   writes a reason to stderr and exits 3
//   flood  writes 1 MiB of output
//   hang   starts a child in its own process group that sleeps, writes both pids to
//          $PID_DIR/<input.tag>.pids, then never ends (ccgate must kill both)
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';

const mode = process.argv[2];
const input = JSON.parse(fs.readFileSync(0, 'utf8') || '{}');

if (mode === 'echo') {
  const env = Object.keys(process.env).sort();
  process.stdout.write(`count=${String(input.word ?? '').length} for ${input.word}\n`);
  process.stdout.write(JSON.stringify({ env, home: process.env.HOME, cwd: process.cwd(), marker: process.env.TOOL_MARKER ?? null }));
} else if (mode === 'fail') {
  process.stderr.write(`no such word: ${input.word}\n`);
  process.exit(3);
} else if (mode === 'flood') {
  const line = `${'y'.repeat(1023)}\n`;
  process.stdout.write(line.repeat(1024));
} else if (mode === 'hang') {
  const child = spawn(process.execPath, ['-e', 'setInterval(() => {}, 1000)'], { stdio: 'ignore' });
  fs.writeFileSync(path.join(process.env.PID_DIR, `${input.tag}.pids`), `${process.pid} ${child.pid}`);
  setInterval(() => {}, 1000);
} else {
  process.stderr.write(`unknown mode ${mode}\n`);
  process.exit(2);
}
