// S6 — the gateway lane: OpenAI Chat Completions served through ccgate by a stub Claude Code
// CLI (ccgate-bench-fake-claude: the real CLI's lines and MCP calls, at set pacing, costing
// next to nothing), to measure ccgate's own cost — a CLI line to an SSE chunk in the client's
// hands, a tool result's trip through MCP, memory per idle session (ccgate alone, not the CLI)
// — and one run with the real CLI for the time to first token a user sees.

import fs from 'node:fs';
import { directive, writeBody } from '../lib/bodies.mjs';
import { rootDir, startCcgate, startMock } from '../lib/arms.mjs';
import { measured } from '../lib/measure.mjs';
import { cpuUs, memoryKiB } from '../lib/procfs.mjs';
import { runTool } from '../lib/process.mjs';
import { sleep } from '../lib/stats.mjs';
import { loadArgs } from '../lib/tools.mjs';

export const id = 'S6';
export const title = 'Gateway lane: ccgate around the Claude Code CLI';

const gatewayEnv = (tools) => ({
  CLAUDE_CODE_PATH: tools.fakeClaude,
  MAX_SESSIONS: '5000',
  SESSION_IDLE_TIMEOUT: '3600',
});

async function gatewayRun(tools, ccgate, args, onLine) {
  const before = cpuUs(ccgate.mainPid);
  const result = await runTool({
    command: tools.gateway,
    args: ['--url', ccgate.url, ...args.map(String)],
    onLine,
  });
  return { result, ccgateCpuUs: cpuUs(ccgate.mainPid) - before };
}

async function idleSessions(tools, ccgate, sessions) {
  const before = memoryKiB(ccgate.mainPid).rss;
  let during = null;
  let opened = 0;
  await gatewayRun(
    tools,
    ccgate,
    ['--mode', 'idle', '--sessions', sessions, '--timeout-s', 120],
    async (line, child) => {
      if (line.idle_sessions === undefined) return;
      opened = line.idle_sessions;
      await sleep(1000);
      during = memoryKiB(ccgate.mainPid).rss;
      child.stdin.end('\n');
    },
  );
  return {
    sessions: opened,
    rssBeforeKiB: before,
    rssDuringKiB: during,
    kibPerSession: opened ? Math.round(((during - before) / opened) * 10) / 10 : null,
  };
}

// spares: SPARE_SESSIONS. With one, each new conversation after the first adopts a Claude Code
// started ahead; with none (the default) each starts its own.
async function realCliTtft(tools, mock, suite, workDir, log, spares) {
  const cli = `${rootDir}/tests/e2e/node_modules/.bin/claude`;
  if (!fs.existsSync(cli)) return { skipped: `the real CLI is not installed (${cli})` };
  log(`S6: real Claude Code CLI, time to first token, SPARE_SESSIONS=${spares}`);
  const ccgate = await startCcgate(tools, mock, undefined, {
    CLAUDE_CODE_PATH: cli,
    CLAUDE_CODE_BASE_URL: mock.url,
    CLAUDE_CODE_API_KEY: 'bench-cli-key',
    MAX_SESSIONS: '64',
    SPARE_SESSIONS: String(spares),
  });
  try {
    const body = JSON.stringify({
      model: 'sonnet',
      stream: true,
      messages: [
        {
          role: 'user',
          content: `${directive({ chunks: 16, interval_ms: 20, chunk_bytes: 16 })} Say hello.`,
        },
      ],
    });
    const file = writeBody(workDir, 's6-real.json', body);
    const args = ['--mode', 'closed', '--concurrency', 1, '--sse', '--duration-s', 300, '--timeout-s', 120];
    const { result } = await measured({
      tool: tools.load,
      args: loadArgs(
        `${ccgate.url}/v1/chat/completions`,
        file,
        [],
        [...args, '--requests', suite.s6.realCliRequests],
      ),
      pids: [],
    });
    const version = JSON.parse(
      fs.readFileSync(`${rootDir}/tests/e2e/node_modules/@anthropic-ai/claude-code/package.json`, 'utf8'),
    ).version;
    return {
      cliVersion: version,
      requests: result.ok,
      errors: result.errors,
      ttftMs: { p50: result.sse.ttft_us.p50 / 1000, max: result.sse.ttft_us.max / 1000 },
      ttfbMs: { p50: result.sse.ttfb_us.p50 / 1000 },
      totalMs: { p50: result.latency_us.p50 / 1000 },
    };
  } finally {
    await ccgate.stop();
  }
}

export async function run({ tools, suite, workDir, log }) {
  const mock = await startMock(tools, undefined);
  const result = { id, title, placement: 'unpinned (the CLI processes are ccgate children)' };
  try {
    const ccgate = await startCcgate(tools, mock, undefined, gatewayEnv(tools));
    try {
      const { lines, intervalUs, turns } = suite.s6;
      log(`S6: ${turns} turns of ${lines} lines, one session at a time`);
      const turn = await gatewayRun(tools, ccgate, [
        '--mode',
        'turn',
        '--sessions',
        1,
        '--turns',
        turns,
        '--lines',
        lines,
        '--interval-us',
        intervalUs,
        '--warmup',
        2,
      ]);
      result.turn = {
        lines,
        intervalUs,
        ...pick(turn.result, ['ok', 'errors', 'lost', 'line_to_client_us', 'ttft_us', 'turn_us']),
        ccgateCpuUsPerTurn: Math.round(turn.ccgateCpuUs / (turns + 2)),
        ccgateCpuUsPerLine: Math.round((turn.ccgateCpuUs / ((turns + 2) * lines)) * 10) / 10,
      };
      log(`S6: ${suite.s6.parallelSessions} sessions in parallel`);
      const parallel = await gatewayRun(tools, ccgate, [
        '--mode',
        'turn',
        '--sessions',
        suite.s6.parallelSessions,
        '--turns',
        suite.s6.parallelTurns,
        '--lines',
        lines,
        '--interval-us',
        intervalUs,
        '--warmup',
        1,
      ]);
      result.parallel = {
        sessions: suite.s6.parallelSessions,
        ...pick(parallel.result, [
          'ok',
          'errors',
          'lost',
          'elapsed_s',
          'line_to_client_us',
          'ttft_us',
          'turn_us',
        ]),
      };
      log(`S6: ${suite.s6.toolRounds} tool round trips`);
      const tool = await gatewayRun(tools, ccgate, [
        '--mode',
        'tool',
        '--sessions',
        1,
        '--turns',
        suite.s6.toolRounds,
        '--warmup',
        2,
      ]);
      result.tool = pick(tool.result, [
        'ok',
        'errors',
        'mcp_round_trip_us',
        'tool_call_us',
        'tool_result_us',
      ]);
    } finally {
      await ccgate.stop();
    }
    // A fresh ccgate, so the sessions above (still idle, kept for follow-ups) do not count.
    const fresh = await startCcgate(tools, mock, undefined, gatewayEnv(tools));
    try {
      await gatewayRun(tools, fresh, [
        '--mode',
        'turn',
        '--sessions',
        1,
        '--turns',
        2,
        '--lines',
        8,
        '--warmup',
        0,
      ]);
      log(`S6: ${suite.s6.idleSessions} idle sessions`);
      result.idle = await idleSessions(tools, fresh, suite.s6.idleSessions);
    } finally {
      await fresh.stop();
    }
    result.realCli = await realCliTtft(tools, mock, suite, workDir, log, 1);
    result.realCliWithoutSpares = await realCliTtft(tools, mock, suite, workDir, log, 0);
  } finally {
    await mock.stop();
  }
  return result;
}

const pick = (object, keys) =>
  Object.fromEntries(keys.filter((key) => key in object).map((key) => [key, object[key]]));
