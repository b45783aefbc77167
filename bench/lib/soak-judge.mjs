// How the soak decides. After warm-up every series must be flat: RSS within 10 % above its
// post-warm-up level (the median of the first quarter of the judged samples), and for every
// series the least-squares line over the second half of the judged window must rise by less
// than a stated bound. Series are judged on each interval's floor (its lowest one-second
// reading): what stays held when the least is in flight, which is what a leak raises, while a
// large answer's transient buffers (freed, and given back) come and go between readings. After the load stops, everything a request or a session held must be
// let go. And every well-behaved request must have got the right answer, every fault its
// expected end.

import { median, slope } from './stats.mjs';

// rise: the largest rise of the fitted line over the second half, given the level.
export const seriesRules = [
  { key: 'rss_kib', label: 'RSS (KiB)', use: 'floor', bandPct: 10, rise: (level) => 0.03 * level, riseText: '3 % of the level' },
  { key: 'fds', label: 'open descriptors', use: 'floor', rise: countRise, riseText: 'max(2, 10 % of the level)' },
  { key: 'sockets_up', label: 'upstream sockets', use: 'floor', rise: poolRise, riseText: 'max(5, 25 % of the level)' },
  { key: 'pipes', label: 'pipes', use: 'floor', rise: countRise, riseText: 'max(2, 10 % of the level)' },
  { key: 'pidfds', label: 'pidfds', use: 'floor', rise: countRise, riseText: 'max(2, 10 % of the level)' },
  { key: 'threads', label: 'threads', use: 'tick', rise: countRise, riseText: 'max(2, 10 % of the level)' },
  { key: 'children', label: 'child processes', use: 'floor', rise: countRise, riseText: 'max(2, 10 % of the level)' },
  { key: 'zombies', label: 'zombie children', use: 'floor', rise: countRise, riseText: 'max(2, 10 % of the level)' },
  { key: 'session_dirs', label: 'session temp dirs', use: 'floor', rise: countRise, riseText: 'max(2, 10 % of the level)' },
  { key: 'mock_connections', label: 'upstream connections at the mock', use: 'floor', rise: poolRise, riseText: 'max(5, 25 % of the level)' },
  { key: 'mock_streams', label: 'upstream streams open at the mock', use: 'floor', rise: countRise, riseText: 'max(2, 10 % of the level)' },
];

function countRise(level) {
  return Math.max(2, 0.1 * level);
}

// The upstream pool keeps what a burst opened for a minute (idle keep-alive), so its floor
// wanders by a few connections; a leak grows without end.
function poolRise(level) {
  return Math.max(5, 0.25 * level);
}

const round = (value, digits = 2) => (value === null ? null : Math.round(value * 10 ** digits) / 10 ** digits);

const valueOf = (sample, rule) => (rule.use === 'floor' ? sample.floor[rule.key] : sample.tick[rule.key]);

// Judges one series over the samples taken after warm-up, while the load ran.
export function judgeSeries(samples, rule) {
  const points = samples.map((s) => [s.t / 60, valueOf(s, rule)]).filter(([, y]) => y !== null && y !== undefined);
  const result = { key: rule.key, label: rule.label, use: rule.use, samples: points.length, pass: true, problems: [] };
  if (points.length < 2) {
    result.note = 'too few samples after warm-up to judge';
    return result;
  }
  result.level = median(points.slice(0, Math.max(3, Math.ceil(points.length / 4))).map(([, y]) => y));
  result.max = Math.max(...points.map(([, y]) => y));
  if (rule.bandPct !== undefined) {
    result.bandLimit = result.level * (1 + rule.bandPct / 100);
    if (result.max > result.bandLimit) {
      result.pass = false;
      result.problems.push(`peaked at ${round(result.max)} > ${round(result.bandLimit)} (${rule.bandPct} % above the level ${round(result.level)})`);
    }
  }
  const half = points.slice(Math.floor(points.length / 2));
  if (half.length < 3) {
    result.note = 'too few samples in the second half for a trend (run longer)';
    return result;
  }
  const perMinute = slope(half.map(([x]) => x), half.map(([, y]) => y)) ?? 0;
  const span = half.at(-1)[0] - half[0][0];
  result.slopePerMin = round(perMinute, 3);
  result.rise = round(perMinute * span);
  result.riseBound = round(rule.rise(result.level));
  result.riseText = rule.riseText;
  if (result.rise > result.riseBound) {
    result.pass = false;
    result.problems.push(`rises ${result.rise} over the second half (${result.slopePerMin} per minute) > ${result.riseBound} (${rule.riseText})`);
  }
  return result;
}

// Requests per second of the well-behaved lanes: every judged interval at 80 % of the plan.
export function judgeRate(samples, plannedPerSecond) {
  const result = { key: 'rps', label: 'well-behaved requests per second', pass: true, problems: [], planned: round(plannedPerSecond, 1) };
  const rates = samples.map((s) => s.rps_ok);
  if (!rates.length) return result;
  result.min = round(Math.min(...rates), 1);
  result.max = round(Math.max(...rates), 1);
  const floor = 0.8 * plannedPerSecond;
  const low = samples.filter((s) => s.rps_ok < floor);
  if (low.length) {
    result.pass = false;
    result.problems.push(`${low.length} interval(s) below ${round(floor, 1)}/s (80 % of the plan), lowest ${result.min}/s at ${Math.round(low[0].t)} s`);
  }
  return result;
}

// After the load: what every request and session held is let go. drainS: from the end of the
// load until the last request in flight was over; waitedS: from then until this reading.
export function judgeRelease(baseline, last, drainS, waitedS) {
  const checks = [
    ['children', last.children === 0, `${last.children} child processes left`],
    ['zombies', last.zombies === 0, `${last.zombies} zombie children`],
    ['session_dirs', last.session_dirs === 0, `${last.session_dirs} session temp dirs left`],
    ['pipes', last.pipes <= baseline.pipes, `${last.pipes} pipes (${baseline.pipes} at start)`],
    ['pidfds', last.pidfds <= baseline.pidfds, `${last.pidfds} pidfds (${baseline.pidfds} at start)`],
    ['mock_streams', !last.mock_streams, `${last.mock_streams} upstream streams still open at the mock`],
    ['sockets_in', last.sockets_in <= baseline.sockets_in, `${last.sockets_in} client connections still open (${baseline.sockets_in} at start)`],
    [
      'sockets_up',
      last.mock_connections === null || last.sockets_up <= last.mock_connections,
      `${last.sockets_up} upstream sockets in ccgate but ${last.mock_connections} open at the mock`,
    ],
    [
      'fds',
      last.fds <= baseline.fds + last.sockets_up,
      `${last.fds} descriptors, more than the ${baseline.fds} at start plus ${last.sockets_up} pooled upstream connections`,
    ],
  ];
  const problems = checks.filter(([, ok]) => !ok).map(([, , text]) => text);
  return { pass: problems.length === 0, problems, drainS: round(drainS, 1), waitedS: round(waitedS, 1), baseline, last };
}

// Every well-behaved request right, every fault ended as it must.
export function judgeRequests(totals) {
  const problems = [];
  for (const [lane, counts] of Object.entries(totals.lanes)) {
    const failed = Object.entries(counts.fail);
    if (failed.length)
      problems.push(`${lane}: ${failed.map(([kind, n]) => `${n} ${kind}`).join(', ')} (of ${counts.ok + counts.failed})`);
  }
  for (const [fault, counts] of Object.entries(totals.faults)) {
    const bad = Object.entries(counts.verdicts).filter(([name]) => name !== 'expected');
    if (bad.length)
      problems.push(
        `fault ${fault}: ${bad.map(([name, n]) => `${n} ${name}`).join(', ')} (of ${counts.runs})` +
          (counts.needs ? ` — relies on ${counts.needs} (issue 8)` : '') +
          (counts.example ? `; e.g. ${counts.example}` : ''),
      );
  }
  return { pass: problems.length === 0, problems };
}
