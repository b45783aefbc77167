// Starts and stops the ccgate binary for a test: a clean environment (only what the test
// gives, plus PATH), HOME and the working directory in a private temp dir (ccgate reads a
// `.env` from its working directory), stderr collected, port parsed from the listening line.

import { spawn } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const e2eDir = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
export const ccgateBinary = process.env.CCGATE_BIN
  ? path.resolve(process.env.CCGATE_BIN)
  : path.resolve(e2eDir, '../../build/ccgate');

const LISTENING = /listening on http:\/\/(\S+?):(\d+)/;
const running = new Set();

// Children still running when the test process ends (or is interrupted) are killed.
export function trackChild(child) {
  running.add(child);
  child.once('exit', () => running.delete(child));
  return child;
}

const killAll = () => {
  for (const child of running) child.kill('SIGKILL');
};
process.once('exit', killAll);
for (const signal of ['SIGINT', 'SIGTERM', 'SIGHUP']) {
  process.once(signal, () => {
    killAll();
    process.kill(process.pid, signal);
  });
}

export function makeTempDir(prefix = 'ccgate-e2e-') {
  return fs.mkdtempSync(path.join(os.tmpdir(), prefix));
}

export class Ccgate {
  #child;
  #stderr = '';
  #exited;
  #tempDir;
  port = 0;
  host = ''; // the address ccgate says it listens on

  // env: values set for ccgate (undefined values are left out). args: extra `serve` flags.
  // dotenv: text of a `.env` file written into its working directory before it starts.
  // host: the --host flag (null: none, ccgate's default). launcher: a command and its arguments
  // that run ccgate (e.g. ['prlimit', '--nofile=512:']). binary: another path of the ccgate
  // binary (a link or a copy).
  static async start({ env = {}, args = [], dotenv, readyTimeoutMs = 10_000, host = '127.0.0.1', launcher = [], binary = ccgateBinary } = {}) {
    const gate = new Ccgate();
    await gate.#spawn(env, args, dotenv, readyTimeoutMs, host, launcher, binary);
    return gate;
  }

  get url() {
    return `http://127.0.0.1:${this.port}`;
  }

  get stderr() {
    return this.#stderr;
  }

  get pid() {
    return this.#child.pid;
  }

  get exited() {
    return this.#exited;
  }

  // SIGTERM, then SIGKILL if it does not stop within `graceMs`. Resolves to { code, signal }.
  async stop(graceMs = 5000) {
    const child = this.#child;
    if (child.exitCode === null && child.signalCode === null) {
      child.kill('SIGTERM');
      const timer = setTimeout(() => child.kill('SIGKILL'), graceMs);
      await this.#exited;
      clearTimeout(timer);
    }
    fs.rmSync(this.#tempDir, { recursive: true, force: true });
    return this.#exited;
  }

  async #spawn(extraEnv, args, dotenv, readyTimeoutMs, host, launcher, binary) {
    if (!fs.existsSync(binary)) {
      throw new Error(`ccgate binary not found at ${binary} (build it, or set CCGATE_BIN)`);
    }
    this.#tempDir = makeTempDir();
    const home = path.join(this.#tempDir, 'home');
    const cwd = path.join(this.#tempDir, 'work');
    fs.mkdirSync(home);
    fs.mkdirSync(cwd);
    if (dotenv !== undefined) fs.writeFileSync(path.join(cwd, '.env'), dotenv);
    const env = { PATH: process.env.PATH, HOME: home, LOG_LEVEL: 'info' };
    for (const [key, value] of Object.entries(extraEnv)) {
      if (value === undefined) delete env[key];
      else env[key] = String(value);
    }
    const hostArgs = host === null ? [] : ['--host', host];
    const [command, ...commandArgs] = [...launcher, binary, 'serve', ...hostArgs, '--port', '0', ...args];
    const child = spawn(command, commandArgs, {
      cwd,
      env,
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    this.#child = trackChild(child);
    this.#exited = new Promise((resolve) => child.once('exit', (code, signal) => resolve({ code, signal })));
    child.stdout.setEncoding('utf8');
    child.stderr.setEncoding('utf8');
    const collect = (text) => (this.#stderr += text);
    child.stdout.on('data', collect);
    child.stderr.on('data', collect);
    await new Promise((resolve, reject) => {
      const onData = () => {
        const match = LISTENING.exec(this.#stderr);
        if (!match) return;
        this.host = match[1];
        this.port = Number(match[2]);
        cleanup();
        resolve();
      };
      const fail = (why) => {
        cleanup();
        child.kill('SIGKILL');
        reject(new Error(`ccgate did not start: ${why}\n--- ccgate output ---\n${this.#stderr}`));
      };
      const onExit = (code, signal) => fail(`exited first (code ${code}, signal ${signal})`);
      const onError = (error) => fail(error.message);
      const timer = setTimeout(() => fail(`no "listening on" line within ${readyTimeoutMs} ms`), readyTimeoutMs);
      const cleanup = () => {
        clearTimeout(timer);
        child.stderr.off('data', onData);
        child.off('close', onExit);
        child.off('error', onError);
      };
      child.stderr.on('data', onData);
      child.once('close', onExit);
      child.once('error', onError);
    }).catch((error) => {
      fs.rmSync(this.#tempDir, { recursive: true, force: true });
      throw error;
    });
  }
}
