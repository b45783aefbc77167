// The run's charts, drawn by gnuplot from its results JSON into bench/results/<run-id>/:
// s1-added-latency.png, s2-frontier.png, s4b-concurrent-streams.png, s5-rss-cycles.png.
// A scenario the run did not have (a quick run, --only) or that failed gets no chart.

import fs from 'node:fs';
import path from 'node:path';
import { datablock, gnuplot, quoted } from './gnuplot.mjs';

// One colour per arm in every chart; other builds' ccgate (ccgate-gcc12…) get the spare ones.
const colours = { direct: '#7f7f7f', nginx: '#2ca02c', ccgate: '#1f77b4', ccr: '#d62728' };
const spare = ['#9467bd', '#ff7f0e', '#8c564b', '#17becf'];
const armRank = (name) => ['direct', 'nginx', 'ccgate', 'ccr'].indexOf(name.split('-')[0]);
const armsOf = (names) =>
  [...new Set(names)].filter((name) => armRank(name) >= 0).sort((a, b) => armRank(a) - armRank(b));
const colourOf = (name, arms) =>
  colours[name] ?? spare[arms.filter((a) => !colours[a]).indexOf(name) % spare.length];
const block = (prefix, name) => `${prefix}_${name.replace(/\W/g, '_')}`;
const usable = (value) => typeof value === 'number' && Number.isFinite(value);

const head = (file, title, { width = 1200, height = 700, layout = null } = {}) => `
set terminal pngcairo size ${width},${height} font 'DejaVu Sans,11'
set output ${quoted(file)}
set grid xtics ytics mxtics mytics lc rgb '#dddddd'
set key top left box opaque
${layout ? `set multiplot layout ${layout} title ${quoted(title)} font ',14'` : `set title ${quoted(title)} font ',14'`}
`;

// S1: added p50 and added p99 (arm − direct, same round, median over rounds) by body size.
function s1Chart(s1, file, runId) {
  const arms = armsOf(s1.points.flatMap((p) => Object.keys(p.arms))).filter((a) => a !== 'direct');
  if (!arms.length) return null;
  let data = '';
  let hidden = false;
  for (const name of arms) {
    const rows = s1.points
      .map((p) => [p.kb, p.arms[name]?.added?.p50.median, p.arms[name]?.added?.p99.median])
      .filter(([, p50, p99]) => usable(p50) || usable(p99));
    hidden ||= rows.some(([, p50, p99]) => p50 <= 0 || p99 <= 0);
    data += datablock(block('s1', name), [rows.map((r) => r.map((v) => (usable(v) && v > 0 ? v : 'NaN')))]);
  }
  const panel = (column, what) => `
set title ${quoted(`added ${what}`)}
plot ${arms.map((name) => `$${block('s1', name)} using 1:(\$${column}/1000) with linespoints lw 2 pt 7 ps 1.2 lc rgb '${colourOf(name, arms)}' title ${quoted(name)}`).join(', \\\n     ')}
`;
  return `${data}${head(file, `S1 — added latency over direct by body size, c=1 (run ${runId})`, { width: 1400, layout: '1,2' })}
set logscale xy
set xlabel 'request body (KB, log scale)'
set ylabel 'added latency (ms, log scale)${hidden ? '; values ≤ 0 not shown' : ''}'
set format y '%g'
${panel(2, 'p50')}${panel(3, 'p99')}
unset multiplot
`;
}

// S2: achieved RPS against p99, one curve per arm and load kind, one panel per mock delay.
function s2Chart(s2, file, runId) {
  const arms = armsOf(s2.points.flatMap((p) => Object.keys(p.arms)));
  const delays = [...new Set(s2.points.map((p) => p.delayMs))].sort((a, b) => a - b);
  if (!arms.length || !delays.length) return null;
  let data = '';
  const panels = delays.map((delay) => {
    const plots = [];
    for (const name of arms)
      for (const kind of ['closed', 'open']) {
        const rows = s2.points
          .filter((p) => p.delayMs === delay && p.kind === kind && p.arms[name])
          .map((p) => [p.arms[name].rps.median, p.arms[name].p99.median, p.arms[name].errors])
          .filter(([rps, p99]) => usable(rps) && rps > 0 && usable(p99) && p99 > 0);
        if (!rows.length) continue;
        const id = block(`s2_${delay}_${kind}`, name);
        data += datablock(id, [rows]);
        plots.push(
          `$${id} using 1:($2/1000) with linespoints lw 2 ${kind === 'open' ? 'dt 2 pt 6' : 'pt 7'} ps 1.2 lc rgb '${colourOf(name, arms)}' title ${quoted(`${name}, ${kind === 'open' ? 'open loop (fixed rate)' : 'closed loop (c = 1…)'}`)}`,
        );
      }
    return `
set title ${quoted(`mock delay ${delay} ms`)}
plot ${plots.join(', \\\n     ')}, \\
     1 with lines lc rgb '#999999' dt 3 notitle, 10 with lines lc rgb '#999999' dt 3 notitle, 50 with lines lc rgb '#999999' dt 3 notitle
`;
  });
  return `${data}${head(file, `S2 — throughput frontier: RPS against p99 per arm, 1 KB non-streaming (run ${runId})`, { width: 1600, height: 900, layout: `1,${delays.length}` })}
set logscale xy
set key below maxrows 4 height 1 nobox noopaque
set xlabel 'achieved requests per second (log scale)'
set ylabel 'p99 latency (ms, log scale; dotted: 1, 10, 50 ms)'
set format y '%g'
set format x '%g'
${panels.join('')}
unset multiplot
`;
}

// S4b: concurrent paced streams: p99 gap between events, events per second, CPU per event.
function s4bChart(s4, file, runId) {
  const concurrent = s4.concurrent;
  if (!concurrent?.points?.length) return null;
  const arms = armsOf(concurrent.points.flatMap((p) => Object.keys(p.arms)));
  let data = '';
  for (const name of arms) {
    const rows = concurrent.points
      .filter((p) => p.arms[name])
      .map((p) => {
        const a = p.arms[name];
        return [p.streams, a.gapP99 / 1000, a.eventsPerSecond, usable(a.cpuUsPerEvent) ? a.cpuUsPerEvent : 'NaN'];
      });
    data += datablock(block('s4b', name), [rows]);
  }
  const lines = (column, shown = arms) =>
    shown
      .map((name) => `$${block('s4b', name)} using 1:${column} with linespoints lw 2 pt 7 ps 1.2 lc rgb '${colourOf(name, arms)}' title ${quoted(name)}`)
      .join(', \\\n     ');
  const pacing = concurrent.pacingMs;
  return `${data}${head(file, `S4b — concurrent streams of ${concurrent.events} events, one every ${pacing} ms (run ${runId})`, { width: 1800, height: 650, layout: '1,3' })}
set logscale x 2
set xlabel 'concurrent streams (log scale)'
set format x '%g'
set title 'p99 gap between events (pass: < ${2 * pacing} ms, dashed)'
set ylabel 'ms'
set yrange [0:*]
plot ${lines(2)}, ${2 * pacing} with lines lc rgb '#999999' dt 2 title 'limit ${2 * pacing} ms', ${pacing} with lines lc rgb '#cccccc' dt 3 title 'pacing ${pacing} ms'
set title 'events delivered per second (dotted: all streams at full pace)'
set ylabel 'events per second (log scale)'
set logscale y
set yrange [*:*]
set key top left
plot ${lines(3)}, x*${1000 / pacing} with lines lc rgb '#999999' dt 3 title 'offered'
set title 'CPU per event, the arm''s processes (direct has none)'
set ylabel 'CPU-µs per event (log scale)'
set key top right
plot ${lines(4, arms.filter((name) => name !== 'direct'))}
unset multiplot
`;
}

// S5: RSS while the cycle's streams are held open and after they close, cycle by cycle.
function s5Chart(s5, file, runId) {
  const arms = armsOf(Object.keys(s5.arms)).filter((name) => s5.arms[name].cycles?.length);
  if (!arms.length) return null;
  let data = '';
  for (const name of arms) {
    const a = s5.arms[name];
    const mib = (kib) => (usable(kib) ? kib / 1024 : 'NaN');
    data += datablock(block('s5_after', name), [
      [[0, mib(a.warmRssKiB)], ...a.cycles.map((c, i) => [i + 1, mib(c.afterKiB)])],
    ]);
    data += datablock(block('s5_held', name), [a.cycles.map((c, i) => [i + 1, mib(c.heldKiB)])]);
  }
  const cycles = Math.max(...arms.map((name) => s5.arms[name].cycles.length));
  const plots = arms.flatMap((name) => [
    `$${block('s5_held', name)} using 1:2 with linespoints lw 2 pt 7 ps 1.2 lc rgb '${colourOf(name, arms)}' title ${quoted(`${name}: streams held open`)}`,
    `$${block('s5_after', name)} using 1:2 with linespoints lw 2 dt 2 pt 6 ps 1.2 lc rgb '${colourOf(name, arms)}' title ${quoted(`${name}: after they close`)}`,
  ]);
  return `${data}${head(file, `S5 — RSS across open/close cycles of idle streams (run ${runId})`, { width: 1200, height: 750 })}
set key outside right top
set logscale y
set format y '%g'
set xrange [-0.3:${cycles + 0.3}]
set xtics 1
set xtics add ('after warm-up' 0)
set xlabel 'open/close cycle'
set ylabel 'RSS of the arm''s processes (MiB, log scale)'
plot ${plots.join(', \\\n     ')}
`;
}

const charts = [
  { id: 'S1', name: 's1-added-latency', title: 'S1 added latency by body size', draw: (s, f, r) => s1Chart(s, f, r) },
  { id: 'S2', name: 's2-frontier', title: 'S2 throughput frontier', draw: (s, f, r) => s2Chart(s, f, r) },
  { id: 'S4', name: 's4b-concurrent-streams', title: 'S4b concurrent streams', draw: (s, f, r) => s4bChart(s, f, r) },
  { id: 'S5', name: 's5-rss-cycles', title: 'S5 RSS across open/close cycles', draw: (s, f, r) => s5Chart(s, f, r) },
];

// Draws every chart the results allow into <dir>/<chart>.png. Returns the charts drawn
// ({ id, title, file }, file relative to dir's parent, as the run's markdown links them) and
// the errors met; a chart that fails does not stop the others or the run.
export function drawCharts(results, dir) {
  const drawn = [];
  const errors = [];
  for (const chart of charts) {
    const scenario = results.scenarios[chart.id];
    if (!scenario || scenario.error) continue;
    const file = path.join(dir, `${chart.name}.png`);
    let script;
    try {
      script = chart.draw(scenario, file, results.runId);
    } catch (error) {
      errors.push(`${chart.name}: ${error.message}`);
      continue;
    }
    if (!script) continue;
    fs.mkdirSync(dir, { recursive: true });
    const error = gnuplot(script);
    if (error) errors.push(`${chart.name}: ${error}`);
    else drawn.push({ id: chart.id, title: chart.title, file: path.join(path.basename(dir), `${chart.name}.png`) });
  }
  return { drawn, errors };
}
