#!/usr/bin/env node
// Runs the benchmark suite and writes bench/results/<run-id>.json and .md, and the charts
// (gnuplot) in bench/results/<run-id>/; node bench/charts.mjs redraws them from a .json.
//   node bench/run.mjs [--suite quick|full] [--build build] [--only S1,S3] [--no-netns]
//                      [--arms direct,nginx,ccgate] [--compare-build DIR[:label]]…
// --arms keeps only the named arms of the suite (direct, nginx, ccgate, ccr).
// --compare-build adds the arm ccgate-<label> (label by default the compiler that built
// DIR/ccgate, e.g. gcc12): another build's ccgate with the ccgate arm's settings, in the same
// shuffled rounds, in every scenario with arms (S1–S5). The bench tools come from --build.
// Everything runs on loopback inside a fresh network namespace when the bench can make one
// (root and unshare): nothing can reach the network, even the real Claude Code CLI.

import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { benchDir, rootDir, tempDir, ccrInstalled, ccrPackageDir } from './lib/arms.mjs';
import { drawCharts } from './lib/charts.mjs';
import { canUnshare, reexecInNetns } from './lib/netns.mjs';
import { markdown } from './lib/report.mjs';
import { suites } from './lib/suites.mjs';
import { evaluateTargets } from './lib/targets.mjs';
import { benchTools, compilerOf } from './lib/tools.mjs';
import * as s1 from './scenarios/s1_added_latency.mjs';
import * as s2 from './scenarios/s2_throughput.mjs';
import * as s3 from './scenarios/s3_streaming.mjs';
import * as s4 from './scenarios/s4_event_throughput.mjs';
import * as s5 from './scenarios/s5_memory.mjs';
import * as s6 from './scenarios/s6_gateway.mjs';

const scenarios = [s1, s2, s3, s4, s5, s6];
const usage =
  'usage: node bench/run.mjs [--suite quick|full] [--build DIR] [--only S1,S3] [--no-netns] [--arms LIST] [--compare-build DIR[:label]]…';

// DIR[:label] → [arm name, binary].
function compareBuild(spec) {
  const colon = spec.lastIndexOf(':');
  const dir = path.resolve(colon > 0 ? spec.slice(0, colon) : spec);
  const binary = path.join(dir, 'ccgate');
  if (!fs.existsSync(binary)) {
    console.error(`--compare-build: no ${binary} (build it first, e.g. make bench-compilers)`);
    process.exit(2);
  }
  return [`ccgate-${colon > 0 ? spec.slice(colon + 1) : compilerOf(binary).label}`, binary];
}

function parseArgs(argv) {
  const options = {
    suite: 'quick',
    build: path.join(rootDir, 'build'),
    only: null,
    arms: null,
    netns: true,
    inNetns: false,
    compare: {},
  };
  for (let i = 0; i < argv.length; ++i) {
    const arg = argv[i];
    if (arg === '--suite') options.suite = argv[++i];
    else if (arg === '--build') options.build = path.resolve(argv[++i]);
    else if (arg === '--only') options.only = argv[++i].split(',');
    else if (arg === '--arms') options.arms = argv[++i].split(',');
    else if (arg === '--no-netns') options.netns = false;
    else if (arg === '--in-netns') options.inNetns = true;
    else if (arg === '--compare-build') {
      const [name, binary] = compareBuild(argv[++i] ?? '');
      if (name === 'ccgate-' || name in options.compare) {
        console.error(`--compare-build: arm '${name}' is empty or taken; give the build a DIR:label`);
        process.exit(2);
      }
      options.compare[name] = binary;
    } else {
      console.error(`unknown argument ${arg}\n${usage}`);
      process.exit(2);
    }
  }
  if (!suites[options.suite]) {
    console.error(`unknown suite ${options.suite} (smoke, quick or full)`);
    process.exit(2);
  }
  const unknown = options.arms?.filter((name) => !suites[options.suite].arms.includes(name));
  if (unknown?.length) {
    console.error(`unknown arm ${unknown.join(', ')} (${suites[options.suite].arms.join(', ')})`);
    process.exit(2);
  }
  return options;
}

function machine(inNetns) {
  return {
    cpus: os.cpus().length,
    model: os.cpus()[0]?.model.trim() ?? 'unknown',
    kernel: os.release(),
    memGiB: Math.round(os.totalmem() / 2 ** 30),
    network: inNetns ? 'loopback only (a private network namespace)' : 'host loopback (no network namespace)',
  };
}

function versions(tools, arms) {
  const run = (command, args) => {
    const result = spawnSync(command, args, { encoding: 'utf8' });
    return `${result.stdout}${result.stderr}`.trim();
  };
  const ccgate = (binary) => `${run(binary, ['--version'])} built by ${compilerOf(binary).version}`;
  return {
    ccgate: ccgate(tools.ccgate),
    ...Object.fromEntries(Object.entries(tools.compare).map(([name, binary]) => [name, ccgate(binary)])),
    ...(arms.includes('nginx') && { nginx: run('nginx', ['-v']).replace('nginx version: ', '') }),
    ...(arms.includes('ccr') && {
      ccr: ccrInstalled()
        ? `claude-code-router ${JSON.parse(fs.readFileSync(path.join(ccrPackageDir, 'package.json'))).version} on node ${process.version}`
        : 'not installed',
    }),
    mock: 'ccgate-bench-mock (ccgate http::Server, 1 thread)',
  };
}

async function main() {
  const argv = process.argv.slice(2);
  const options = parseArgs(argv);
  if (options.netns && !options.inNetns) {
    if (canUnshare()) reexecInNetns(new URL(import.meta.url).pathname, argv);
    console.error('bench: cannot create a network namespace (needs root); running on the host loopback');
  }
  const tools = benchTools(options.build, options.compare);
  // The compared builds run right after the ccgate arm, in every scenario that has arms.
  const arms = suites[options.suite].arms.flatMap((name) => [
    ...(!options.arms || options.arms.includes(name) ? [name] : []),
    ...(name === 'ccgate' ? Object.keys(tools.compare) : []),
  ]);
  const suite = { ...suites[options.suite], arms };
  const runId = new Date()
    .toISOString()
    .replace(/[:.]/g, '-')
    .replace(/-\d{3}Z$/, 'Z');
  const workDir = tempDir('run');
  const started = Date.now();
  const log = (message) =>
    console.error(`[${((Date.now() - started) / 1000).toFixed(0).padStart(4)} s] ${message}`);
  const plain = !options.only && !options.arms && !Object.keys(tools.compare).length;
  const results = {
    runId,
    suite: options.suite,
    command:
      (plain && { quick: 'make bench', full: 'make bench-full' }[options.suite]) ||
      `node bench/run.mjs ${argv.filter((arg) => arg !== '--in-netns').join(' ')}`,
    machine: machine(options.inNetns),
    versions: versions(tools, arms),
    scenarios: {},
  };
  try {
    for (const scenario of scenarios) {
      if (options.only && !options.only.includes(scenario.id)) continue;
      log(`${scenario.id} — ${scenario.title}`);
      try {
        results.scenarios[scenario.id] = await scenario.run({ tools, suite, workDir, log });
      } catch (error) {
        log(`${scenario.id} failed: ${error.stack}`);
        results.scenarios[scenario.id] = { id: scenario.id, error: String(error.message).slice(0, 2000) };
      }
    }
  } finally {
    fs.rmSync(workDir, { recursive: true, force: true });
  }
  results.wallS = (Date.now() - started) / 1000;
  results.targets = evaluateTargets(results.scenarios);
  // Smoke runs prove the tools work; their figures mean nothing and are not kept.
  const outDir = path.join(benchDir, 'results', options.suite === 'smoke' ? 'tmp' : '');
  fs.mkdirSync(outDir, { recursive: true });
  const base = path.join(outDir, runId);
  fs.writeFileSync(`${base}.json`, JSON.stringify(results, null, 1));
  const charts = drawCharts(results, base);
  for (const error of charts.errors) log(`chart not drawn: ${error}`);
  const summary = markdown(results, charts.drawn);
  fs.writeFileSync(`${base}.md`, summary);
  console.log(summary);
  log(`wrote ${path.relative(rootDir, base)}.json and .md, ${charts.drawn.length} chart${charts.drawn.length === 1 ? "" : "s"} in ${path.relative(rootDir, base)}/`);
  const failed = Object.values(results.scenarios).filter((s) => s.error).length;
  const met = results.targets.filter((t) => t.met === true).length;
  const missed = results.targets.filter((t) => t.met === false).length;
  console.error(`bench: ${met} targets met, ${missed} missed; ${failed} scenarios failed`);
  process.exit(failed ? 1 : 0);
}

main();
