// Drawing with gnuplot (Debian's gnuplot-nox; scripts/install-deps.sh --bench installs it): the
// script goes on stdin, the data inline as datablocks, so nothing is left behind but the PNG.

import { spawnSync } from 'node:child_process';

// Returns null when the chart was drawn, else why not.
export function gnuplot(script) {
  const result = spawnSync('gnuplot', [], { input: script, encoding: 'utf8' });
  if (result.error) return `gnuplot failed: ${result.error.message}`;
  if (result.status !== 0) return `gnuplot failed: ${result.stderr.trim()}`;
  return null;
}

// A string inside gnuplot's single quotes.
export const quoted = (text) => `'${String(text).replace(/'/g, "''")}'`;

// A datablock named $name from rows of numbers (a blank line between blocks of rows).
export const datablock = (name, blocks) =>
  `$${name} << EOD\n${blocks.map((rows) => rows.map((row) => row.join(' ')).join('\n')).join('\n\n\n')}\nEOD\n`;
