// Usage: node bench/compare-targets.mjs <before.json> <after.json>
// The target table of two runs side by side, both judged by today's targets (bench/lib/targets.mjs):
// an old run's JSON is evaluated again, so a limit changed since is applied to both.
import fs from 'node:fs';
import { evaluateTargets } from './lib/targets.mjs';
const load = (f) => {
  const d = JSON.parse(fs.readFileSync(f, 'utf8'));
  const sc = d.scenarios;
  return evaluateTargets(Array.isArray(sc) ? Object.fromEntries(sc.map((x) => [x.id, x])) : sc);
};
const [beforeFile, afterFile] = process.argv.slice(2);
const runId = (file) => file.replace(/^.*\//, '').replace(/\.json$/, '');
const before = load(beforeFile);
const after = load(afterFile);
const fmt = (v) => (v === null || v === undefined || Number.isNaN(v) ? '–' : typeof v === 'number' ? v.toLocaleString('en-US', { maximumFractionDigits: 2 }) : String(v));
const verdict = (t) => (t?.met === null || t?.met === undefined ? 'n/a' : t.met ? 'met' : '**missed**');
const key = (name) => name.replace(/\(\d+ streams\)|\(c=\d+\)/, '').trim();
console.log(`| target | limit | ${runId(beforeFile)} | ${runId(afterFile)} | |`);
console.log('|---|---|---|---|---|');
for (const t of after) {
  const b = before.find((x) => key(x.name) === key(t.name));
  const limit = `${t.limit !== null && t.name.match(/RPS|events per second/) ? '≥' : '≤'} ${fmt(t.limit)}`;
  console.log(`| ${t.name} | ${limit} | ${fmt(b?.value)}${b ? ` (${verdict(b).replace(/\*/g, '')})` : ''} | ${fmt(t.value)} | ${verdict(t)} |`);
}
