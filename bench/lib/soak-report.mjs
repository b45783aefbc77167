// What a soak run leaves behind: series.json (every sample, the settings, the verdict),
// series.csv (one row per sample), chart.png (RSS, descriptors and requests per second over
// time, drawn by gnuplot) and summary.md.

import fs from 'node:fs';
import path from 'node:path';
import { gnuplot } from './gnuplot.mjs';

const csvColumns = [
  ['t_s', (s) => s.t.toFixed(1)],
  ['phase', (s) => s.phase],
  ['rss_mib', (s) => (s.tick.rss_kib / 1024).toFixed(2)],
  ['rss_floor_mib', (s) => (s.floor.rss_kib / 1024).toFixed(2)],
  ['threads', (s) => s.tick.threads],
  ['fds', (s) => s.tick.fds],
  ['fds_floor', (s) => s.floor.fds],
  ['fds_peak', (s) => s.peak.fds],
  ['sockets_in', (s) => s.tick.sockets_in],
  ['sockets_up', (s) => s.tick.sockets_up],
  ['pipes', (s) => s.tick.pipes],
  ['pipes_floor', (s) => s.floor.pipes],
  ['pidfds', (s) => s.tick.pidfds],
  ['children', (s) => s.tick.children],
  ['children_floor', (s) => s.floor.children],
  ['zombies', (s) => s.tick.zombies],
  ['session_dirs', (s) => s.tick.session_dirs],
  ['mock_connections', (s) => s.tick.mock_connections],
  ['mock_streams', (s) => s.tick.mock_streams],
  ['rps_ok', (s) => s.rps_ok.toFixed(1)],
  ['faults_per_s', (s) => s.faults_per_s.toFixed(2)],
  ['wrong_per_s', (s) => s.wrong_per_s.toFixed(2)],
  ['proxy_p50_ms', (s) => s.latency.proxy.p50 ?? ''],
  ['proxy_p99_ms', (s) => s.latency.proxy.p99 ?? ''],
  ['gateway_p50_ms', (s) => s.latency.gateway.p50 ?? ''],
  ['gateway_p99_ms', (s) => s.latency.gateway.p99 ?? ''],
];

export function writeCsv(file, samples) {
  const lines = [csvColumns.map(([name]) => name).join(',')];
  for (const sample of samples) lines.push(csvColumns.map(([, value]) => value(sample)).join(','));
  fs.writeFileSync(file, `${lines.join('\n')}\n`);
}

// Three panels sharing the time axis; the warm-up and the cool-down are shaded.
export function drawChart(csvFile, pngFile, { warmupS, loadS, endS, title }) {
  const column = (name) => csvColumns.findIndex(([n]) => n === name) + 1;
  const script = `
set terminal pngcairo size 1200,1100 font 'DejaVu Sans,10'
set output '${pngFile}'
set datafile separator ','
set key outside right top
set grid
set multiplot layout 3,1 title '${title.replace(/'/g, '')}'
set lmargin at screen 0.07
set rmargin at screen 0.78
set xrange [0:${Math.max(endS, loadS) / 60}]
set object 1 rectangle from graph 0, graph 0 to first ${warmupS / 60}, graph 1 behind fillcolor rgb '#eeeeee' fillstyle solid noborder
set object 2 rectangle from first ${loadS / 60}, graph 0 to graph 1, graph 1 behind fillcolor rgb '#e6eef7' fillstyle solid noborder
set ylabel 'MiB'
set yrange [0:*]
plot '${csvFile}' using ($${column('t_s')}/60):${column('rss_mib')} skip 1 with linespoints lw 2 pt 7 ps 0.5 title 'ccgate RSS', \\
     '' using ($${column('t_s')}/60):${column('rss_floor_mib')} skip 1 with lines dt 2 title 'RSS (interval floor)'
set ylabel 'count'
plot '${csvFile}' using ($${column('t_s')}/60):${column('fds')} skip 1 with lines lw 2 title 'open fds', \\
     '' using ($${column('t_s')}/60):${column('fds_floor')} skip 1 with lines dt 2 title 'fds (interval floor)', \\
     '' using ($${column('t_s')}/60):${column('sockets_up')} skip 1 with lines title 'upstream sockets', \\
     '' using ($${column('t_s')}/60):${column('pipes')} skip 1 with lines title 'pipes', \\
     '' using ($${column('t_s')}/60):${column('children')} skip 1 with lines title 'CLI processes', \\
     '' using ($${column('t_s')}/60):${column('threads')} skip 1 with lines title 'threads'
set ylabel 'per second'
set xlabel 'minutes (grey: warm-up; blue: after the load: requests finish, then everything must be let go)'
plot '${csvFile}' using ($${column('t_s')}/60):${column('rps_ok')} skip 1 with lines lw 2 title 'well-behaved requests ok/s', \\
     '' using ($${column('t_s')}/60):${column('faults_per_s')} skip 1 with lines title 'faults/s', \\
     '' using ($${column('t_s')}/60):${column('wrong_per_s')} skip 1 with impulses lw 3 lc rgb 'red' title 'wrong answers and mishandled faults/s'
unset multiplot
`;
  return gnuplot(script);
}

const cell = (value) => (value === undefined || value === null ? '–' : String(value));

export function summaryMarkdown(run) {
  const lines = [];
  const verdict = run.verdict.pass ? 'PASS' : 'FAIL';
  lines.push(`# Soak ${run.runId}: ${verdict}`, '');
  lines.push(
    `Command: \`${run.command}\`. ${run.minutes} min of load (warm-up ${run.warmupS} s, a sample every ${run.sampleS} s); ` +
      `the requests in flight were over ${run.release.drainS} s after it, everything was let go ${run.release.waitedS} s later. ` +
      `Machine: ${run.machine.cpus} vCPU ${run.machine.model}, Linux ${run.machine.kernel}; ${run.machine.network}. ccgate: ${run.versions.ccgate}. ` +
      (run.cpu
        ? `CPU during the load, in % of one vCPU: ccgate ${run.cpu.ccgatePct}, its CLIs ${run.cpu.cliPct}, the mock ${run.cpu.mockPct}, the soak's clients ${run.cpu.driverPct}.`
        : ''),
    '',
  );
  if (!run.verdict.pass) {
    lines.push('What failed:', '');
    for (const problem of run.verdict.problems) lines.push(`- ${problem}`);
    lines.push('');
  }
  lines.push('## Series after warm-up', '');
  lines.push('| series | judged on | level | max | slope /min (2nd half) | rise | bound | verdict |', '|---|---|---|---|---|---|---|---|');
  for (const s of run.series)
    lines.push(
      `| ${s.label} | ${s.use === 'floor' ? 'interval floor' : 'sample'} | ${cell(s.level)} | ${cell(s.max)} | ${cell(s.slopePerMin)} | ${cell(s.rise)} | ${cell(s.riseBound)}${s.bandLimit ? `; max ≤ ${Math.round(s.bandLimit)}` : ''} | ${s.pass ? (s.note ? `ok (${s.note})` : 'flat') : `**${s.problems.join('; ')}**`} |`,
    );
  lines.push(
    `| ${run.rate.label} | sample | planned ${run.rate.planned} | ${cell(run.rate.max)} | | | min ≥ 80 % of plan | ${run.rate.pass ? `ok (min ${run.rate.min})` : `**${run.rate.problems.join('; ')}**`} |`,
    '',
  );
  lines.push('## Release after the load', '');
  lines.push(
    run.release.pass
      ? `Everything let go ${run.release.waitedS} s after the last request: ${describe(run.release.last)} (at start: ${describe(run.release.baseline)}).`
      : `**Not released ${run.release.waitedS} s after the last request:** ${run.release.problems.join('; ')}. Now: ${describe(run.release.last)}; at start: ${describe(run.release.baseline)}.`,
    '',
  );
  lines.push('## Requests', '');
  lines.push('| lane | requests | ok | wrong | kinds of failure |', '|---|---|---|---|---|');
  for (const [lane, c] of Object.entries(run.totals.lanes))
    lines.push(`| ${lane} | ${c.ok + c.failed} | ${c.ok} | ${c.failed} | ${Object.entries(c.fail).map(([k, n]) => `${k} ${n}`).join(', ') || '–'} |`);
  lines.push('', '| fault | runs | verdicts | time to the error or release (p50 ms) | example |', '|---|---|---|---|---|');
  for (const [fault, c] of Object.entries(run.totals.faults))
    lines.push(
      `| ${fault}${c.needs ? ` (needs ${c.needs})` : ''} | ${c.runs} | ${Object.entries(c.verdicts).map(([k, n]) => `${k} ${n}`).join(', ')} | ${cell(c.figureMsP50)} | ${cell(c.example ?? c.lastDetail)} |`,
    );
  lines.push('', `Files: \`series.json\`, \`series.csv\`, \`chart.png\` in \`${run.outDir}\`.`, '');
  return lines.join('\n');
}

const describe = (r) =>
  `${r.fds} fds (${r.sockets_in} client, ${r.sockets_up} upstream sockets, ${r.pipes} pipes, ${r.pidfds} pidfds), ${r.threads} threads, ` +
  `${r.children} children, ${r.session_dirs} session dirs, RSS ${(r.rss_kib / 1024).toFixed(1)} MiB`;

export function writeAll(outDir, run) {
  fs.mkdirSync(outDir, { recursive: true });
  fs.writeFileSync(path.join(outDir, 'series.json'), JSON.stringify(run, null, 1));
  const csv = path.join(outDir, 'series.csv');
  writeCsv(csv, run.samples);
  const chartError = drawChart(csv, path.join(outDir, 'chart.png'), {
    warmupS: run.warmupS,
    loadS: run.minutes * 60,
    endS: run.samples.at(-1)?.t ?? 0,
    title: `ccgate soak ${run.runId}: ${run.verdict.pass ? 'pass' : 'FAIL'}`,
  });
  const markdown = summaryMarkdown(run);
  fs.writeFileSync(path.join(outDir, 'summary.md'), markdown);
  return { markdown, chartError };
}
