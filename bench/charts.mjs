#!/usr/bin/env node
// Redraws a run's charts from its results JSON and relinks them from its markdown:
//   node bench/charts.mjs bench/results/<run-id>.json…
// writes bench/results/<run-id>/*.png and rewrites bench/results/<run-id>.md (the same text
// bench/run.mjs wrote, from the same JSON, with the charts linked under their scenarios).

import fs from 'node:fs';
import path from 'node:path';
import { drawCharts } from './lib/charts.mjs';
import { markdown } from './lib/report.mjs';

const files = process.argv.slice(2);
if (!files.length || files.some((file) => !file.endsWith('.json'))) {
  console.error('usage: node bench/charts.mjs bench/results/<run-id>.json…');
  process.exit(2);
}
let failed = 0;
for (const file of files) {
  const results = JSON.parse(fs.readFileSync(file, 'utf8'));
  const base = file.slice(0, -'.json'.length);
  const { drawn, errors } = drawCharts(results, base);
  for (const error of errors) console.error(`${file}: chart not drawn: ${error}`);
  failed += errors.length;
  fs.writeFileSync(`${base}.md`, markdown(results, drawn));
  console.error(`${file}: ${drawn.length} charts in ${path.join(path.dirname(file), path.basename(base))}/, linked from ${base}.md`);
}
process.exit(failed ? 1 : 0);
