// S3 — streaming at c=1: 64 deltas × 20 ms, 16-byte texts. What each arm adds to the time to
// headers and to the first delta, and to the gaps between deltas; whether every event arrives
// in order, and whether events arrive one per read (flushed one by one, not coalesced).

import { anthropicBody, anthropicHeaders, directive, writeBody } from '../lib/bodies.mjs';
import { withLane } from '../lib/arms.mjs';
import { interleaved, measured, errorCount } from '../lib/measure.mjs';
import { addedOver, medianOf, usableRounds } from '../lib/summary.mjs';
import { loadArgs } from '../lib/tools.mjs';

export const id = 'S3';
export const title = 'Streaming, c=1, 64 deltas × 20 ms, translation lane';

export async function run({ tools, suite, workDir, log }) {
  const chunks = 64;
  const body = writeBody(
    workDir,
    's3.json',
    anthropicBody(1024, directive({ chunks, interval_ms: 20, chunk_bytes: 16 }), { stream: true }),
  );
  log(`S3: ${suite.rounds} rounds × ${suite.arms.length} arms × ${suite.s3.streams} streams`);
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
        ];
        await measured({
          tool: tools.load,
          args: loadArgs(url, body, anthropicHeaders, [...common, '--requests', 1]),
          cpu,
          pids: [],
        });
        const { result, armCpuUs, background, contaminated } = await measured({
          tool: tools.load,
          args: loadArgs(url, body, anthropicHeaders, [...common, '--requests', suite.s3.streams]),
          cpu,
          pids: arm.pids(),
          ownPids: [...arm.pids(), mock.pid],
        });
        const sse = result.sse;
        return {
          ttfb: sse.ttfb_us.p50,
          ttft: sse.ttft_us.p50,
          ttftP99: sse.ttft_us.p99,
          gapP50: sse.gap_us.p50,
          gapP99: sse.gap_us.p99,
          events: sse.content_events,
          streams: sse.streams,
          lost: sse.lost_streams,
          orderViolations: sse.order_violations,
          missingTerminator: sse.missing_terminator,
          eventsPerRead: sse.events_per_read_mean,
          coalescedReads: sse.reads_with_multiple_events,
          errors: errorCount(result),
          cpuUsPerEvent: sse.content_events ? armCpuUs / sse.content_events : null,
          background,
          contaminated,
        };
      },
    }),
  );
  const { rounds, dropped } = usableRounds(runs);
  const arm = {};
  for (const [name, records] of Object.entries(runs)) {
    arm[name] = {
      ttfb: medianOf(records, rounds, (r) => r.ttfb),
      ttft: medianOf(records, rounds, (r) => r.ttft),
      gapP50: medianOf(records, rounds, (r) => r.gapP50),
      gapP99: medianOf(records, rounds, (r) => r.gapP99),
      eventsPerRead: medianOf(records, rounds, (r) => r.eventsPerRead),
      cpuUsPerEvent: name === 'direct' ? null : medianOf(records, rounds, (r) => r.cpuUsPerEvent),
      fidelity: {
        streams: records.reduce((a, r) => a + r.streams, 0),
        events: records.reduce((a, r) => a + r.events, 0),
        lost: records.reduce((a, r) => a + r.lost, 0),
        orderViolations: records.reduce((a, r) => a + r.orderViolations, 0),
        missingTerminator: records.reduce((a, r) => a + r.missingTerminator, 0),
        coalescedReads: records.reduce((a, r) => a + r.coalescedReads, 0),
        errors: records.reduce((a, r) => a + r.errors, 0),
      },
    };
    if (name !== 'direct')
      arm[name].added = {
        ttfb: addedOver(runs, name, rounds, (r) => r.ttfb),
        ttft: addedOver(runs, name, rounds, (r) => r.ttft),
        ttftP99: addedOver(runs, name, rounds, (r) => r.ttftP99),
        gapP50: addedOver(runs, name, rounds, (r) => r.gapP50),
        gapP99: addedOver(runs, name, rounds, (r) => r.gapP99),
      };
  }
  return {
    id,
    title,
    placement: 'all processes on the quieter vCPU',
    droppedRounds: dropped,
    arms: arm,
    runs,
  };
}
