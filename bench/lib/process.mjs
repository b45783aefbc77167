// Processes the bench starts: pinned with taskset when asked, ready when a line appears on
// stdout or stderr (or a port answers), stopped with SIGTERM then SIGKILL. Only processes the
// bench started are ever signalled, and all of them are killed if the bench itself exits.

import { spawn, execFileSync } from 'node:child_process';
import net from 'node:net';
import { descendants } from './procfs.mjs';
import { sleep } from './stats.mjs';

const started = new Set();
const killAll = () => {
  for (const child of started) {
    try {
      process.kill(-child.pid, 'SIGKILL');
    } catch {}
  }
};
process.once('exit', killAll);
for (const signal of ['SIGINT', 'SIGTERM', 'SIGHUP'])
  process.once(signal, () => {
    killAll();
    process.exit(130);
  });

const pinned = (cpu, command, args) =>
  cpu === undefined || cpu === null ? [command, args] : ['taskset', ['-c', String(cpu), command, ...args]];

// Moves every thread of `pids` to `cpu` (a number, or a list like "0,1").
export function pin(pids, cpu) {
  for (const pid of pids) {
    try {
      execFileSync('taskset', ['-a', '-p', '-c', String(cpu), String(pid)], { stdio: 'ignore' });
    } catch {}
  }
}

export async function freePort() {
  return new Promise((resolve, reject) => {
    const server = net.createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address();
      server.close(() => resolve(port));
    });
  });
}

async function portAnswers(port) {
  return new Promise((resolve) => {
    const socket = net.connect(port, '127.0.0.1');
    socket.once('connect', () => {
      socket.destroy();
      resolve(true);
    });
    socket.once('error', () => resolve(false));
  });
}

export class Managed {
  constructor(name, child) {
    this.name = name;
    this.child = child;
    this.pid = child.pid;
    this.output = '';
    this.exited = new Promise((resolve) => child.once('exit', (code, signal) => resolve({ code, signal })));
  }

  // The process and everything it started (nginx's worker, a peer's helpers).
  pids() {
    return [this.pid, ...descendants(this.pid)];
  }

  async stop(graceMs = 5000) {
    if (this.child.exitCode !== null || this.child.signalCode !== null) return this.exited;
    try {
      process.kill(-this.pid, 'SIGTERM');
    } catch {}
    const timer = setTimeout(() => {
      try {
        process.kill(-this.pid, 'SIGKILL');
      } catch {}
    }, graceMs);
    const result = await this.exited;
    clearTimeout(timer);
    started.delete(this.child);
    return result;
  }
}

// ready: { line: RegExp } (matched against stdout+stderr; the match is returned) or { port }.
export async function startProcess({ name, command, args = [], env, cwd, cpu, ready, timeoutMs = 30_000 }) {
  const [file, argv] = pinned(cpu, command, args);
  const child = spawn(file, argv, { env, cwd, stdio: ['ignore', 'pipe', 'pipe'], detached: true });
  started.add(child);
  const managed = new Managed(name, child);
  let match = null;
  const onData = (data) => {
    if (managed.output.length < 1_000_000) managed.output += data.toString();
    if (!match && ready?.line) match = managed.output.match(ready.line);
  };
  child.stdout.on('data', onData);
  child.stderr.on('data', onData);
  const deadline = Date.now() + timeoutMs;
  let exited = false;
  managed.exited.then(() => (exited = true));
  while (Date.now() < deadline && !exited) {
    if (ready?.line && match) {
      managed.ready = match;
      return managed;
    }
    if (ready?.port && (await portAnswers(ready.port))) return managed;
    await sleep(20);
  }
  await managed.stop();
  throw new Error(`${name} did not become ready: ${managed.output.slice(-2000)}`);
}

// Runs a bench tool to completion and returns its last stdout line parsed as JSON.
// onLine(object, child) is called for every earlier JSON line (e.g. a hold tool's "held" line).
export async function runTool({ command, args, cpu, env, onLine, timeoutMs = 600_000 }) {
  const [file, argv] = pinned(cpu, command, args);
  const child = spawn(file, argv, { env, stdio: ['pipe', 'pipe', 'pipe'] });
  started.add(child);
  let stdout = '';
  let stderr = '';
  let pending = '';
  const lines = [];
  let handlers = Promise.resolve();
  child.stdout.on('data', (data) => {
    stdout += data;
    pending += data;
    let newline;
    while ((newline = pending.indexOf('\n')) >= 0) {
      const line = pending.slice(0, newline).trim();
      pending = pending.slice(newline + 1);
      if (!line) continue;
      lines.push(line);
      if (onLine) {
        const parsed = JSON.parse(line);
        handlers = handlers.then(() => onLine(parsed, child));
      }
    }
  });
  child.stderr.on('data', (data) => {
    if (stderr.length < 100_000) stderr += data;
  });
  const timer = setTimeout(() => child.kill('SIGKILL'), timeoutMs);
  const { code, signal } = await new Promise((resolve) =>
    child.once('exit', (exitCode, exitSignal) => resolve({ code: exitCode, signal: exitSignal })),
  );
  clearTimeout(timer);
  started.delete(child);
  await handlers;
  if (code !== 0 || !lines.length)
    throw new Error(
      `${command} ${argv.join(' ')} failed (${code ?? signal}): ${stderr.slice(-2000)} ${stdout.slice(-500)}`,
    );
  return JSON.parse(lines[lines.length - 1]);
}
