// S4 — event throughput. (a) One stream with no pacing: events per second and CPU-µs per
// event, with all processes on the quieter vCPU. (b) Many concurrent streams at 20 ms pacing:
// how many an arm carries on one vCPU with no lost event and a p99 gap under twice the pacing.

import { anthropicBody, anthropicHeaders, directive, writeBody } from '../lib/bodies.mjs';
import { withLane } from '../lib/arms.mjs';
import { interleaved, measured, errorCount } from '../lib/measure.mjs';
import { medianOf, usableRounds } from '../lib/summary.mjs';
import { loadArgs } from '../lib/tools.mjs';

export const id = 'S4';
export const title = 'Event throughput: one unpaced stream; concurrent paced streams';

async function singleStream({ tools, suite, workDir, log }) {
  const chunks = suite.s4.events;
  const body = writeBody(
    workDir,
    's4a.json',
    anthropicBody(1024, directive({ chunks, interval_us: 0, chunk_bytes: 16 }), { stream: true }),
  );
  log(
    `S4a: ${suite.rounds} rounds × ${suite.arms.length} arms × ${suite.s4.singleStreams} streams of ${chunks} events`,
  );
  const runs = await withLane(tools, suite.arms, 0, ({ mock, arms, pinned }) =>
    interleaved({
      count: suite.rounds,
      arms,
      pinned,
      run: async (arm, cpu) => {
        const url = `${arm.url}/v1/messages`;
        const common = [
          '--mode',
          'closed',
          '--concurrency',
          1,
          '--sse',
          '--expect-events',
          chunks,
          '--duration-s',
          600,
          '--timeout-s',
          300,
        ];
        await measured({
          tool: tools.load,
          args: loadArgs(url, body, anthropicHeaders, [...common, '--requests', 1]),
          cpu,
          pids: [],
        });
        const { result, armCpuUs, background, contaminated } = await measured({
          tool: tools.load,
          args: loadArgs(url, body, anthropicHeaders, [...common, '--requests', suite.s4.singleStreams]),
          cpu,
          pids: arm.pids(),
          ownPids: [...arm.pids(), mock.pid],
        });
        return {
          eventsPerSecond: result.latency_us.p50 ? chunks / (result.latency_us.p50 / 1e6) : null,
          cpuUsPerEvent: result.sse.content_events ? armCpuUs / result.sse.content_events : null,
          gapP99: result.sse.gap_us.p99,
          lost: result.sse.lost_streams + errorCount(result),
          background,
          contaminated,
        };
      },
    }),
  );
  const { rounds } = usableRounds(runs);
  const arm = {};
  for (const [name, records] of Object.entries(runs))
    arm[name] = {
      eventsPerSecond: medianOf(records, rounds, (r) => r.eventsPerSecond),
      cpuUsPerEvent: name === 'direct' ? null : medianOf(records, rounds, (r) => r.cpuUsPerEvent),
      gapP99: medianOf(records, rounds, (r) => r.gapP99),
      lost: records.reduce((a, r) => a + r.lost, 0),
    };
  return { events: chunks, arms: arm, runs };
}

async function concurrentStreams({ tools, suite, workDir, log }) {
  const chunks = 64;
  const pacingMs = 20;
  const body = writeBody(
    workDir,
    's4b.json',
    anthropicBody(1024, directive({ chunks, interval_ms: pacingMs, chunk_bytes: 16 }), { stream: true }),
  );
  const points = [];
  await withLane(tools, suite.arms, 1, async ({ mock, arms }) => {
    for (const streams of suite.s4.concurrentStreams) {
      log(`S4b: ${streams} concurrent streams`);
      const runs = await interleaved({
        count: 1,
        arms,
        fixedCpu: 0,
        run: async (arm) => {
          const { result, armCpuUs } = await measured({
            tool: tools.load,
            args: loadArgs(`${arm.url}/v1/messages`, body, anthropicHeaders, [
              '--mode',
              'closed',
              '--concurrency',
              streams,
              '--requests',
              streams,
              '--sse',
              '--expect-events',
              chunks,
              '--duration-s',
              120,
              '--timeout-s',
              60,
            ]),
            cpu: 0,
            pids: arm.pids(),
            ownPids: [...arm.pids(), mock.pid],
          });
          return { result, armCpuUs };
        },
      });
      const arm = {};
      for (const [name, [{ result, armCpuUs }]] of Object.entries(runs)) {
        const sse = result.sse;
        const lost = sse.lost_streams + errorCount(result);
        arm[name] = {
          completeStreams: sse.streams - sse.lost_streams,
          lost,
          gapP99: sse.gap_us.p99,
          eventsPerSecond: Math.round(sse.content_events / result.elapsed_s),
          cpuUsPerEvent: name === 'direct' || !sse.content_events ? null : armCpuUs / sse.content_events,
          pass: lost === 0 && sse.gap_us.p99 < 2 * pacingMs * 1000,
        };
      }
      points.push({ streams, arms: arm });
    }
  });
  const best = {};
  for (const point of points)
    for (const [name, figures] of Object.entries(point.arms))
      if (figures.pass) best[name] = Math.max(best[name] ?? 0, point.streams);
  return { pacingMs, events: chunks, points, maxPassingStreams: best };
}

export async function run(context) {
  return {
    id,
    title,
    placement: '(a) all processes on the quieter vCPU; (b) arm on vCPU 1, mock and load client on vCPU 0',
    single: await singleStream(context),
    concurrent: await concurrentStreams(context),
  };
}
