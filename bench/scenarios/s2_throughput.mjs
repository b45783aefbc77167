// S2 — throughput frontier, translation lane, non-streaming 1 KB: closed-loop concurrency
// sweeps and open-loop rates, mock delay 0 and 20 ms. The arm alone on vCPU 1; the mock and the
// load client on vCPU 0, so "RPS" is what one vCPU of the arm serves.

import { anthropicBody, anthropicHeaders, directive, writeBody } from '../lib/bodies.mjs';
import { withLane } from '../lib/arms.mjs';
import { interleaved, measured, errorCount } from '../lib/measure.mjs';
import { medianOf, usableRounds } from '../lib/summary.mjs';
import { loadArgs } from '../lib/tools.mjs';

export const id = 'S2';
export const title = 'Throughput frontier, translation lane, 1 KB non-streaming';

const p99Bounds = [1, 10, 50];

async function mockStats(mock, path = '/stats') {
  const response = await fetch(`${mock.url}${path}`, { method: path === '/stats' ? 'GET' : 'POST' });
  return response.json();
}

export async function run({ tools, suite, workDir, log }) {
  const points = [];
  await withLane(tools, suite.arms, 1, async ({ mock, arms }) => {
    for (const delayMs of suite.s2.delaysMs) {
      const body = writeBody(
        workDir,
        `s2-${delayMs}.json`,
        anthropicBody(1024, directive({ response_bytes: 512, delay_ms: delayMs })),
      );
      const loads = [
        ...suite.s2.concurrency.map((c) => ({
          kind: 'closed',
          c,
          args: ['--mode', 'closed', '--concurrency', c],
        })),
        ...(delayMs === 0 ? suite.s2.ratesRps : []).map((rate) => ({
          kind: 'open',
          rate,
          args: ['--mode', 'open', '--rate', rate, '--concurrency', 512],
        })),
      ];
      for (const load of loads) {
        log(`S2 delay ${delayMs} ms, ${load.kind} ${load.c ?? load.rate + ' rps'}`);
        const eligible = arms.filter(
          (arm) => load.kind === 'closed' || arm.name !== 'ccr' || load.rate <= suite.s2.peerMaxRate,
        );
        const runs = await interleaved({
          count: suite.s2.rounds,
          arms: eligible,
          fixedCpu: 0,
          run: async (arm) => {
            const url = `${arm.url}/v1/messages`;
            await mockStats(mock, '/stats/reset');
            const { result, armCpuUs, background, contaminated } = await measured({
              tool: tools.load,
              args: loadArgs(url, body, anthropicHeaders, [
                ...load.args,
                '--duration-s',
                suite.s2.durationS,
                '--warmup',
                suite.s2.warmup,
                '--timeout-s',
                30,
              ]),
              cpu: 0,
              pids: arm.pids(),
              ownPids: [...arm.pids(), mock.pid],
            });
            const stats = await mockStats(mock);
            const errors = errorCount(result);
            return {
              rps: result.rps,
              p50: result.latency_us.p50,
              p99: result.latency_us.p99,
              ok: result.ok,
              errors,
              cpuUsPerRequest: result.ok ? armCpuUs / result.ok : null,
              armCpuShare: armCpuUs / (result.elapsed_s * 1e6),
              upstreamConnections: arm.name === 'direct' ? null : stats.peers_seen,
              background,
              contaminated,
            };
          },
        });
        const { rounds } = usableRounds(runs);
        const arm = {};
        for (const [name, records] of Object.entries(runs))
          arm[name] = {
            rps: medianOf(records, rounds, (r) => r.rps),
            p50: medianOf(records, rounds, (r) => r.p50),
            p99: medianOf(records, rounds, (r) => r.p99),
            errors: records.reduce((a, r) => a + r.errors, 0),
            cpuUsPerRequest: medianOf(records, rounds, (r) => r.cpuUsPerRequest),
            armCpuShare: medianOf(records, rounds, (r) => r.armCpuShare),
            upstreamConnections: medianOf(records, rounds, (r) => r.upstreamConnections),
          };
        points.push({ delayMs, ...load, args: undefined, arms: arm, runs });
      }
    }
  });
  return {
    id,
    title,
    placement: 'arm on vCPU 1; mock and load client on vCPU 0',
    points,
    frontier: frontier(points),
  };
}

// Highest measured RPS, per arm and mock delay, among points with p99 under each bound and no
// errors. The arm is pinned to one vCPU, so this is RPS per vCPU.
function frontier(points) {
  const result = {};
  for (const point of points) {
    for (const [name, figures] of Object.entries(point.arms)) {
      const key = `${name}`;
      result[key] ??= {};
      for (const bound of p99Bounds) {
        const slot = `delay${point.delayMs}_p99lt${bound}ms`;
        const ok = figures.errors === 0 && figures.p99.median !== null && figures.p99.median < bound * 1000;
        if (ok && (result[key][slot] ?? 0) < figures.rps.median) result[key][slot] = figures.rps.median;
        result[key][slot] ??= 0;
      }
    }
  }
  return result;
}
