// Command lines of the bench tools, and the arguments every load run shares.

import fs from 'node:fs';
import path from 'node:path';

export function benchTools(buildDir) {
  const tools = {
    ccgate: path.join(buildDir, 'ccgate'),
    mock: path.join(buildDir, 'bench', 'ccgate-bench-mock'),
    load: path.join(buildDir, 'bench', 'ccgate-bench-load'),
    fakeClaude: path.join(buildDir, 'bench', 'ccgate-bench-fake-claude'),
    gateway: path.join(buildDir, 'bench', 'ccgate-bench-gateway'),
  };
  for (const [name, file] of Object.entries(tools))
    if (!fs.existsSync(file)) throw new Error(`bench tool ${name} missing: ${file} (run make bench)`);
  return tools;
}

export const loadArgs = (url, bodyFile, headers, extra = []) => [
  '--url',
  url,
  '--body-file',
  bodyFile,
  ...headers.flatMap((header) => ['--header', header]),
  ...extra.map(String),
];
