// S1 — added latency at c=1, non-streaming, translation lane: an Anthropic client's request
// through each arm to the mock, against the same request sent to the mock directly. All
// processes on the quieter vCPU, so the figure is the CPU path, not cross-vCPU wake-ups.

import fs from 'node:fs';
import { anthropicBody, anthropicHeaders, directive, writeBody } from '../lib/bodies.mjs';
import { withLane } from '../lib/arms.mjs';
import { interleaved, measured, errorCount } from '../lib/measure.mjs';
import { addedOver, medianOf, usableRounds } from '../lib/summary.mjs';
import { slope } from '../lib/stats.mjs';
import { loadArgs } from '../lib/tools.mjs';

export const id = 'S1';
export const title = 'Added latency, c=1, non-streaming, translation lane';

export async function run({ tools, suite, workDir, log }) {
  const points = [];
  await withLane(tools, suite.arms, 0, async ({ mock, arms, pinned }) => {
    for (const kb of suite.s1.sizesKb) {
      const body = writeBody(
        workDir,
        `s1-${kb}k.json`,
        anthropicBody(kb * 1024, directive({ response_bytes: 512 })),
      );
      const { requests, warmup } = suite.s1.requests(kb);
      log(`S1 ${kb} KB: ${suite.rounds} rounds × ${arms.length} arms × ${requests} requests`);
      const runs = await interleaved({
        count: suite.rounds,
        arms,
        pinned,
        run: async (arm, cpu) => {
          const url = `${arm.url}/v1/messages`;
          const common = ['--mode', 'closed', '--concurrency', 1, '--timeout-s', 120];
          await measured({
            tool: tools.load,
            args: loadArgs(url, body, anthropicHeaders, [
              ...common,
              '--requests',
              warmup,
              '--duration-s',
              suite.s1.maxSeconds / 4,
            ]),
            cpu,
            pids: [],
          });
          const { result, armCpuUs, background, contaminated } = await measured({
            tool: tools.load,
            args: loadArgs(url, body, anthropicHeaders, [
              ...common,
              '--requests',
              requests,
              // A slow arm (the Node peer at megabyte bodies) gets fewer requests, not more time.
              '--duration-s',
              suite.s1.maxSeconds,
            ]),
            cpu,
            pids: arm.pids(),
            ownPids: [...arm.pids(), mock.pid],
          });
          const failed = errorCount(result);
          return {
            p50: result.latency_us.p50,
            p90: result.latency_us.p90,
            p99: result.latency_us.p99,
            max: result.latency_us.max,
            ok: result.ok,
            errors: failed,
            cpuUsPerRequest: result.ok ? armCpuUs / result.ok : null,
            background,
            contaminated,
          };
        },
      });
      const { rounds, dropped } = usableRounds(runs);
      const arm = {};
      for (const name of Object.keys(runs)) {
        arm[name] = {
          p50: medianOf(runs[name], rounds, (r) => r.p50),
          p99: medianOf(runs[name], rounds, (r) => r.p99),
          errors: runs[name].reduce((a, r) => a + r.errors, 0),
          requests: runs[name].reduce((a, r) => a + r.ok, 0),
          cpuUsPerRequest: name === 'direct' ? null : medianOf(runs[name], rounds, (r) => r.cpuUsPerRequest),
        };
        if (name !== 'direct')
          arm[name].added = {
            p50: addedOver(runs, name, rounds, (r) => r.p50),
            p90: addedOver(runs, name, rounds, (r) => r.p90),
            p99: addedOver(runs, name, rounds, (r) => r.p99),
          };
      }
      points.push({ kb, bytes: fs.statSync(body).size, droppedRounds: dropped, arms: arm, runs });
    }
  });
  return { id, title, placement: 'all processes on the quieter vCPU', points, slopes: slopes(points) };
}

// µs per KB of request body, by least squares over the sizes: added p50 and CPU per request.
function slopes(points) {
  const result = {};
  const names = Object.keys(points[0]?.arms ?? {}).filter((name) => name !== 'direct');
  for (const name of names) {
    const usable = points.filter((p) => p.arms[name]?.added?.p50.median !== null && p.arms[name]);
    result[name] = {
      addedP50UsPerKb: round2(
        slope(
          usable.map((p) => p.kb),
          usable.map((p) => p.arms[name].added.p50.median),
        ),
      ),
      cpuUsPerKb: round2(
        slope(
          usable.map((p) => p.kb),
          usable.map((p) => p.arms[name].cpuUsPerRequest.median),
        ),
      ),
    };
  }
  return result;
}

const round2 = (value) => (value === null ? null : Math.round(value * 100) / 100);
