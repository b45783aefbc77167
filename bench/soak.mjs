#!/usr/bin/env node
// The soak (issue 9): one ccgate under mixed load on both doors at once — proxy streams and
// non-streams through the C++ mock upstream, gateway turns and tool round trips through the
// stub Claude Code CLI — with faults injected at a steady rate. Every 10 s it samples ccgate's
// memory, descriptors by kind, threads, child processes, session temp dirs and the upstream
// connections the mock sees, with the requests per second and the failures by kind. It passes
// when every series is flat after warm-up, everything is let go once the load stops, every
// well-behaved request got the right answer and every fault a clear error (bench/lib/soak-*.mjs
// say how each is judged). It writes series.json, series.csv, chart.png and summary.md.
//
//   node bench/soak.mjs [--minutes 30] [--build build] [--rate 1] [--fault-rate 1]
//                       [--faults all|name,…] [--skip-faults name,…] [--sample-s 10]
//                       [--warmup-s N] [--no-netns]
//
// Runs of 30 minutes or more are kept in bench/results/soak-<run-id>/, shorter ones go to the
// ignored bench/results/tmp/.

import http from 'node:http';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { execFileSync } from 'node:child_process';
import { benchDir, rootDir, startCcgate, startMock, tempDir } from './lib/arms.mjs';
import { canUnshare, reexecInNetns } from './lib/netns.mjs';
import { faults } from './lib/soak-faults.mjs';
import { judgeRate, judgeRelease, judgeRequests, judgeSeries, seriesRules } from './lib/soak-judge.mjs';
import { writeAll } from './lib/soak-report.mjs';
import { cpuSeconds, readOnce } from './lib/soak-sampler.mjs';
import { lanes } from './lib/soak-traffic.mjs';
import { quantile, sleep } from './lib/stats.mjs';
import { benchTools } from './lib/tools.mjs';

const usage =
  'usage: node bench/soak.mjs [--minutes 30] [--build DIR] [--rate 1] [--fault-rate 1] [--faults all|a,b]\n' +
  '                           [--skip-faults a,b] [--sample-s 10] [--warmup-s N] [--no-netns]\n' +
  `faults: ${faults.map((f) => f.name).join(', ')}`;

function parseArgs(argv) {
  const options = {
    minutes: 30,
    build: path.join(rootDir, 'build'),
    rate: 1,
    faultRate: 1,
    faults: 'all',
    skipFaults: [],
    sampleS: 10,
    warmupS: null,
    netns: true,
    inNetns: false,
  };
  const number = (text, name) => {
    const value = Number(text);
    if (!Number.isFinite(value) || value < 0) throw new Error(`${name}: not a number: ${text}`);
    return value;
  };
  for (let i = 0; i < argv.length; ++i) {
    const arg = argv[i];
    if (arg === '--minutes') options.minutes = number(argv[++i], arg);
    else if (arg === '--build') options.build = path.resolve(argv[++i]);
    else if (arg === '--rate') options.rate = number(argv[++i], arg);
    else if (arg === '--fault-rate') options.faultRate = number(argv[++i], arg);
    else if (arg === '--faults') options.faults = argv[++i];
    else if (arg === '--skip-faults') options.skipFaults = argv[++i].split(',').filter(Boolean);
    else if (arg === '--sample-s') options.sampleS = Math.max(1, number(argv[++i], arg));
    else if (arg === '--warmup-s') options.warmupS = number(argv[++i], arg);
    else if (arg === '--no-netns') options.netns = false;
    else if (arg === '--in-netns') options.inNetns = true;
    else if (arg === '--help' || arg === '-h') {
      console.log(usage);
      process.exit(0);
    }
    else throw new Error(`unknown argument ${arg}`);
  }
  const known = new Set(faults.map((f) => f.name));
  const chosen = options.faults === 'all' ? [...known] : options.faults.split(',').filter(Boolean);
  for (const name of [...chosen, ...options.skipFaults])
    if (!known.has(name)) throw new Error(`unknown fault ${name}`);
  options.faultList = faults.filter((f) => chosen.includes(f.name) && !options.skipFaults.includes(f.name));
  options.warmupS ??= Math.min(300, Math.max(20, options.minutes * 60 * 0.2));
  return options;
}

// ccgate's limits in the soak: short, so that every fault ends within seconds and idle
// sessions come and go many times in a run. Issue 8's variables are set too (today's binary
// ignores a variable it does not know), so the soak holds ccgate to them once they land.
const settings = {
  requestTimeoutS: 3,
  idleTimeoutS: 3,
  maxRetries: 1,
  toolCallTimeoutS: 3,
  sessionIdleTimeoutS: 10,
  keepaliveS: 2,
  pingIntervalS: 1,
  writeTimeoutS: 5,
  turnTimeoutS: 10,
  headerTimeoutS: 5,
  bodyTimeoutS: 5,
  maxSessions: 128,
  maxConnections: 4096,
};

const keys = { proxy: 'soak-proxy-key', gateway: 'soak-gateway-key' };

function ccgateEnv(tools, mock, tmpDir) {
  return {
    THREADS: '', // the default: one event loop per core
    TMPDIR: tmpDir,
    ANTHROPIC_API_KEY: keys.proxy,
    GATEWAY_API_KEY: keys.gateway,
    CLAUDE_CODE_PATH: tools.fakeClaude,
    CLAUDE_CODE_BASE_URL: mock.url,
    CLAUDE_CODE_API_KEY: 'soak-cli-key',
    MAX_SESSIONS: String(settings.maxSessions),
    SESSION_IDLE_TIMEOUT: String(settings.sessionIdleTimeoutS),
    TOOL_CALL_TIMEOUT: String(settings.toolCallTimeoutS),
    GATEWAY_KEEPALIVE: String(settings.keepaliveS),
    REQUEST_TIMEOUT: String(settings.requestTimeoutS),
    IDLE_TIMEOUT: String(settings.idleTimeoutS),
    CONNECT_TIMEOUT: '2',
    MAX_RETRIES: String(settings.maxRetries),
    PING_INTERVAL: String(settings.pingIntervalS),
    // issue 8
    HOST: '127.0.0.1',
    WRITE_TIMEOUT: String(settings.writeTimeoutS),
    TURN_TIMEOUT: String(settings.turnTimeoutS),
    HEADER_TIMEOUT: String(settings.headerTimeoutS),
    BODY_TIMEOUT: String(settings.bodyTimeoutS),
    MAX_CONNECTIONS: String(settings.maxConnections),
  };
}

// Counts of one interval, or of the whole run.
function newCounts() {
  return { lanes: {}, faults: {}, ms: { proxy: [], gateway: [] }, ok: 0, wrong: 0, faultRuns: 0 };
}

class Recorder {
  constructor() {
    this.totals = newCounts();
    this.interval = newCounts();
  }

  request(lane, outcome, ms) {
    for (const counts of [this.totals, this.interval]) {
      const c = (counts.lanes[lane.name] ??= { ok: 0, failed: 0, fail: {} });
      if (outcome.ok) {
        c.ok += 1;
        counts.ok += 1;
        counts.ms[lane.door].push(ms);
      } else {
        c.failed += 1;
        c.fail[outcome.kind] = (c.fail[outcome.kind] ?? 0) + 1;
        counts.wrong += 1;
      }
    }
    if (!outcome.ok && !this.totals.lanes[lane.name].example)
      this.totals.lanes[lane.name].example = `${outcome.kind}: ${outcome.detail}`;
  }

  fault(fault, result) {
    for (const counts of [this.totals, this.interval]) {
      const c = (counts.faults[fault.name] ??= { runs: 0, verdicts: {}, needs: fault.needs });
      c.runs += 1;
      c.verdicts[result.verdict] = (c.verdicts[result.verdict] ?? 0) + 1;
      counts.faultRuns += 1;
      if (result.verdict !== 'expected') counts.wrong += 1;
    }
    const total = this.totals.faults[fault.name];
    total.lastDetail = result.detail;
    if (result.verdict !== 'expected' && !total.example) total.example = `${result.verdict}: ${result.detail}`;
    if (typeof result.figure === 'number') (total.figuresMs ??= []).push(Math.round(result.figure));
  }

  takeInterval() {
    const interval = this.interval;
    this.interval = newCounts();
    return interval;
  }
}

// Launches each lane at its rate and the faults at theirs, one after the other, until `until`.
async function drive(ctx, options, recorder, until) {
  const inFlight = new Set();
  const track = (promise) => {
    inFlight.add(promise);
    promise.finally(() => inFlight.delete(promise));
  };
  const laneState = lanes.map((lane) => ({ lane, launched: 0, running: 0, runs: 0 }));
  const faultState = { launched: 0, runs: new Map() };
  const laneCap = 200;
  const started = performance.now();
  while (performance.now() < until) {
    const elapsedS = (performance.now() - started) / 1000;
    for (const state of laneState) {
      const due = Math.floor(state.lane.rate * options.rate * elapsedS);
      while (state.launched < due) {
        state.launched += 1;
        if (state.running >= laneCap) {
          recorder.request(state.lane, { ok: false, kind: 'lane_saturated', detail: `${laneCap} requests in flight` }, 0);
          continue;
        }
        state.running += 1;
        const i = state.runs++;
        const sentAt = performance.now();
        const record = (outcome, ms) => recorder.request(state.lane, outcome, ms);
        const run = state.lane.records
          ? state.lane.run(ctx, i, record)
          : state.lane.run(ctx, i).then((outcome) => record(outcome, performance.now() - sentAt));
        track(
          run
            .catch((error) => record({ ok: false, kind: 'soak_error', detail: error.stack }, 0))
            .finally(() => (state.running -= 1)),
        );
      }
    }
    if (options.faultList.length) {
      const due = Math.floor(options.faultRate * elapsedS);
      while (faultState.launched < due) {
        const fault = options.faultList[faultState.launched % options.faultList.length];
        faultState.launched += 1;
        const i = faultState.runs.get(fault.name) ?? 0;
        faultState.runs.set(fault.name, i + 1);
        track(
          fault
            .run(ctx, i)
            .catch((error) => ({ verdict: 'soak_error', detail: error.stack }))
            .then((result) => recorder.fault(fault, result)),
        );
      }
    }
    await sleep(50);
  }
  return inFlight;
}

function summarizeReadings(readings) {
  const keysOf = Object.keys(readings[0]);
  const pick = (fn) =>
    Object.fromEntries(
      keysOf.map((key) => {
        const values = readings.map((r) => r[key]).filter((v) => v !== null && v !== undefined);
        return [key, values.length ? fn(values) : null];
      }),
    );
  return { tick: readings.at(-1), floor: pick((v) => Math.min(...v)), peak: pick((v) => Math.max(...v)) };
}

const latency = (ms) =>
  ms.length
    ? { p50: Math.round(quantile(ms, 0.5) * 10) / 10, p99: Math.round(quantile(ms, 0.99) * 10) / 10, n: ms.length }
    : { p50: null, p99: null, n: 0 };

function machine(inNetns) {
  return {
    cpus: os.cpus().length,
    model: os.cpus()[0]?.model.trim() ?? 'unknown',
    kernel: os.release(),
    memGiB: Math.round(os.totalmem() / 2 ** 30),
    network: inNetns ? 'loopback only (a private network namespace)' : 'host loopback (no network namespace)',
  };
}

async function main() {
  const argv = process.argv.slice(2);
  let options;
  try {
    options = parseArgs(argv);
  } catch (error) {
    console.error(`${error.message}\n${usage}`);
    process.exit(2);
  }
  if (options.netns && !options.inNetns) {
    if (canUnshare()) reexecInNetns(new URL(import.meta.url).pathname, argv);
    console.error('soak: cannot create a network namespace (needs root); running on the host loopback');
  }
  const tools = benchTools(options.build);
  const runId = new Date().toISOString().replace(/[:.]/g, '-').replace(/-\d{3}Z$/, 'Z');
  const began = Date.now();
  const log = (message) => console.error(`[${((Date.now() - began) / 1000).toFixed(0).padStart(5)} s] ${message}`);
  const workDir = tempDir('soak');
  const tmpDir = path.join(workDir, 'tmp');
  fs.mkdirSync(tmpDir);
  process.once('exit', () => fs.rmSync(workDir, { recursive: true, force: true }));

  const mock = await startMock(tools);
  const ccgate = await startCcgate(tools, mock, undefined, ccgateEnv(tools, mock, tmpDir));
  const ccgatePort = Number(new URL(ccgate.url).port);
  const agent = new http.Agent({ keepAlive: true, maxSockets: 512, maxFreeSockets: 64, timeout: 4000 });
  const ctx = {
    ccgate: { port: ccgatePort },
    agent,
    keys,
    settings,
    requestTimeoutMs: 30_000,
    failureBoundMs: 15_000,
    stallBoundMs: (settings.requestTimeoutS * (settings.maxRetries + 1) + 10) * 1000,
    idleBoundMs: (settings.idleTimeoutS + 8) * 1000,
    hangBoundMs: (settings.turnTimeoutS + 6) * 1000,
    nextNumber: (() => {
      let n = Math.floor(Math.random() * 1e6) * 1000;
      return () => ++n;
    })(),
  };
  const probe = { pid: ccgate.mainPid, ccgatePort, mockPort: mock.port, mockUrl: mock.url, tmpDir };
  const recorder = new Recorder();
  const samples = [];
  const loadS = options.minutes * 60;
  const plannedRps = lanes.reduce((sum, lane) => sum + lane.rate * (lane.requestsPerRun ?? 1), 0) * options.rate;
  let ccgateExit = null;
  ccgate.managed.exited.then((status) => (ccgateExit = status));

  try {
    await sleep(1000);
    const baseline = await readOnce(probe);
    log(
      `ccgate pid ${ccgate.mainPid} on port ${ccgatePort}, mock on ${mock.port}; ${options.minutes} min of load ` +
        `(${plannedRps.toFixed(1)} requests/s planned, ${options.faultRate} fault/s over ${options.faultList.length} faults), warm-up ${options.warmupS} s`,
    );

    const cpuAtStart = { ccgate: cpuSeconds(ccgate.mainPid), mock: cpuSeconds(mock.pid), driver: process.cpuUsage() };
    const loadStart = performance.now();
    const loadEnd = loadStart + loadS * 1000;
    const driving = drive(ctx, options, recorder, loadEnd);
    let inFlight = null;
    driving.then((set) => (inFlight = set));

    // One reading a second; a sample every sampleS seconds. Phases: load, drain (the load has
    // stopped, requests in flight finish), release (everything should be let go).
    let readings = [];
    let intervalStart = performance.now();
    let phase = 'load';
    let releaseStart = null;
    let drainS = null;
    let cpu = null;
    const cpuShares = (start, seconds) => {
      const ccgateNow = cpuSeconds(ccgate.mainPid);
      const share = (used) => Math.round((used / seconds) * 1000) / 10;
      const driver = process.cpuUsage(start.driver);
      return {
        ccgatePct: share(ccgateNow.own - start.ccgate.own),
        cliPct: share(ccgateNow.children - start.ccgate.children),
        mockPct: share(cpuSeconds(mock.pid).own - start.mock.own),
        driverPct: share((driver.user + driver.system) / 1e6),
      };
    };
    let release = null;
    const releaseDeadlineS = settings.sessionIdleTimeoutS + 20;
    for (let second = 1; ; ++second) {
      const wake = loadStart + second * 1000;
      await sleep(Math.max(0, wake - performance.now()));
      if (ccgateExit) throw new Error(`ccgate exited during the soak (${JSON.stringify(ccgateExit)}): ${ccgate.managed.output.slice(-2000)}`);
      const reading = await readOnce(probe);
      readings.push(reading);
      const now = performance.now();
      const t = (now - loadStart) / 1000;
      if (phase === 'load' && now >= loadEnd) {
        cpu = cpuShares(cpuAtStart, loadS);
        phase = 'drain';
        log('load stopped; waiting for the requests in flight');
      }
      if (phase === 'drain' && inFlight && inFlight.size === 0) {
        agent.destroy();
        phase = 'release';
        releaseStart = now;
        drainS = (now - loadEnd) / 1000;
        log('all requests done; waiting for ccgate to let everything go');
      }
      if (phase === 'release') {
        release = judgeRelease(baseline, reading, drainS, (now - releaseStart) / 1000);
        if (release.pass || release.waitedS >= releaseDeadlineS) {
          readings.length && samples.push(makeSample(t, phase, readings, recorder, (now - intervalStart) / 1000));
          break;
        }
      }
      if (second % options.sampleS === 0) {
        const sample = makeSample(t, phase, readings, recorder, (now - intervalStart) / 1000);
        samples.push(sample);
        readings = [];
        intervalStart = now;
        if (sample.phase === 'load' || sample.phase === 'drain')
          log(
            `${phase} t=${Math.round(t)} s: RSS ${(sample.tick.rss_kib / 1024).toFixed(1)} MiB, fds ${sample.tick.fds} (floor ${sample.floor.fds}), ` +
              `children ${sample.tick.children}, upstream ${sample.tick.sockets_up}, ${sample.rps_ok.toFixed(1)} ok/s, ` +
              `${sample.faults_per_s.toFixed(2)} faults/s, wrong ${sample.wrong}`,
          );
      }
    }

    const judged = samples.filter((s) => s.phase === 'load' && s.t > options.warmupS);
    const series = seriesRules.map((rule) => judgeSeries(judged, rule));
    const rate = judgeRate(judged, plannedRps);
    const requests = judgeRequests(recorder.totals);
    const problems = [
      ...series.filter((s) => !s.pass).map((s) => `${s.label}: ${s.problems.join('; ')}`),
      ...(rate.pass ? [] : rate.problems.map((p) => `${rate.label}: ${p}`)),
      ...(release.pass ? [] : [`not released ${release.waitedS} s after the load: ${release.problems.join('; ')}`]),
      ...requests.problems,
    ];
    const outDir = path.join(benchDir, 'results', options.minutes >= 30 ? '' : 'tmp', `soak-${runId}`);
    const run = {
      runId,
      command: `node bench/soak.mjs ${argv.filter((arg) => arg !== '--in-netns').join(' ')}`.trim(),
      minutes: options.minutes,
      warmupS: options.warmupS,
      sampleS: options.sampleS,
      rate: options.rate,
      faultRate: options.faultRate,
      faults: options.faultList.map((f) => ({ name: f.name, door: f.door, needs: f.needs ?? null })),
      lanes: lanes.map((l) => ({ name: l.name, door: l.door, perSecond: l.rate * options.rate * (l.requestsPerRun ?? 1) })),
      settings,
      cpu,
      ccgateEnv: ccgateEnv(tools, mock, '<TMPDIR>'),
      machine: machine(options.inNetns),
      versions: { ccgate: execFileSync(tools.ccgate, ['--version'], { encoding: 'utf8' }).trim(), node: process.version },
      outDir: path.relative(rootDir, outDir),
      verdict: { pass: problems.length === 0, problems },
      series,
      rate,
      release,
      totals: recorder.totals,
      baseline,
      samples,
    };
    for (const fault of Object.values(run.totals.faults)) if (fault.figuresMs) fault.figureMsP50 = Math.round(quantile(fault.figuresMs, 0.5));
    const { markdown, chartError } = writeAll(outDir, run);
    console.log(markdown);
    if (chartError) log(chartError);
    log(`wrote ${run.outDir}/{series.json,series.csv,chart.png,summary.md}`);
    log(problems.length ? `soak FAILED: ${problems.length} problem(s)` : 'soak passed');
    process.exitCode = problems.length ? 1 : 0;
  } finally {
    agent.destroy();
    await ccgate.stop();
    await mock.stop();
    fs.rmSync(workDir, { recursive: true, force: true });
  }
}

function makeSample(t, phase, readings, recorder, seconds) {
  const interval = recorder.takeInterval();
  const { tick, floor, peak } = summarizeReadings(readings);
  return {
    t: Math.round(t * 10) / 10,
    phase,
    tick,
    floor,
    peak,
    rps_ok: interval.ok / seconds,
    faults_per_s: interval.faultRuns / seconds,
    wrong_per_s: interval.wrong / seconds,
    wrong: interval.wrong,
    lanes: interval.lanes,
    faults: interval.faults,
    latency: { proxy: latency(interval.ms.proxy), gateway: latency(interval.ms.gateway) },
  };
}

main().catch((error) => {
  console.error(`soak: ${error.stack}`);
  process.exit(1);
});
