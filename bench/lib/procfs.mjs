// Readings from /proc: CPU time of a process (all its threads, nanosecond precision from
// schedstat), its memory, its children, and the whole machine's CPU per vCPU.

import fs from 'node:fs';

const read = (file) => {
  try {
    return fs.readFileSync(file, 'utf8');
  } catch {
    return '';
  }
};

// Run time of every live thread of `pid`, in µs. schedstat's first field is ns on the CPU.
export function cpuUs(pid) {
  let ns = 0;
  let tids = [];
  try {
    tids = fs.readdirSync(`/proc/${pid}/task`);
  } catch {
    return 0;
  }
  for (const tid of tids) ns += Number(read(`/proc/${pid}/task/${tid}/schedstat`).split(' ')[0] || 0);
  return ns / 1000;
}

export const cpuUsOf = (pids) => pids.reduce((sum, pid) => sum + cpuUs(pid), 0);

function statusField(pid, name) {
  const match = read(`/proc/${pid}/status`).match(new RegExp(`^${name}:\\s+(\\d+)`, 'm'));
  return match ? Number(match[1]) : 0;
}

// Memory of a process in KiB: resident set, its high-water mark, proportional set size.
export function memoryKiB(pid) {
  const pss = read(`/proc/${pid}/smaps_rollup`).match(/^Pss:\s+(\d+)/m);
  return {
    rss: statusField(pid, 'VmRSS'),
    hwm: statusField(pid, 'VmHWM'),
    pss: pss ? Number(pss[1]) : 0,
    threads: statusField(pid, 'Threads'),
    fds: (() => {
      try {
        return fs.readdirSync(`/proc/${pid}/fd`).length;
      } catch {
        return 0;
      }
    })(),
  };
}

export const rssKiBOf = (pids) => pids.reduce((sum, pid) => sum + memoryKiB(pid).rss, 0);

// Every descendant of `pid` (children, grandchildren…), found through each process's ppid.
export function descendants(pid) {
  const parentOf = new Map();
  for (const entry of fs.readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    const stat = read(`/proc/${entry}/stat`);
    const afterName = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    if (afterName.length > 1) parentOf.set(Number(entry), Number(afterName[1]));
  }
  const found = [];
  const frontier = [pid];
  while (frontier.length) {
    const parent = frontier.pop();
    for (const [child, ppid] of parentOf)
      if (ppid === parent) {
        found.push(child);
        frontier.push(child);
      }
  }
  return found;
}

// Busy and total jiffies per vCPU ("cpu0", "cpu1") and for the machine ("cpu").
export function machineCpu() {
  const result = {};
  for (const line of read('/proc/stat').split('\n')) {
    if (!line.startsWith('cpu')) continue;
    const [name, ...fields] = line.trim().split(/\s+/);
    const values = fields.map(Number);
    const total = values.slice(0, 8).reduce((a, b) => a + b, 0);
    const idle = values[3] + values[4];
    result[name] = { busy: total - idle, total };
  }
  return result;
}

// Busy fraction of each vCPU (and "cpu", in vCPUs) between two machineCpu() readings.
export function busyBetween(before, after) {
  const result = {};
  for (const name of Object.keys(after)) {
    const total = after[name].total - before[name].total;
    const busy = after[name].busy - before[name].busy;
    result[name] = total > 0 ? busy / total : 0;
  }
  result.cpu *= Object.keys(after).length - 1; // the machine line: in vCPUs, not a fraction
  return result;
}

export const jiffyUs = 1e6 / 100; // USER_HZ is 100 on Linux
