// Command lines of the bench tools, and the arguments every load run shares.

import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';

// compare: { armName: binary }, other builds' ccgate run as arms of their own (--compare-build).
export function benchTools(buildDir, compare = {}) {
  const tools = {
    ccgate: path.join(buildDir, 'ccgate'),
    mock: path.join(buildDir, 'bench', 'ccgate-bench-mock'),
    load: path.join(buildDir, 'bench', 'ccgate-bench-load'),
    fakeClaude: path.join(buildDir, 'bench', 'ccgate-bench-fake-claude'),
    gateway: path.join(buildDir, 'bench', 'ccgate-bench-gateway'),
  };
  for (const [name, file] of Object.entries({ ...tools, ...compare }))
    if (!fs.existsSync(file)) throw new Error(`bench tool ${name} missing: ${file} (run make bench)`);
  return { ...tools, compare };
}

// The compiler that built `binary`, from its ELF .comment section: a clang build also carries
// the GCC line of the C runtime's start files, so clang's line decides.
export function compilerOf(binary) {
  let comment = '';
  try {
    comment = execFileSync('readelf', ['-p', '.comment', binary], { encoding: 'utf8' });
  } catch {}
  const clang = comment.match(/clang version ((\d+)[\d.]*)/);
  if (clang) return { label: `clang${clang[2]}`, version: `clang ${clang[1]}` };
  const gcc = comment.match(/GCC: \([^)]*\) ((\d+)[\d.]*)/);
  if (gcc) return { label: `gcc${gcc[2]}`, version: `GCC ${gcc[1]}` };
  return { label: 'other', version: 'an unknown compiler' };
}

export const loadArgs = (url, bodyFile, headers, extra = []) => [
  '--url',
  url,
  '--body-file',
  bodyFile,
  ...headers.flatMap((header) => ['--header', header]),
  ...extra.map(String),
];
