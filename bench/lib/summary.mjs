// Turning per-round records into the figures the report shows: medians over rounds of each
// arm's own value, and of its difference from the direct arm in the same round.

import { iqr, median, round1 } from './stats.mjs';

// Rounds in which no arm's run was contaminated by background load, when at least two remain.
export function usableRounds(runs) {
  const all = [...new Set(Object.values(runs).flatMap((records) => records.map((r) => r.round)))];
  const clean = all.filter((round) =>
    Object.values(runs).every((records) => records.every((r) => r.round !== round || !r.contaminated)),
  );
  return {
    rounds: clean.length >= 2 ? clean : all,
    dropped: clean.length >= 2 ? all.length - clean.length : 0,
  };
}

const recordOf = (records, round) => records.find((record) => record.round === round);

export function medianOf(records, rounds, value) {
  const values = rounds
    .map((round) => recordOf(records, round))
    .filter(Boolean)
    .map(value)
    .filter((v) => v !== null && v !== undefined && Number.isFinite(v));
  return { median: round1(median(values)), iqr: iqr(values)?.map(round1) ?? null, n: values.length };
}

// Median over rounds of (arm's value − direct's value), each pair from the same round.
export function addedOver(runs, armName, rounds, value, baseline = 'direct') {
  const deltas = [];
  for (const round of rounds) {
    const arm = recordOf(runs[armName] ?? [], round);
    const base = recordOf(runs[baseline] ?? [], round);
    if (!arm || !base) continue;
    const a = value(arm);
    const b = value(base);
    if (Number.isFinite(a) && Number.isFinite(b)) deltas.push(a - b);
  }
  return { median: round1(median(deltas)), iqr: iqr(deltas)?.map(round1) ?? null, n: deltas.length };
}

export const ratio = (a, b) =>
  a === null || b === null || !Number.isFinite(a) || !Number.isFinite(b) || b === 0
    ? null
    : Math.round((a / b) * 100) / 100;
