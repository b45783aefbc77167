// What the soak reads about ccgate, from /proc and from the mock: memory, descriptors by kind
// (sockets split into client connections, upstream connections and listeners by their ports),
// threads, child processes (the CLIs; zombies apart), session temp dirs, and the upstream
// connections the mock sees.

import fs from 'node:fs';
import path from 'node:path';
import { cpuUs, descendants, jiffyUs } from './procfs.mjs';

const read = (file) => {
  try {
    return fs.readFileSync(file, 'utf8');
  } catch {
    return '';
  }
};

// inode → { local, remote, listening } for every TCP socket of the (private) network namespace.
function tcpSockets() {
  const sockets = new Map();
  for (const file of ['/proc/net/tcp', '/proc/net/tcp6']) {
    for (const line of read(file).split('\n').slice(1)) {
      const fields = line.trim().split(/\s+/);
      if (fields.length < 10) continue;
      const port = (address) => parseInt(address.split(':').at(-1), 16);
      sockets.set(fields[9], {
        local: port(fields[1]),
        remote: port(fields[2]),
        listening: fields[3] === '0A',
      });
    }
  }
  return sockets;
}

export const fdKinds = [
  'sockets_in', // connections accepted by ccgate: clients, and the CLIs' MCP calls
  'sockets_up', // connections from ccgate to the upstream (the mock)
  'sockets_listen',
  'sockets_other',
  'pipes',
  'pidfds',
  'eventfds',
  'epoll',
  'timerfds',
  'files',
  'other',
];

// Descriptors of `pid` by kind, and their total.
export function descriptors(pid, { ccgatePort, mockPort }) {
  const counts = Object.fromEntries(fdKinds.map((kind) => [kind, 0]));
  let entries = [];
  try {
    entries = fs.readdirSync(`/proc/${pid}/fd`);
  } catch {
    return { total: 0, ...counts };
  }
  let tcp = null;
  for (const fd of entries) {
    let target = '';
    try {
      target = fs.readlinkSync(`/proc/${pid}/fd/${fd}`);
    } catch {
      continue; // closed meanwhile
    }
    if (target.startsWith('socket:[')) {
      tcp ??= tcpSockets();
      const socket = tcp.get(target.slice(8, -1));
      if (!socket) counts.sockets_other += 1;
      else if (socket.listening) counts.sockets_listen += 1;
      else if (socket.local === ccgatePort) counts.sockets_in += 1;
      else if (socket.remote === mockPort) counts.sockets_up += 1;
      else counts.sockets_other += 1;
    } else if (target.startsWith('pipe:')) counts.pipes += 1;
    else if (target === 'anon_inode:[pidfd]') counts.pidfds += 1;
    else if (target === 'anon_inode:[eventfd]') counts.eventfds += 1;
    else if (target === 'anon_inode:[eventpoll]') counts.epoll += 1;
    else if (target === 'anon_inode:[timerfd]') counts.timerfds += 1;
    else if (target.startsWith('/')) counts.files += 1;
    else counts.other += 1;
  }
  return { total: entries.length, ...counts };
}

function status(pid) {
  const text = read(`/proc/${pid}/status`);
  const field = (name) => Number(text.match(new RegExp(`^${name}:\\s+(\\d+)`, 'm'))?.[1] ?? 0);
  return { rssKiB: field('VmRSS'), threads: field('Threads') };
}

function children(pid) {
  let zombies = 0;
  const all = descendants(pid);
  for (const child of all) {
    const stat = read(`/proc/${child}/stat`);
    if (stat.slice(stat.lastIndexOf(')') + 2, stat.lastIndexOf(')') + 3) === 'Z') zombies += 1;
  }
  return { children: all.length, zombies };
}

function sessionDirs(tmpDir) {
  try {
    return fs.readdirSync(tmpDir).filter((name) => name.startsWith('ccgate-session-')).length;
  } catch {
    return 0;
  }
}

async function mockStats(mockUrl) {
  try {
    const response = await fetch(`${mockUrl}/stats`, { signal: AbortSignal.timeout(2000) });
    const stats = await response.json();
    return { mock_connections: stats.connections_open, mock_streams: stats.streams_open, mock_requests: stats.requests };
  } catch {
    return { mock_connections: null, mock_streams: null, mock_requests: null };
  }
}

// One reading: a flat object of numbers.
export async function readOnce({ pid, ccgatePort, mockPort, mockUrl, tmpDir }) {
  const { rssKiB, threads } = status(pid);
  const fds = descriptors(pid, { ccgatePort, mockPort });
  return {
    rss_kib: rssKiB,
    threads,
    fds: fds.total,
    ...Object.fromEntries(fdKinds.map((kind) => [kind, fds[kind]])),
    ...children(pid),
    session_dirs: sessionDirs(tmpDir),
    ...(await mockStats(mockUrl)),
  };
}


// CPU seconds used by `pid` itself and by its children once reaped (the CLIs, for ccgate).
export function cpuSeconds(pid) {
  const stat = read(`/proc/${pid}/stat`);
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  const childJiffies = Number(fields[13] ?? 0) + Number(fields[14] ?? 0); // cutime, cstime
  return { own: cpuUs(pid) / 1e6, children: (childJiffies * jiffyUs) / 1e6 };
}
