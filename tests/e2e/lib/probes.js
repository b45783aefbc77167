// What a fault or abuse test measures of a running ccgate from outside: its descriptors and its
// memory (from /proc), and raw TCP conversations that no SDK would hold (half-sent heads, clients
// that stop reading).

import net from 'node:net';
import fs from 'node:fs';

// The descriptors process `pid` holds, by kind: { total, pipe, pidfd, socket, other }.
export function fdCounts(pid) {
  const counts = { total: 0, pipe: 0, pidfd: 0, socket: 0, other: 0 };
  for (const fd of fs.readdirSync(`/proc/${pid}/fd`)) {
    let target;
    try {
      target = fs.readlinkSync(`/proc/${pid}/fd/${fd}`);
    } catch {
      continue; // closed while we looked
    }
    counts.total++;
    if (target.startsWith('pipe:')) counts.pipe++;
    else if (target === 'anon_inode:[pidfd]') counts.pidfd++;
    else if (target.startsWith('socket:')) counts.socket++;
    else counts.other++;
  }
  return counts;
}

// Resident memory of process `pid`, in KiB.
export function rssKiB(pid) {
  const status = fs.readFileSync(`/proc/${pid}/status`, 'utf8');
  return Number(/VmRSS:\s+(\d+)/.exec(status)?.[1] ?? 0);
}

// A raw TCP connection to 127.0.0.1:port. Everything received is kept in `received` (a latin1
// string); `closed` resolves when the peer closes or resets the connection.
export class RawConnection {
  socket;
  received = '';
  closed;

  static open(port) {
    const raw = new RawConnection();
    raw.socket = net.connect({ host: '127.0.0.1', port });
    raw.socket.setEncoding('latin1');
    raw.socket.on('data', (chunk) => (raw.received += chunk));
    raw.closed = new Promise((resolve) => {
      raw.socket.once('close', resolve);
      raw.socket.once('error', () => {});
    });
    return new Promise((resolve, reject) => {
      raw.socket.once('connect', () => resolve(raw));
      raw.socket.once('error', reject);
    });
  }

  write(text) {
    return new Promise((resolve, reject) => this.socket.write(text, 'latin1', (error) => (error ? reject(error) : resolve())));
  }

  // Stops reading: the kernel buffers fill, then the server's writes stall.
  stopReading() {
    this.socket.pause();
  }

  // The status code of the first response received so far, or 0.
  get status() {
    return Number(/^HTTP\/1\.[01] (\d{3})/.exec(this.received)?.[1] ?? 0);
  }

  destroy() {
    this.socket.destroy();
  }
}
