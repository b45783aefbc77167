// The markdown summary of one run's results.

import { ratio } from './summary.mjs';

const f = (value, digits = 1) =>
  value === null || value === undefined || Number.isNaN(value)
    ? '–'
    : typeof value === 'number'
      ? value.toLocaleString('en-US', { maximumFractionDigits: digits })
      : String(value);
const signed = (value) =>
  value === null || value === undefined ? '–' : `${value >= 0 ? '+' : ''}${f(value)}`;
const table = (head, rows) =>
  [
    `| ${head.join(' | ')} |`,
    `|${head.map(() => '---').join('|')}|`,
    ...rows.map((row) => `| ${row.join(' | ')} |`),
  ].join('\n');
// Other builds' ccgate (ccgate-gcc12…, from --compare-build) come right after ccgate, in the
// order the scenario ran them (a stable sort).
const armRank = (name) => ['direct', 'nginx', 'ccgate', 'ccr'].indexOf(name.split('-')[0]);
const armOrder = (arms) =>
  Object.keys(arms)
    .filter((name) => armRank(name) >= 0)
    .sort((a, b) => armRank(a) - armRank(b));

function targetsSection(targets) {
  const rows = targets.map((t) => [
    t.name,
    f(t.value, 2),
    `${t.limit === null ? '–' : (t.name.includes('events per second') || (t.name.includes('÷ claude-code-router') && t.name.startsWith('S2')) ? '≥ ' : '≤ ') + f(t.limit, 2)}`,
    t.met === null ? 'n/a' : t.met ? 'met' : '**missed**',
    t.reference,
  ]);
  return `## Targets\n\n${table(['target', 'ccgate', 'limit', '', 'figures'], rows)}`;
}

function s1Section(s1) {
  const rows = [];
  for (const point of s1.points)
    for (const name of armOrder(point.arms)) {
      const a = point.arms[name];
      rows.push([
        `${point.kb} KB`,
        name,
        f(a.p50.median),
        f(a.p99.median),
        name === 'direct' ? '' : signed(a.added.p50.median),
        name === 'direct' ? '' : signed(a.added.p90.median),
        name === 'direct' ? '' : signed(a.added.p99.median),
        f(a.cpuUsPerRequest?.median),
        f(a.requests, 0),
        f(a.errors, 0),
      ]);
    }
  const slopes = Object.entries(s1.slopes)
    .map(([name, s]) => `${name} ${f(s.addedP50UsPerKb, 2)} µs/KB added p50, ${f(s.cpuUsPerKb, 2)} CPU-µs/KB`)
    .join('; ');
  return `## S1 — ${s1.title}\n\n${s1.placement}. Latencies in µs; added = arm − direct in the same round, median over rounds.\n\n${table(['body', 'arm', 'p50', 'p99', 'added p50', 'added p90', 'added p99', 'CPU-µs/req', 'requests', 'errors'], rows)}\n\nSlopes: ${slopes}.`;
}

function s2Section(s2) {
  const rows = [];
  for (const point of s2.points)
    for (const name of armOrder(point.arms)) {
      const a = point.arms[name];
      const direct = point.arms.direct?.rps.median;
      const rigBound = name !== 'direct' && direct && a.rps.median >= 0.9 * direct ? ' (rig-bound)' : '';
      rows.push([
        `${point.delayMs} ms`,
        point.kind === 'closed' ? `c=${point.c}` : `${f(point.rate, 0)} rps`,
        name,
        f(a.rps.median, 0) + rigBound,
        f(a.p50.median),
        f(a.p99.median),
        f(a.errors, 0),
        f(a.cpuUsPerRequest.median),
        f(a.armCpuShare.median, 2),
        f(a.upstreamConnections.median, 0),
      ]);
    }
  const frontier = Object.entries(s2.frontier).map(([name, slots]) => [
    name,
    ...['delay0_p99lt1ms', 'delay0_p99lt10ms', 'delay0_p99lt50ms', 'delay20_p99lt50ms'].map((slot) =>
      f(slots[slot], 0),
    ),
  ]);
  return `## S2 — ${s2.title}\n\n${s2.placement}. Latencies in µs. "arm CPU" is the arm's share of its vCPU.\n\n${table(['mock delay', 'load', 'arm', 'RPS', 'p50', 'p99', 'errors', 'CPU-µs/req', 'arm CPU', 'upstream conns'], rows)}\n\nRPS per vCPU with no errors and p99 under a bound:\n\n${table(['arm', 'delay 0, p99 < 1 ms', 'delay 0, p99 < 10 ms', 'delay 0, p99 < 50 ms', 'delay 20 ms, p99 < 50 ms'], frontier)}`;
}

function s3Section(s3) {
  const rows = armOrder(s3.arms).map((name) => {
    const a = s3.arms[name];
    const fid = a.fidelity;
    return [
      name,
      f(a.ttfb.median),
      f(a.ttft.median),
      name === 'direct' ? '' : signed(a.added.ttfb.median),
      name === 'direct' ? '' : signed(a.added.ttft.median),
      f(a.gapP50.median),
      f(a.gapP99.median),
      name === 'direct' ? '' : `${signed(a.added.gapP50.median)} / ${signed(a.added.gapP99.median)}`,
      f(a.eventsPerRead.median, 2),
      `${fid.events}/${fid.streams} streams, lost ${fid.lost}, order ${fid.orderViolations}, no end ${fid.missingTerminator}`,
    ];
  });
  return `## S3 — ${s3.title}\n\n${s3.placement}. µs; medians over rounds.\n\n${table(['arm', 'TTFB', 'TTFT', 'added TTFB', 'added TTFT', 'gap p50', 'gap p99', 'added gap p50 / p99', 'events per read', 'fidelity'], rows)}`;
}

function s4Section(s4) {
  const single = armOrder(s4.single.arms).map((name) => {
    const a = s4.single.arms[name];
    return [
      name,
      f(a.eventsPerSecond.median, 0),
      f(a.cpuUsPerEvent?.median, 2),
      f(a.gapP99.median),
      f(a.lost, 0),
    ];
  });
  const concurrent = [];
  for (const point of s4.concurrent.points)
    for (const name of armOrder(point.arms)) {
      const a = point.arms[name];
      concurrent.push([
        f(point.streams, 0),
        name,
        f(a.completeStreams, 0),
        f(a.lost, 0),
        f(a.gapP99),
        f(a.eventsPerSecond, 0),
        f(a.cpuUsPerEvent, 2),
        a.pass ? 'yes' : 'no',
      ]);
    }
  return `## S4 — ${s4.title}\n\n${s4.placement}.\n\n(a) one stream of ${f(s4.single.events, 0)} unpaced events:\n\n${table(['arm', 'events/s', 'CPU-µs/event', 'gap p99 µs', 'lost'], single)}\n\n(b) concurrent streams, ${s4.concurrent.events} events × ${s4.concurrent.pacingMs} ms:\n\n${table(['streams', 'arm', 'complete', 'lost', 'gap p99 µs', 'events/s', 'CPU-µs/event', 'pass'], concurrent)}`;
}

function s5Section(s5) {
  const rows = [];
  for (const name of armOrder(s5.arms)) {
    const a = s5.arms[name];
    for (const p of a.perStream)
      rows.push([
        name,
        f(a.idleRssKiB / 1024),
        f(p.streams, 0),
        `${p.held}${p.failed ? ` (${p.failed} failed)` : ''}`,
        f(p.rssHeldKiB / 1024),
        f(p.kibPerStream),
        f(p.rssAfterKiB / 1024),
      ]);
  }
  const cycles = armOrder(s5.arms).map((name) => {
    const a = s5.arms[name];
    return [
      name,
      f(a.warmRssKiB / 1024),
      f(a.finalRssKiB / 1024),
      `${signed(a.afterCloseVsIdlePct)}% / ${signed(a.afterCloseVsWarmPct)}%`,
      signed(a.growthKiBPerCycle),
    ];
  });
  return `## S5 — ${s5.title}\n\n${s5.placement}. MiB unless marked.\n\n${table(['arm', 'idle RSS', 'streams', 'held', 'RSS held', 'KiB per stream', 'RSS after close'], rows)}\n\n${table(['arm', 'RSS after warm-up', 'RSS after all cycles', 'vs idle / vs warm', 'KiB per cycle'], cycles)}`;
}

function s6Section(s6) {
  const s = (summary) => (summary ? `${f(summary.p50)} / ${f(summary.p99)}` : '–');
  const rows = [
    [
      'CLI line → SSE chunk at the client (p50 / p99 µs)',
      `${s(s6.turn?.line_to_client_us)}`,
      `${s6.turn?.lines} lines × ${s6.turn?.intervalUs} µs, ${s6.turn?.ok} turns`,
    ],
    [
      'ccgate CPU per line / per turn (µs)',
      `${f(s6.turn?.ccgateCpuUsPerLine)} / ${f(s6.turn?.ccgateCpuUsPerTurn, 0)}`,
      'a turn includes starting and ending the CLI session',
    ],
    [
      'time to first token, stub CLI (p50 / p99 µs)',
      s(s6.turn?.ttft_us),
      'request in → first delta out, CLI start included',
    ],
    [
      `${s6.parallel?.sessions} sessions in parallel: line → chunk (p50 / p99 µs)`,
      s(s6.parallel?.line_to_client_us),
      `${s6.parallel?.ok} turns, lost ${s6.parallel?.lost ?? 0}`,
    ],
    [
      'MCP tool round trip through ccgate (p50 / p99 µs)',
      s(s6.tool?.mcp_round_trip_us),
      'client tool-result request in → MCP result out',
    ],
    [
      'tool-call request / tool-result request (p50 µs)',
      `${f(s6.tool?.tool_call_us?.p50)} / ${f(s6.tool?.tool_result_us?.p50)}`,
      '',
    ],
    [
      'ccgate memory per idle session (KiB)',
      f(s6.idle?.kibPerSession),
      `${s6.idle?.sessions} sessions, CLI processes excluded`,
    ],
    ...[
      ['real CLI: time to first token (p50 ms), SPARE_SESSIONS=1', s6.realCli],
      ['real CLI: time to first token (p50 ms), no spares (the default)', s6.realCliWithoutSpares],
    ].map(([measure, run]) => [
      measure,
      run?.ttftMs ? f(run.ttftMs.p50) : (run?.skipped ?? '–'),
      run?.cliVersion ? `Claude Code ${run.cliVersion}, ${run.requests} requests, max ${f(run.ttftMs.max)} ms` : '',
    ]),
  ];
  return `## S6 — ${s6.title}\n\n${s6.placement}.\n\n${table(['measure', 'value', 'notes'], rows)}`;
}

// Issue 9's comparison, side by side: each --compare-build arm against ccgate in S1 (the smallest
// body) and S4a, from the same rounds as the tables below.
function buildsSection(results) {
  const others = Object.keys(results.versions).filter((name) => name.startsWith('ccgate-'));
  const s1 = results.scenarios.S1?.points?.[0];
  const s4 = results.scenarios.S4?.single?.arms;
  const measures = [
    ...(s1
      ? [
          [`S1 ${s1.kb} KB c=1: added p50 (µs)`, (name) => s1.arms[name]?.added?.p50.median],
          [`S1 ${s1.kb} KB c=1: added p99 (µs)`, (name) => s1.arms[name]?.added?.p99.median],
          [`S1 ${s1.kb} KB: CPU-µs per request`, (name) => s1.arms[name]?.cpuUsPerRequest?.median],
          ['S1: CPU-µs per KB of body (slope)', (name) => results.scenarios.S1.slopes[name]?.cpuUsPerKb],
        ]
      : []),
    ...(s4
      ? [
          ['S4a: events per second, one stream', (name) => s4[name]?.eventsPerSecond.median],
          ['S4a: CPU-µs per event', (name) => s4[name]?.cpuUsPerEvent?.median],
        ]
      : []),
  ];
  if (!others.length || !measures.length) return null;
  const figure = (value) => f(value, value >= 1000 ? 0 : 2);
  const rows = measures.map(([label, value]) => [
    label,
    figure(value('ccgate')),
    ...others.flatMap((name) => [figure(value(name)), f(ratio(value(name) ?? null, value('ccgate') ?? null), 2)]),
  ]);
  const head = ['measure', 'ccgate', ...others.flatMap((name) => [name, `${name} ÷ ccgate`])];
  const builds = ['ccgate', ...others].map((name) => `${name}: ${results.versions[name]}`).join('; ');
  return `## Builds compared\n\n${builds}. The same settings in the same shuffled rounds; medians over rounds.\n\n${table(head, rows)}`;
}

const sections = { S1: s1Section, S2: s2Section, S3: s3Section, S4: s4Section, S5: s5Section, S6: s6Section };

// charts: [{ id, title, file }] from drawCharts, linked under their scenario's section.
export function markdown(results, charts = []) {
  const head = [
    `# ccgate benchmark — ${results.runId} (${results.suite} suite)`,
    '',
    `Command: \`${results.command}\`. Machine: ${results.machine.cpus} vCPU ${results.machine.model}, Linux ${results.machine.kernel}; ${results.machine.network}. Wall time ${f(results.wallS, 0)} s.`,
    '',
    `Arms: ${Object.entries(results.versions)
      .map(([name, version]) => `${name} = ${version}`)
      .join('; ')}.`,
  ];
  const pictures = (id) =>
    charts.filter((chart) => chart.id === id).map((chart) => `\n\n![${chart.title}](${chart.file})`).join('');
  const body = Object.entries(results.scenarios).map(([id, scenario]) =>
    scenario.error ? `## ${id}\n\nFailed: ${scenario.error}` : sections[id](scenario) + pictures(id),
  );
  const builds = buildsSection(results);
  return [
    ...head,
    '',
    targetsSection(results.targets),
    '',
    ...(builds ? [builds, ''] : []),
    ...body.flatMap((section) => [section, '']),
  ].join('\n');
}
