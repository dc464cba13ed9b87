// Deploy benchmark (issue 9): wall time of `drover deploy -P` with the image already in the registry and
// kamal-proxy running, for N rig hosts, split by phase, against the physical floor measured in the same
// run: the same Docker Engine operations issued by this process straight to each host's dockerd, all
// hosts at once (floor.ts). Method and discussion: docs/deploy-benchmarks.md. Usage:
//   node bench/dist/deploy/run-deploy-bench.js [--hosts 1,3,6] [--runs 5] [--out FILE] [--settle-ms 1500] [--max-busy 0.2] [--cli-prof DIR]
//   node bench/dist/deploy/run-deploy-bench.js --report a.json,b.json   (tables of earlier runs, pooled)
import { spawn } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { DROVER_MAIN } from '@drover/test/e2e/channel-procs';
import { Fleet } from '@drover/test/e2e/fleet';
import type { SampleProject } from '@drover/test/e2e/deploy-project';
import { floorDeploy, PHASES, type FloorSpec, type PhaseName } from './floor.js';
import { calm, prepareBench, sleep } from './setup.js';
import {
  BOOT_PARTS, bootSplit, dockerEvents, droverHostSpans, floorTimes, PHASE_OPS, phaseTimes, proxyDeployedTimes,
  type BootPart, type PhaseTimes, type Step,
} from './timeline.js';

const { values } = parseArgs({
  options: {
    hosts: { type: 'string', default: '1,3,6' },
    runs: { type: 'string', default: '5' },
    out: { type: 'string' },
    'settle-ms': { type: 'string', default: '1500' },
    'cli-samples': { type: 'string', default: '3' },
    'max-busy': { type: 'string', default: '0.2' },
    /** Writes V8 CPU profiles of the measured `drover deploy -P` processes (the operator's CLI) here. */
    'cli-prof': { type: 'string' },
    /** Measures nothing: prints the tables for the runs of earlier --out files, pooled per host count. */
    report: { type: 'string' },
  },
});
const HOST_COUNTS = values.hosts!.split(',').map(Number);
const RUNS = Number(values.runs);
const SETTLE_MS = Number(values['settle-ms']);
const CLI_SAMPLES = Number(values['cli-samples']);
/** Before each measured deploy, wait (up to a minute) until less than this share of the CPUs is busy. */
const MAX_BUSY = Number(values['max-busy']);
const DEPLOY_TIMEOUT_MS = 180_000;

const median = (xs: number[]) => {
  const s = [...xs].sort((a, b) => a - b);
  return s.length === 0 ? NaN : s.length % 2 ? s[(s.length - 1) / 2]! : (s[s.length / 2 - 1]! + s[s.length / 2]!) / 2;
};
const mean = (xs: number[]) => xs.reduce((a, b) => a + b, 0) / xs.length;
const secs = (ms: number) => (ms / 1000).toFixed(2);
/** utime+stime of a process, in ms (USER_HZ = 100). */
const cpuMs = (pid: number) => {
  const f = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]!.split(' ');
  return (Number(f[11]) + Number(f[12])) * 10;
};
/** CPU of this process's waited-for children (the `drover` CLI runs), in ms. */
const childrenCpuMs = () => {
  const f = readFileSync('/proc/self/stat', 'utf8').split(') ')[1]!.split(' ');
  return (Number(f[13]) + Number(f[14])) * 10;
};

interface RunResult {
  method: 'drover' | 'floor';
  version: string;
  times: PhaseTimes;
  /** Per host: the boot phase cut at Docker's and kamal-proxy's timestamps. */
  boot: Record<string, Record<BootPart, number> | null>;
  /** Per host, ms per operation: drover's recorded steps, or the floor's Docker calls. */
  ops: Record<string, Record<string, number>>;
  cpuMs: { controller: number; agents: number; cli: number; bench: number };
  /** drover only: the deployment's record. */
  deployment?: { id: string; t0: number; t1: number; createdAt: number; firstStepAt: number; lastStepAt: number; finishedAt: number | null; eventCount: number; steps: number };
  loadBefore: number;
  /** Share of the CPUs busy in the second before (older files: absent). */
  busyBefore?: number;
}

interface HostCountResult {
  hosts: number;
  runs: RunResult[];
  cli: { version: number[]; config: number[]; lockStatus: number[] };
}

async function timedCli(fleet: Fleet, args: string[], cwd: string): Promise<number> {
  const t0 = performance.now();
  const r = await fleet.run(args, cwd);
  if (r.code !== 0) throw new Error(`drover ${args.join(' ')} failed:\n${r.all}`);
  return performance.now() - t0;
}

class HostCountBench {
  private current: string | null = null;

  constructor(readonly fleet: Fleet, readonly project: SampleProject, readonly spec: FloorSpec, readonly names: string[]) {}

  private cpu() {
    return {
      controller: cpuMs(this.fleet.controller.proc.child.pid!),
      agents: [...this.fleet.agents.values()].reduce((sum, a) => sum + cpuMs(a.child.pid!), 0),
      cli: childrenCpuMs(),
      bench: (process.cpuUsage().user + process.cpuUsage().system) / 1000,
    };
  }

  private static cpuDelta(a: ReturnType<HostCountBench['cpu']>, b: ReturnType<HostCountBench['cpu']>) {
    return { controller: b.controller - a.controller, agents: b.agents - a.agents, cli: b.cli - a.cli, bench: b.bench - a.bench };
  }

  /** Events and kamal-proxy `Deployed` lines of every host during [t0, t1], and the boot split per host. */
  private async bootParts(t0: number, t1: number, version: string, old: string | null, spans: Map<string, { start: number; end: number }>) {
    const out: Record<string, Record<BootPart, number> | null> = {};
    await Promise.all(this.names.map(async (name) => {
      const docker = this.fleet.host(name).docker;
      const [events, deployed] = await Promise.all([dockerEvents(docker, t0, t1), proxyDeployedTimes(docker, t0)]);
      const span = spans.get(name);
      out[name] = span ? bootSplit(span, `${this.spec.prefix}-${version}`, old ? `${this.spec.prefix}-${old}` : null, events, deployed) : null;
    }));
    return out;
  }

  async drover(version: string, options: { measure: boolean } = { measure: true }): Promise<RunResult | null> {
    const { busy: busyBefore, load: loadBefore } = await calm(MAX_BUSY);
    const cpu0 = this.cpu();
    const t0 = Date.now();
    // What Fleet.spawn does, plus node flags for --cli-prof (NODE_OPTIONS may not carry --cpu-prof).
    const flags = values['cli-prof'] && options.measure ? ['--cpu-prof', `--cpu-prof-dir=${values['cli-prof']}`] : [];
    const child = spawn(process.execPath, [...flags, DROVER_MAIN, 'deploy', '-P', '--version', version], {
      cwd: this.project.dir, env: { ...process.env, ...this.fleet.env }, stdio: ['ignore', 'pipe', 'pipe'],
    });
    let output = '';
    child.stdout.on('data', (b: Buffer) => { output += b.toString(); });
    child.stderr.on('data', (b: Buffer) => { output += b.toString(); });
    const killer = setTimeout(() => child.kill('SIGKILL'), DEPLOY_TIMEOUT_MS);
    const code = await new Promise<number | null>((resolve) => child.on('exit', resolve));
    const t1 = Date.now();
    clearTimeout(killer);
    const cpu = HostCountBench.cpuDelta(cpu0, this.cpu());
    if (code !== 0) throw new Error(`drover deploy -P --version ${version} exited ${code}:\n${output}`);
    const old = this.current;
    this.current = version;
    if (!options.measure) return null;

    const listed = await this.fleet.run(['deployments', '--json', '--limit', '1'], this.project.dir);
    const [latest] = (JSON.parse(listed.out) as { deployments: Array<{ id: string; version: string }> }).deployments;
    if (!latest || latest.version !== version) throw new Error(`the latest deployment is not ${version}: ${listed.all}`);
    const shown = await this.fleet.run(['deployments', 'show', latest.id, '--json'], this.project.dir);
    const detail = JSON.parse(shown.out) as { deployment: { id: string; createdAt: number; finishedAt: number | null; eventCount: number }; steps: Step[] };
    const byHost = droverHostSpans(detail.steps);
    const times = phaseTimes(t0, t1, byHost);
    const bootSpans = new Map([...byHost].map(([h, s]) => [h, s.boot]));
    const ops: Record<string, Record<string, number>> = {};
    for (const s of detail.steps) {
      if (s.host === null || s.finishedAt === null) continue;
      (ops[s.host] ??= {})[s.kind] = (ops[s.host]![s.kind] ?? 0) + (s.finishedAt - s.startedAt);
    }
    return {
      method: 'drover', version, times, boot: await this.bootParts(t0, t1, version, old, bootSpans), ops, cpuMs: cpu, loadBefore, busyBefore,
      deployment: {
        id: detail.deployment.id, t0, t1, createdAt: detail.deployment.createdAt,
        firstStepAt: Math.min(...detail.steps.map((s) => s.startedAt)), lastStepAt: Math.max(...detail.steps.map((s) => s.finishedAt ?? NaN)),
        finishedAt: detail.deployment.finishedAt, eventCount: detail.deployment.eventCount, steps: detail.steps.length,
      },
    };
  }

  async floor(version: string, options: { measure: boolean } = { measure: true }): Promise<RunResult | null> {
    const { busy: busyBefore, load: loadBefore } = await calm(MAX_BUSY);
    const cpu0 = this.cpu();
    const run = await floorDeploy(this.names.map((n) => ({ name: n, docker: this.fleet.host(n).docker })), this.spec, version);
    const cpu = HostCountBench.cpuDelta(cpu0, this.cpu());
    const old = this.current;
    this.current = version;
    if (!options.measure) return null;
    const bootSpans = new Map(run.hosts.map((h) => [h.host, h.phases.boot]));
    return {
      method: 'floor', version, times: floorTimes(run), boot: await this.bootParts(run.t0, run.t1, version, old, bootSpans),
      ops: Object.fromEntries(run.hosts.map((h) => [h.host, h.ops])), cpuMs: cpu, loadBefore, busyBefore,
    };
  }
}

async function benchHosts(n: number): Promise<HostCountResult> {
  const names = Array.from({ length: n }, (_, i) => `web-${i + 1}`);
  const log = (text: string) => process.stderr.write(`[${n} host${n > 1 ? 's' : ''}] ${text}\n`);
  log('starting the rig, controller and agents');
  const fleet = await Fleet.start(names);
  // An interrupted bench still stops what it started (controller, agents, the rig's hosts).
  const onSignal = () => { log('interrupted: stopping'); void fleet.stop().finally(() => process.exit(130)); };
  process.once('SIGINT', onSignal);
  process.once('SIGTERM', onSignal);
  try {
    // Every deploy below gets a version of its own, built and pushed here: "the image is already in the
    // registry" and no host has it yet. The initial one, the warm-ups, then 2 per measured run.
    // Enough deploys before the first measured one that every measured deploy's prune removes one stopped
    // container and its image: Kamal keeps `retain` stopped ones, so that starts with deploy retain + 2.
    // With fewer, the first measured deploys prune nothing, and the alternation hands more of those to one method.
    const warmUpsFor = (retain: number) => Math.max(2, retain);
    log('building and pushing the versions');
    const { project, spec, versions } = await prepareBench(fleet, names, (s) => 1 + warmUpsFor(s.retain) + 2 * RUNS);
    const warmUps = warmUpsFor(spec.retain);

    const bench = new HostCountBench(fleet, project, spec, names);
    log('initial deploy (boots kamal-proxy on every host)');
    await bench.drover(versions[0]!, { measure: false });
    log(`warm-up: ${warmUps} deploys -P, drover and floor in turn, until prune has stopped containers to remove`);
    for (let w = 0; w < warmUps; w++) {
      if (w > 0) await sleep(SETTLE_MS);
      await (w % 2 === 0 ? bench.drover(versions[1 + w]!, { measure: false }) : bench.floor(versions[1 + w]!, { measure: false }));
    }

    const runs: RunResult[] = [];
    for (let r = 0; r < RUNS; r++) {
      // Alternate which goes first, so drift (caches, stopped containers piling up) hits both alike.
      const order: Array<'drover' | 'floor'> = r % 2 === 0 ? ['drover', 'floor'] : ['floor', 'drover'];
      for (const [k, method] of order.entries()) {
        await sleep(SETTLE_MS);
        const version = versions[1 + warmUps + 2 * r + k]!;
        const result = method === 'drover' ? await bench.drover(version) : await bench.floor(version);
        log(`run ${r + 1}/${RUNS} ${method}: ${secs(result!.times.total)} s (CPU ${((result!.busyBefore ?? NaN) * 100).toFixed(0)} % busy before, load ${result!.loadBefore.toFixed(2)})`);
        runs.push(result!);
      }
    }

    // Fixed costs of the operator's CLI, same run: node + the CLI's imports, + loading the project, + one API call.
    const cli = { version: [] as number[], config: [] as number[], lockStatus: [] as number[] };
    for (let i = 0; i < CLI_SAMPLES; i++) {
      cli.version.push(await timedCli(fleet, ['version'], project.dir));
      cli.config.push(await timedCli(fleet, ['config', '--json', '--version', versions[0]!], project.dir));
      cli.lockStatus.push(await timedCli(fleet, ['lock', 'status'], project.dir));
    }
    return { hosts: n, runs, cli };
  } finally {
    process.off('SIGINT', onSignal);
    process.off('SIGTERM', onSignal);
    log('stopping');
    await fleet.stop();
  }
}

// ---- report ------------------------------------------------------------------------------------------

interface Summary {
  hosts: number;
  drover: Aggregate;
  floor: Aggregate;
  ratio: number;
  /** Median of drover's run k over the floor's run k (the two ran back to back): drift between pairs cancels. */
  pairedRatio: number;
  overheadMs: number;
  cli: { versionMs: number; configMs: number; lockStatusMs: number };
}

interface Aggregate {
  runs: number;
  totalMs: number;
  totalsMs: number[];
  headMs: number;
  gapsMs: number;
  tailMs: number;
  phasesMs: Record<PhaseName, number>;
  slowestHostMs: Record<PhaseName, number>;
  startSkewMs: Record<PhaseName, number>;
  /** Mean over hosts, median over runs. */
  bootPartsMs: Record<BootPart, number>;
  /** Median over runs of the mean over hosts, per operation. */
  opsMs: Record<string, number>;
  cpuMs: { controller: number; agents: number; cli: number; bench: number };
  /** drover only: process start → deployment created → first step; last step → deployment finished → process exit. */
  headSplitMs?: { toSubmitted: number; submittedToFirstStep: number };
  tailSplitMs?: { lastStepToFinished: number; finishedToExit: number };
  eventCount?: number;
  stepCount?: number;
}

function aggregate(runs: RunResult[]): Aggregate {
  const m = (f: (r: RunResult) => number) => median(runs.map(f));
  const byPhase = (f: (r: RunResult, p: PhaseName) => number) => Object.fromEntries(PHASES.map((p) => [p, m((r) => f(r, p))])) as Record<PhaseName, number>;
  const bootParts = Object.fromEntries(BOOT_PARTS.map((part) => [part, m((r) => {
    const hosts = Object.values(r.boot).filter((b): b is Record<BootPart, number> => b !== null);
    return hosts.length ? mean(hosts.map((b) => b[part])) : NaN;
  })])) as Record<BootPart, number>;
  const opNames = [...new Set(runs.flatMap((r) => Object.values(r.ops).flatMap((o) => Object.keys(o))))];
  const opsMs = Object.fromEntries(opNames.map((op) => [op, m((r) => mean(Object.values(r.ops).map((o) => o[op] ?? 0)))]));
  const agg: Aggregate = {
    runs: runs.length, totalMs: m((r) => r.times.total), totalsMs: runs.map((r) => r.times.total),
    headMs: m((r) => r.times.head), gapsMs: m((r) => r.times.gaps), tailMs: m((r) => r.times.tail),
    phasesMs: byPhase((r, p) => r.times.phases[p]), slowestHostMs: byPhase((r, p) => r.times.slowestHost[p]), startSkewMs: byPhase((r, p) => r.times.startSkew[p]),
    bootPartsMs: bootParts, opsMs,
    cpuMs: { controller: m((r) => r.cpuMs.controller), agents: m((r) => r.cpuMs.agents), cli: m((r) => r.cpuMs.cli), bench: m((r) => r.cpuMs.bench) },
  };
  if (runs[0]?.deployment) {
    const d = (r: RunResult) => r.deployment!;
    agg.headSplitMs = { toSubmitted: m((r) => d(r).createdAt - d(r).t0), submittedToFirstStep: m((r) => d(r).firstStepAt - d(r).createdAt) };
    agg.tailSplitMs = { lastStepToFinished: m((r) => (d(r).finishedAt ?? NaN) - d(r).lastStepAt), finishedToExit: m((r) => d(r).t1 - (d(r).finishedAt ?? NaN)) };
    agg.eventCount = m((r) => r.deployment!.eventCount);
    agg.stepCount = m((r) => r.deployment!.steps);
  }
  return agg;
}

function summarize(h: HostCountResult): Summary {
  const drover = aggregate(h.runs.filter((r) => r.method === 'drover'));
  const floor = aggregate(h.runs.filter((r) => r.method === 'floor'));
  const pairs = drover.totalsMs.slice(0, floor.totalsMs.length).map((d, k) => d / floor.totalsMs[k]!);
  return {
    hosts: h.hosts, drover, floor, ratio: drover.totalMs / floor.totalMs, pairedRatio: median(pairs), overheadMs: drover.totalMs - floor.totalMs,
    cli: { versionMs: median(h.cli.version), configMs: median(h.cli.config), lockStatusMs: median(h.cli.lockStatus) },
  };
}

/** Floor timer names of files written before they carried their phase (names used in one phase only). */
const LEGACY_FLOOR_OPS: Partial<Record<PhaseName, string[]>> = {
  pull: ['login', 'image rm -f', 'pull', 'image inspect'],
  tag: ['tag'],
  prune: ['ps (stopped)', 'rm', 'image prune', 'image ls', 'ps (all)', 'rmi'],
};

function markdown(summaries: Summary[]): string {
  const lines: string[] = [];
  lines.push('| hosts | `drover deploy -P` (median) | floor: same Docker calls, direct, parallel (median) | ratio | paired ratio (median of run k / run k) | drover − floor | target ≤ 1.10 |');
  lines.push('|---|---|---|---|---|---|---|');
  for (const s of summaries) {
    lines.push(`| ${s.hosts} | ${secs(s.drover.totalMs)} s (${s.drover.totalsMs.map(secs).join(', ')}) | ${secs(s.floor.totalMs)} s (${s.floor.totalsMs.map(secs).join(', ')}) | ${s.ratio.toFixed(2)}× | ${s.pairedRatio.toFixed(2)}× | ${secs(s.overheadMs)} s | ${s.ratio <= 1.1 ? '✔' : '✘'} |`);
  }
  lines.push('', 'Phases (s, medians; a phase is its first host\'s start to its last host\'s end; head = process start to the first phase, gaps = between phases, tail = last phase to exit):', '');
  lines.push(`| hosts | | total | head | ${PHASES.join(' | ')} | gaps | tail |`);
  lines.push(`|---|---|---|---|${PHASES.map(() => '---').join('|')}|---|---|`);
  for (const s of summaries) {
    for (const [name, a] of [['drover', s.drover], ['floor', s.floor]] as const) {
      lines.push(`| ${s.hosts} | ${name} | ${secs(a.totalMs)} | ${secs(a.headMs)} | ${PHASES.map((p) => secs(a.phasesMs[p])).join(' | ')} | ${secs(a.gapsMs)} | ${secs(a.tailMs)} |`);
    }
  }
  lines.push('', 'The boot phase per host, cut at Docker\'s and kamal-proxy\'s own timestamps (s, mean over hosts, median over runs):', '');
  lines.push(`| hosts | | ${BOOT_PARTS.join(' | ')} |`);
  lines.push(`|---|---|${BOOT_PARTS.map(() => '---').join('|')}|`);
  for (const s of summaries) {
    for (const [name, a] of [['drover', s.drover], ['floor', s.floor]] as const) {
      lines.push(`| ${s.hosts} | ${name} | ${BOOT_PARTS.map((p) => secs(a.bootPartsMs[p])).join(' | ')} |`);
    }
  }
  lines.push('', 'Per host, drover\'s operations against the floor\'s Docker calls for them (ms, mean over hosts, median over runs, summed per phase):', '');
  lines.push(`| hosts | ${PHASES.join(' | ')} |`);
  lines.push(`|---|${PHASES.map(() => '---').join('|')}|`);
  for (const s of summaries) {
    const sum = (a: Aggregate, match: (op: string) => boolean) => Math.round(Object.entries(a.opsMs).filter(([op]) => match(op)).reduce((t, [, ms]) => t + ms, 0));
    // Files from before the floor's timers carried their phase: only the unambiguous phases.
    const legacy = !Object.keys(s.floor.opsMs).some((op) => PHASES.some((p) => op.startsWith(`${p} `)));
    const floorMs = (p: PhaseName) => {
      if (!legacy) return String(sum(s.floor, (op) => op.startsWith(`${p} `)));
      return LEGACY_FLOOR_OPS[p] ? String(sum(s.floor, (op) => LEGACY_FLOOR_OPS[p]!.includes(op))) : '–';
    };
    lines.push(`| ${s.hosts} | ${PHASES.map((p) => `${sum(s.drover, (op) => PHASE_OPS[p].includes(op))} / ${floorMs(p)}`).join(' | ')} |`);
  }
  lines.push('', 'Where drover\'s head and tail go, and CPU per deploy (medians):', '');
  lines.push('| hosts | CLI start → deployment created | created → first step | last step → finished | finished → CLI exit | events / steps stored | CPU ms: controller / agents / CLI (floor: bench) | `drover version` / `config` / `lock status` |');
  lines.push('|---|---|---|---|---|---|---|---|');
  for (const s of summaries) {
    const d = s.drover;
    lines.push(`| ${s.hosts} | ${secs(d.headSplitMs!.toSubmitted)} | ${secs(d.headSplitMs!.submittedToFirstStep)} | ${secs(d.tailSplitMs!.lastStepToFinished)} | ${secs(d.tailSplitMs!.finishedToExit)} | ${d.eventCount} / ${d.stepCount} | ${d.cpuMs.controller} / ${d.cpuMs.agents} / ${d.cpuMs.cli} (${Math.round(s.floor.cpuMs.bench)}) | ${secs(s.cli.versionMs)} / ${secs(s.cli.configMs)} / ${secs(s.cli.lockStatusMs)} s |`);
  }
  return lines.join('\n');
}

/** Earlier invocations' runs, pooled per host count (comma-separated --out files). */
function pooled(files: string[]): HostCountResult[] {
  const byHosts = new Map<number, HostCountResult>();
  for (const file of files) {
    for (const r of (JSON.parse(readFileSync(file, 'utf8')) as { results: HostCountResult[] }).results) {
      const acc = byHosts.get(r.hosts) ?? { hosts: r.hosts, runs: [], cli: { version: [], config: [], lockStatus: [] } };
      acc.runs.push(...r.runs);
      acc.cli.version.push(...r.cli.version);
      acc.cli.config.push(...r.cli.config);
      acc.cli.lockStatus.push(...r.cli.lockStatus);
      byHosts.set(r.hosts, acc);
    }
  }
  return [...byHosts.values()].sort((a, b) => a.hosts - b.hosts);
}

async function main(): Promise<void> {
  if (values.report) {
    console.log(markdown(pooled(values.report.split(',')).map(summarize)));
    return;
  }
  const results: HostCountResult[] = [];
  const started = new Date().toISOString();
  for (const n of HOST_COUNTS) results.push(await benchHosts(n));
  const summaries = results.map(summarize);
  console.log(markdown(summaries));
  if (values.out) {
    writeFileSync(values.out, `${JSON.stringify({ started, node: process.version, hostCounts: HOST_COUNTS, runs: RUNS, settleMs: SETTLE_MS, summaries, results }, null, 2)}\n`);
    process.stderr.write(`wrote ${values.out}\n`);
  }
}

main().catch((err: unknown) => {
  console.error(err);
  process.exitCode = 1;
});
