// One measured run of a bench tool against an arm, with the arm's CPU time and the machine's
// background load over the same interval; rounds that interleave arms in shuffled order; and
// the choice of the quieter vCPU.

import { busyBetween, cpuUsOf, machineCpu } from './procfs.mjs';
import { pin, runTool } from './process.mjs';
import { shuffled, sleep } from './stats.mjs';

// Background above this many vCPUs (CPU used by processes that are not part of the run) makes
// a run "contaminated"; the summary drops contaminated rounds when clean ones remain.
export const backgroundLimit = 0.1;

// Busy fraction of each vCPU over `ms`, while the bench itself is idle.
export async function probeCpus(ms = 500) {
  const before = machineCpu();
  await sleep(ms);
  return busyBetween(before, machineCpu());
}

export async function quietestCpu() {
  const busy = await probeCpus();
  return { cpu: (busy.cpu1 ?? 1) < (busy.cpu0 ?? 1) ? 1 : 0, busy };
}

// Runs `tool` once. `pids` are the processes whose CPU is charged to the arm; `ownPids` every
// process of the run (mock included) so the rest of the machine's CPU counts as background.
export async function measured({ tool, args, cpu, pids, ownPids = pids, onLine }) {
  const cpuBefore = cpuUsOf(pids);
  const ownBefore = cpuUsOf(ownPids);
  const machineBefore = machineCpu();
  const started = process.hrtime.bigint();
  const result = await runTool({ command: tool, args, cpu, onLine });
  const wallUs = Number(process.hrtime.bigint() - started) / 1000;
  const machine = busyBetween(machineBefore, machineCpu());
  const armCpuUs = cpuUsOf(pids) - cpuBefore;
  const ownCpuUs = cpuUsOf(ownPids) - ownBefore + (result.cpu_us ?? 0);
  const background = Math.max(0, machine.cpu - ownCpuUs / wallUs);
  return { result, armCpuUs, background, contaminated: background > backgroundLimit };
}

// For `count` rounds: pick the quieter vCPU (or use `fixedCpu`), pin `pinned` processes to it,
// run every arm once in a shuffled order. Returns runs[armName] = [per-round record].
export async function interleaved({ count, arms, pinned = [], fixedCpu, run }) {
  const runs = Object.fromEntries(arms.map((arm) => [arm.name, []]));
  for (let round = 0; round < count; ++round) {
    let cpu = fixedCpu;
    if (cpu === undefined) {
      cpu = (await quietestCpu()).cpu;
      for (const managed of pinned) pin(managed.pids(), cpu);
    }
    for (const arm of shuffled(arms)) runs[arm.name].push({ round, cpu, ...(await run(arm, cpu, round)) });
  }
  return runs;
}

// Requests of a load run that failed, of every kind (status, connect, timeout, reset…).
export const errorCount = (result) => Object.values(result.errors).reduce((a, b) => a + b, 0);

// Per-round records of the clean rounds (all rounds if fewer than two are clean).
export function cleanRounds(records) {
  const clean = records.filter((record) => !record.contaminated);
  return clean.length >= 2 ? clean : records;
}
