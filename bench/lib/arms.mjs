// The processes a scenario measures: the mock upstream, and the arms a request can take to it —
// direct, through nginx (the zero-logic floor), through ccgate, through the peer
// claude-code-router. Each arm is { name, url, pids(), stop(), version }.

import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { execFileSync } from 'node:child_process';
import { freePort, startProcess } from './process.mjs';

export const benchDir = path.resolve(path.dirname(new URL(import.meta.url).pathname), '..');
export const rootDir = path.resolve(benchDir, '..');

export const tempDir = (prefix) => fs.mkdtempSync(path.join(os.tmpdir(), `ccgate-bench-${prefix}-`));

const baseEnv = () => ({ PATH: process.env.PATH, LANG: 'C.UTF-8' });

export async function startMock(tools, cpu) {
  const mock = await startProcess({
    name: 'mock',
    command: tools.mock,
    args: ['--host', '127.0.0.1', '--port', '0', '--threads', '1'],
    env: baseEnv(),
    cpu,
    ready: { line: /listening (\d+)/ },
  });
  mock.port = Number(mock.ready[1]);
  mock.url = `http://127.0.0.1:${mock.port}`;
  return mock;
}

export function directArm(mock) {
  return { name: 'direct', url: mock.url, pids: () => [], stop: async () => {}, version: 'mock only' };
}

function nginxVersion() {
  try {
    return execFileSync('nginx', ['-v'], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] }).trim();
  } catch (error) {
    return String(error.stderr || '')
      .trim()
      .replace('nginx version: ', '');
  }
}

export async function startNginx(mock, cpu) {
  const dir = tempDir('nginx');
  const port = await freePort();
  const config = `
worker_processes 1;
master_process on;
daemon off;
pid ${dir}/nginx.pid;
error_log ${dir}/error.log error;
worker_rlimit_nofile 65536;
events { worker_connections 32768; }
http {
  access_log off;
  client_body_temp_path ${dir}/body;
  proxy_temp_path ${dir}/proxy;
  fastcgi_temp_path ${dir}/fastcgi;
  uwsgi_temp_path ${dir}/uwsgi;
  scgi_temp_path ${dir}/scgi;
  upstream mock { server 127.0.0.1:${mock.port}; keepalive 1024; }
  server {
    listen 127.0.0.1:${port} backlog=4096;
    client_max_body_size 64m;
    keepalive_requests 1000000;
    location / {
      proxy_pass http://mock;
      proxy_http_version 1.1;
      proxy_set_header Connection "";
      proxy_buffering off;
      proxy_request_buffering off;
      proxy_read_timeout 3600s;
      proxy_send_timeout 3600s;
    }
  }
}
`;
  fs.writeFileSync(path.join(dir, 'nginx.conf'), config);
  const nginx = await startProcess({
    name: 'nginx',
    command: 'nginx',
    args: ['-p', dir, '-c', path.join(dir, 'nginx.conf'), '-e', path.join(dir, 'error.log')],
    env: baseEnv(),
    cpu,
    ready: { port },
  });
  return arm('nginx', nginx, `http://127.0.0.1:${port}`, nginxVersion(), dir);
}

function arm(name, managed, url, version, dir) {
  return {
    name,
    url,
    version,
    managed,
    pids: () => managed.pids(),
    mainPid: managed.pid,
    stop: async () => {
      await managed.stop();
      if (dir) fs.rmSync(dir, { recursive: true, force: true });
    },
  };
}

// extraEnv: anything a scenario adds (the gateway lane sets CLAUDE_CODE_PATH and friends).
// `name` is 'ccgate' or an arm of tools.compare: another build's binary, the same settings.
export async function startCcgate(tools, mock, cpu, extraEnv = {}, name = 'ccgate') {
  const binary = name === 'ccgate' ? tools.ccgate : tools.compare[name];
  const dir = tempDir('ccgate');
  const port = await freePort();
  const env = {
    ...baseEnv(),
    HOME: dir,
    HOST: '127.0.0.1',
    PORT: String(port),
    THREADS: '1',
    LOG_LEVEL: 'warning',
    OPENAI_BASE_URL: `${mock.url}/v1`,
    OPENAI_API_KEY: 'bench-upstream-key',
    ...extraEnv,
  };
  const ccgate = await startProcess({
    name,
    command: binary,
    args: ['serve'],
    env,
    cwd: dir,
    cpu,
    ready: { port },
  });
  const version = execFileSync(binary, ['--version'], { encoding: 'utf8' }).trim();
  return arm(name, ccgate, `http://127.0.0.1:${port}`, version, dir);
}

export const ccrPackageDir = path.join(benchDir, 'peer', 'node_modules', '@musistudio', 'claude-code-router');

export const ccrInstalled = () => fs.existsSync(path.join(ccrPackageDir, 'dist', 'cli.js'));

export async function startCcr(mock, cpu) {
  const home = tempDir('ccr');
  const port = await freePort();
  fs.mkdirSync(path.join(home, '.claude-code-router'));
  const config = {
    LOG: false,
    HOST: '127.0.0.1',
    PORT: port,
    API_TIMEOUT_MS: 600000,
    Providers: [
      {
        name: 'mock',
        api_base_url: `${mock.url}/v1/chat/completions`,
        api_key: 'bench-upstream-key',
        models: ['mock'],
      },
    ],
    Router: { default: 'mock,mock' },
  };
  fs.writeFileSync(path.join(home, '.claude-code-router', 'config.json'), JSON.stringify(config));
  const ccr = await startProcess({
    name: 'ccr',
    command: process.execPath,
    args: [path.join(ccrPackageDir, 'dist', 'cli.js'), 'start'],
    env: { ...baseEnv(), HOME: home, NODE_ENV: 'production' },
    cwd: home,
    cpu,
    ready: { port },
  });
  const version = JSON.parse(fs.readFileSync(path.join(ccrPackageDir, 'package.json'), 'utf8')).version;
  return arm(
    'ccr',
    ccr,
    `http://127.0.0.1:${port}`,
    `claude-code-router ${version} (node ${process.version})`,
    home,
  );
}

// Starts the arms a scenario asks for, by name, all pinned to `cpu`.
export async function startArms(names, tools, mock, cpu, ccgateEnv) {
  const arms = [];
  for (const name of names) {
    if (name === 'direct') arms.push(directArm(mock));
    else if (name === 'nginx') arms.push(await startNginx(mock, cpu));
    else if (name === 'ccgate' || name in tools.compare)
      arms.push(await startCcgate(tools, mock, cpu, ccgateEnv, name));
    else if (name === 'ccr' && ccrInstalled()) arms.push(await startCcr(mock, cpu));
  }
  return arms;
}

export async function stopAll(arms) {
  for (const arm of arms) await arm.stop();
}

// Runs `measure({ mock, arms, pinned })` with a fresh mock (on vCPU 0) and the named arms (on
// `armCpu`), and stops them all afterwards whatever happens. `pinned` lists the processes a
// latency-lane round moves to its quieter vCPU.
export async function withLane(tools, names, armCpu, measure) {
  const mock = await startMock(tools, 0);
  let arms = [];
  try {
    arms = await startArms(names, tools, mock, armCpu);
    const pinned = [mock, ...arms.filter((arm) => arm.managed).map((arm) => arm.managed)];
    return await measure({ mock, arms, pinned });
  } finally {
    await stopAll(arms);
    await mock.stop();
  }
}
