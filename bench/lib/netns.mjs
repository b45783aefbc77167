// A private network namespace for a bench run: loopback only, so nothing can leave the machine
// (not even the real Claude Code CLI), with a high file limit and a wide ephemeral port range.

import { spawnSync } from 'node:child_process';

export function canUnshare() {
  return process.getuid?.() === 0 && spawnSync('unshare', ['-n', 'true']).status === 0;
}

// Re-runs `script` with `argv` and --in-netns inside `unshare -n`, then exits with its status.
export function reexecInNetns(script, argv) {
  const inner = [
    'ip link set lo up',
    'ulimit -n "$(ulimit -Hn)"',
    'sysctl -qw net.ipv4.ip_local_port_range="10240 65000" 2>/dev/null || true',
    `exec ${JSON.stringify(process.execPath)} ${JSON.stringify(script)} ${argv.map((a) => JSON.stringify(a)).join(' ')} --in-netns`,
  ].join(' && ');
  const result = spawnSync('unshare', ['-n', 'bash', '-c', inner], { stdio: 'inherit' });
  process.exit(result.status ?? 1);
}
