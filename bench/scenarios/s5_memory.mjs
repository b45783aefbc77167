// S5 — memory. Each arm fresh: RSS at idle; RSS with K idle open streams (the mock sends one
// delta, then holds); RSS after they close; RSS across repeated open/close cycles. The arm on
// vCPU 1, the mock and the load client on vCPU 0. Memory is the arm's processes' RSS summed.

import { anthropicBody, anthropicHeaders, directive, writeBody } from '../lib/bodies.mjs';
import { startArms, startMock, stopAll } from '../lib/arms.mjs';
import { measured } from '../lib/measure.mjs';
import { memoryKiB, rssKiBOf } from '../lib/procfs.mjs';
import { runTool } from '../lib/process.mjs';
import { slope, sleep } from '../lib/stats.mjs';
import { loadArgs } from '../lib/tools.mjs';

export const id = 'S5';
export const title = 'Memory: idle, per idle open stream, after close, across cycles';

const settleMs = 1000;

// Holds `streams` streams open through `arm`; returns the arm's RSS while they are held.
async function holdStreams(tools, arm, body, streams) {
  let heldRss = null;
  let held = null;
  let threadsAndFds = null;
  const result = await runTool({
    command: tools.load,
    args: loadArgs(`${arm.url}/v1/messages`, body, anthropicHeaders, [
      '--mode',
      'hold',
      '--concurrency',
      streams,
      '--sse',
      '--hold-s',
      600,
    ]),
    cpu: 0,
    onLine: async (line, child) => {
      if (line.held === undefined) return;
      held = line;
      await sleep(settleMs);
      heldRss = rssKiBOf(arm.pids());
      threadsAndFds = memoryKiB(arm.mainPid);
      child.stdin.end('\n');
    },
  });
  return {
    heldRss,
    held: held?.held ?? 0,
    failed: held?.failed ?? streams,
    threads: threadsAndFds?.threads,
    fds: threadsAndFds?.fds,
    result,
  };
}

export async function run({ tools, suite, workDir, log }) {
  const mock = await startMock(tools, 0);
  const holdBody = writeBody(
    workDir,
    's5.json',
    anthropicBody(1024, directive({ hold: 1, chunk_bytes: 16 }), { stream: true }),
  );
  const warmBody = writeBody(
    workDir,
    's5-warm.json',
    anthropicBody(1024, directive({ response_bytes: 512 })),
  );
  const arms = {};
  try {
    for (const name of suite.arms.filter((arm) => arm !== 'direct')) {
      const [arm] = await startArms([name], tools, mock, 1);
      if (!arm) continue;
      try {
        await sleep(settleMs);
        const idleRss = rssKiBOf(arm.pids());
        await measured({
          tool: tools.load,
          args: loadArgs(`${arm.url}/v1/messages`, warmBody, anthropicHeaders, [
            '--requests',
            200,
            '--duration-s',
            60,
          ]),
          cpu: 0,
          pids: [],
        });
        await sleep(settleMs);
        const warmRss = rssKiBOf(arm.pids());
        const perStream = [];
        for (const streams of suite.s5.streams) {
          log(`S5 ${name}: ${streams} idle streams`);
          const before = rssKiBOf(arm.pids());
          const hold = await holdStreams(tools, arm, holdBody, streams);
          await sleep(settleMs);
          const after = rssKiBOf(arm.pids());
          perStream.push({
            streams,
            held: hold.held,
            failed: hold.failed,
            rssBeforeKiB: before,
            rssHeldKiB: hold.heldRss,
            rssAfterKiB: after,
            kibPerStream: hold.held ? Math.round(((hold.heldRss - before) / hold.held) * 10) / 10 : null,
            threads: hold.threads,
            fds: hold.fds,
          });
        }
        log(`S5 ${name}: ${suite.s5.cycles} open/close cycles of ${suite.s5.cycleStreams}`);
        const cycles = [];
        for (let i = 0; i < suite.s5.cycles; ++i) {
          const hold = await holdStreams(tools, arm, holdBody, suite.s5.cycleStreams);
          await sleep(200);
          cycles.push({ heldKiB: hold.heldRss, afterKiB: rssKiBOf(arm.pids()), failed: hold.failed });
        }
        await sleep(settleMs);
        const finalRss = rssKiBOf(arm.pids());
        const afterRss = cycles.map((c) => c.afterKiB);
        arms[name] = {
          version: arm.version,
          idleRssKiB: idleRss,
          warmRssKiB: warmRss,
          perStream,
          cycles,
          finalRssKiB: finalRss,
          // How far above idle the arm stays after every stream closed (cold idle, and idle after
          // the warm-up requests).
          afterCloseVsIdlePct: Math.round(((finalRss - idleRss) / idleRss) * 1000) / 10,
          afterCloseVsWarmPct: Math.round(((finalRss - warmRss) / warmRss) * 1000) / 10,
          growthKiBPerCycle:
            Math.round(
              (slope(
                afterRss.map((_, i) => i),
                afterRss,
              ) ?? 0) * 10,
            ) / 10,
        };
      } finally {
        await arm.stop();
      }
    }
  } finally {
    await mock.stop();
  }
  return { id, title, placement: 'arm on vCPU 1; mock and load client on vCPU 0', arms };
}
