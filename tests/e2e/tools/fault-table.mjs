// Turns the fault suite's TAP output into the Markdown table of RELIABILITY.md: one row per fault,
// from the diagnostics each fault reports (what the client saw, when, how long until everything
// was released, the fd and RSS deltas against the baseline taken just before it). Not a test.
//
//   cd tests/e2e && CCGATE_BIN=… node --test --test-concurrency=1 fault-suite-*.test.js | node tools/fault-table.mjs

import readline from 'node:readline';

const rows = [];
const fields = /^\s*# fault (.*?) \| (.*) \| answered in (\S+) ms \| released (\d+) ms later \| fds Δ pipe (-?\d+) pidfd (-?\d+) socket (-?\d+) other (-?\d+) \| RSS Δ (-?\d+) KiB$/;
let failures = 0;

for await (const line of readline.createInterface({ input: process.stdin })) {
  const match = fields.exec(line);
  if (match) {
    const [, fault, seen, answered, released, pipe, pidfd, socket, other, rss] = match;
    const fds = [pipe, pidfd, socket, other].join(' / ');
    rows.push(`| ${fault} | ${seen.replaceAll('|', '\\|')} | ${answered} | ${released} | ${fds} | ${(Number(rss) / 1024).toFixed(1)} |`);
  } else if (/^\s*not ok /.test(line)) {
    failures++;
    console.error(line.trim());
  }
}

console.log('| fault | what the client saw | answered or dropped (ms) | everything released after (ms) | fds Δ pipe / pidfd / socket / other | RSS Δ (MiB) |');
console.log('|---|---|---|---|---|---|');
for (const row of rows) console.log(row);
if (failures) console.error(`${failures} test(s) failed: their rows are missing`);
