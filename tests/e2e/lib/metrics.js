// Reading GET /metrics in tests: a scrape, its samples by series, and promtool's format check.

import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';

// The samples of a text exposition: Map of `name{labels}` → number.
export function parseSamples(text) {
  const samples = new Map();
  for (const line of text.split('\n')) {
    if (line === '' || line.startsWith('#')) continue;
    const cut = line.lastIndexOf(' ');
    samples.set(line.slice(0, cut), Number(line.slice(cut + 1)));
  }
  return samples;
}

// `name{a="x",b="y"}`, the labels in the order given (ccgate writes them in its family's order).
export function series(name, labels = {}) {
  const inner = Object.entries(labels)
    .map(([key, value]) => `${key}="${value}"`)
    .join(',');
  return inner ? `${name}{${inner}}` : name;
}

export async function scrape(url, headers = {}) {
  const response = await fetch(`${url}/metrics`, { headers });
  const text = await response.text();
  return { status: response.status, contentType: response.headers.get('content-type'), text };
}

export function promtool() {
  for (const dir of (process.env.PATH ?? '').split(path.delimiter)) {
    const candidate = path.join(dir, 'promtool');
    if (fs.existsSync(candidate)) return candidate;
  }
  // Not a skip: the format check is part of what the metrics suites prove.
  throw new Error('promtool is not installed: run scripts/install-deps.sh --test (Debian package prometheus)');
}

// promtool check metrics on an exposition: its complaints ('' when there are none).
export function promtoolComplaints(text) {
  return execFileSync(promtool(), ['check', 'metrics'], { input: text, encoding: 'utf8', stdio: ['pipe', 'pipe', 'pipe'] }).trim();
}
