// The targets, each checked against figures of one run (ratios against arms of the
// same run wherever the target is a ratio).

import { ratio } from './summary.mjs';

const at = (object, path) =>
  path
    .split('.')
    .reduce((value, key) => (value === undefined || value === null ? undefined : value[key]), object) ?? null;

function check(name, value, limit, { unit = '', reference = '', higherIsBetter = false } = {}) {
  const met = value === null || limit === null ? null : higherIsBetter ? value >= limit : value <= limit;
  return { name, value, limit, unit, reference, met };
}

// The steady closed-loop point with the highest concurrency: how many upstream connections
// ccgate opened there, against the concurrency (the worst mock delay counts).
function upstreamChurn(points) {
  const opened = (p) => p.arms?.ccgate?.upstreamConnections?.median ?? null;
  const steady = (points ?? []).filter((p) => p.kind === 'closed' && opened(p) !== null);
  if (steady.length === 0) return null;
  const c = Math.max(...steady.map((p) => p.c));
  const worst = steady.filter((p) => p.c === c).sort((a, b) => opened(b) - opened(a))[0];
  return { c, opened: opened(worst), delayMs: worst.delayMs, ratio: Math.round((opened(worst) / c) * 100) / 100 };
}

export function evaluateTargets(scenarios) {
  const s1 = scenarios.S1?.points?.find((p) => p.kb === 1)?.arms;
  const s3 = scenarios.S3?.arms;
  const s4 = scenarios.S4?.single?.arms;
  const s5 = scenarios.S5?.arms;
  const s2 = scenarios.S2?.frontier;
  const s6 = scenarios.S6;
  const targets = [];
  if (s1) {
    const gw = at(s1, 'ccgate.added.p50.median');
    const ng = at(s1, 'nginx.added.p50.median');
    targets.push(
      check('S1 1 KB c=1: added p50 ÷ nginx added p50', ratio(gw, ng), 1.5, {
        reference: `ccgate +${gw} µs, nginx +${ng} µs`,
      }),
    );
    const gw99 = at(s1, 'ccgate.added.p99.median');
    const ng99 = at(s1, 'nginx.added.p99.median');
    targets.push(
      check('S1 1 KB c=1: added p99 ÷ nginx added p99', ratio(gw99, ng99), 2, {
        reference: `ccgate +${gw99} µs, nginx +${ng99} µs`,
      }),
    );
    const gwCpu = at(s1, 'ccgate.cpuUsPerRequest.median');
    const ngCpu = at(s1, 'nginx.cpuUsPerRequest.median');
    targets.push(
      check('S1 1 KB: CPU per request ÷ nginx CPU per request', ratio(gwCpu, ngCpu), 2, {
        reference: `ccgate ${gwCpu} µs, nginx ${ngCpu} µs`,
      }),
    );
    const ccr99 = at(s1, 'ccr.added.p99.median');
    if (ccr99 !== null)
      targets.push(
        check('S1 1 KB c=1: added p99 ÷ claude-code-router added p99', ratio(gw99, ccr99), 0.05, {
          reference: `ccgate +${gw99} µs, ccr +${ccr99} µs`,
        }),
      );
  }
  const slopes = scenarios.S1?.slopes;
  if (slopes?.ccgate) {
    const above =
      slopes.ccgate.addedP50UsPerKb !== null && slopes.nginx?.addedP50UsPerKb !== null
        ? Math.round((slopes.ccgate.addedP50UsPerKb - (slopes.nginx?.addedP50UsPerKb ?? 0)) * 100) / 100
        : null;
    targets.push(
      check('S1: translation slope above pass-through (µs per KB)', above, 3, {
        unit: 'µs/KB',
        reference: `ccgate ${slopes.ccgate.addedP50UsPerKb} µs/KB added p50 (CPU ${slopes.ccgate.cpuUsPerKb} µs/KB), nginx ${slopes.nginx?.addedP50UsPerKb} µs/KB`,
      }),
    );
  }
  if (s3) {
    const gw = at(s3, 'ccgate.added.ttft.median');
    const ng = at(s3, 'nginx.added.ttft.median');
    targets.push(
      check('S3: added time to first delta ÷ nginx', ratio(gw, ng), 2, {
        reference: `ccgate +${gw} µs, nginx +${ng} µs`,
      }),
    );
  }
  if (s4) {
    targets.push(
      check('S4a: CPU-µs per translated event', at(s4, 'ccgate.cpuUsPerEvent.median'), 5, {
        unit: 'µs',
        reference: `nginx ${at(s4, 'nginx.cpuUsPerEvent.median')} µs per event`,
      }),
    );
    targets.push(
      check('S4a: one stream, events per second', at(s4, 'ccgate.eventsPerSecond.median'), 100000, {
        higherIsBetter: true,
        reference: `direct (mock ceiling) ${at(s4, 'direct.eventsPerSecond.median')}, nginx ${at(s4, 'nginx.eventsPerSecond.median')}`,
      }),
    );
  }
  if (s5?.ccgate) {
    const largest = (arm) => arm?.perStream?.filter((p) => p.failed === 0).at(-1);
    const gw = largest(s5.ccgate);
    const ng = largest(s5.nginx);
    if (gw && ng && gw.streams === ng.streams)
      targets.push(
        check(
          `S5: ΔRSS per idle stream ÷ nginx (${gw.streams} streams)`,
          ratio(gw.kibPerStream, ng.kibPerStream),
          1.25,
          { reference: `ccgate ${gw.kibPerStream} KiB, nginx ${ng.kibPerStream} KiB` },
        ),
      );
    targets.push(
      check('S5: idle RSS (MiB)', Math.round((s5.ccgate.idleRssKiB / 1024) * 10) / 10, 16, { unit: 'MiB' }),
    );
    targets.push(
      check('S5: RSS after the streams close, above idle (%)', s5.ccgate.afterCloseVsIdlePct, 10, {
        unit: '%',
        reference: `above idle after warm-up: ${s5.ccgate.afterCloseVsWarmPct}%`,
      }),
    );
    const limit = Math.round(s5.ccgate.warmRssKiB * 0.01 * 10) / 10;
    targets.push(
      check(
        'S5: RSS growth per open/close cycle (KiB; limit 1% of idle)',
        s5.ccgate.growthKiBPerCycle,
        limit,
        { unit: 'KiB' },
      ),
    );
  }
  if (s2?.ccgate && s2?.ccr) {
    const gw = s2.ccgate.delay0_p99lt10ms;
    const peer = s2.ccr.delay0_p99lt10ms;
    const target = check('S2: RPS per vCPU at p99 < 10 ms ÷ claude-code-router', ratio(gw, peer), 30, {
      higherIsBetter: true,
      reference: `ccgate ${gw} RPS, ccr ${peer} RPS`,
    });
    // A peer that never gets under 10 ms at any load is behind by more than any ratio.
    if (peer === 0 && gw > 0) {
      target.met = true;
      target.reference += ' (the peer never reaches p99 < 10 ms, not even at c=1)';
    }
    targets.push(target);
  }
  const churn = upstreamChurn(scenarios.S2?.points);
  if (churn)
    targets.push(
      check(`S2: upstream connections opened ÷ concurrency (c=${churn.c})`, churn.ratio, 1.2, {
        reference: `${churn.opened} connections opened during the run (mock delay ${churn.delayMs} ms)`,
      }),
    );
  if (s6?.turn)
    targets.push(
      check('S6: CLI line → SSE chunk at the client, p50 (µs)', at(s6, 'turn.line_to_client_us.p50'), 100, {
        unit: 'µs',
        reference: `CPU ${s6.turn.ccgateCpuUsPerLine} µs per line`,
      }),
    );
  if (s6?.tool)
    targets.push(
      check('S6: MCP tool round trip through ccgate, p50 (µs)', at(s6, 'tool.mcp_round_trip_us.p50'), 1000, {
        unit: 'µs',
      }),
    );
  if (s6?.realCli?.ttftMs)
    targets.push(
      // Half of round one's 832 ms (issue 10).
      check('S6: real CLI, time to first token of a new conversation, p50 (ms)', s6.realCli.ttftMs.p50, 416, {
        unit: 'ms',
        reference: `${s6.realCli.requests} requests, the first starting its own CLI; SPARE_SESSIONS=1; Claude Code ${s6.realCli.cliVersion}`,
      }),
    );
  if (s6?.idle)
    targets.push(
      check('S6: ccgate memory per idle session (KiB)', s6.idle.kibPerSession, 256, { unit: 'KiB' }),
    );
  return targets;
}
