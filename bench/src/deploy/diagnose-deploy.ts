// Where `drover deploy -P`'s time over the floor goes, measured rather than guessed (docs/deploy-benchmarks.md):
// - the operator CLI's milestones, from a --require preload in the CLI process: node bootstrap, module loading
//   and project load (until the first API request), TLS connect, the submit answered, the process exit;
// - the controller's SQLite commits: every fsync/fdatasync it makes during each deploy (strace on its pid),
//   with the time the (synchronous) calls blocked its event loop.
// Usage: node bench/dist/deploy/diagnose-deploy.js [--hosts 6] [--runs 3] [--out FILE] [--max-busy 0.2]
import { spawn, type ChildProcess } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { DROVER_MAIN } from '@drover/test/e2e/channel-procs';
import { Fleet } from '@drover/test/e2e/fleet';
import { floorDeploy } from './floor.js';
import { calm, prepareBench, sleep } from './setup.js';

const { values } = parseArgs({
  options: {
    hosts: { type: 'string', default: '6' },
    runs: { type: 'string', default: '3' },
    out: { type: 'string' },
    'max-busy': { type: 'string', default: '0.2' },
  },
});
const N = Number(values.hosts);
const RUNS = Number(values.runs);

/** Loaded into the CLI with --require: timestamps of its milestones, one JSON line each. */
const PRELOAD = `
const dc = require('node:diagnostics_channel');
const fs = require('node:fs');
const file = process.env.DROVER_BENCH_TRACE;
const mark = (name, extra) => fs.appendFileSync(file, JSON.stringify({ name, at: Date.now(), ...extra }) + '\\n');
mark('preload');
// The CLI's client is node's http/https (shared/src/protocol/pinned-http.ts): its diagnostics channels.
dc.subscribe('http.client.request.start', ({ request }) => mark('request', { method: request.method, path: request.path }));
dc.subscribe('http.client.response.finish', ({ request, response }) => mark('headers', { method: request.method, path: request.path, status: response.statusCode }));
process.on('exit', () => mark('exit'));
`;

interface Mark { name: string; at: number; method?: string; path?: string }
interface Sync { at: number; ms: number }

function parseStrace(text: string): Sync[] {
  // "[pid N] 21:22:01.123456 fdatasync(12) = 0 <0.001234>" or without the pid prefix.
  const out: Sync[] = [];
  const day = new Date();
  for (const line of text.split('\n')) {
    const m = /(\d\d):(\d\d):(\d\d)\.(\d{6}) f(?:data)?sync\(\d+\)\s+= \d+ <(\d+\.\d+)>/.exec(line);
    if (!m) continue;
    const at = new Date(day.getFullYear(), day.getMonth(), day.getDate(), Number(m[1]), Number(m[2]), Number(m[3]), Number(m[4]) / 1000).getTime();
    out.push({ at, ms: Number(m[5]) * 1000 });
  }
  return out;
}

async function main(): Promise<void> {
  const names = Array.from({ length: N }, (_, i) => `web-${i + 1}`);
  const fleet = await Fleet.start(names);
  let strace: ChildProcess | null = null;
  const onSignal = () => { strace?.kill('SIGINT'); void fleet.stop().finally(() => process.exit(130)); };
  process.once('SIGINT', onSignal);
  process.once('SIGTERM', onSignal);
  try {
    const { project, spec, versions } = await prepareBench(fleet, names, 3 + RUNS);
    const preload = join(fleet.dir, 'cli-trace.cjs');
    writeFileSync(preload, PRELOAD);

    const deploy = async (version: string, trace: string | null) => {
      const env = { ...process.env, ...fleet.env, ...(trace ? { NODE_OPTIONS: `--require ${preload}`, DROVER_BENCH_TRACE: trace } : {}) };
      const child = spawn(process.execPath, [DROVER_MAIN, 'deploy', '-P', '--version', version], { cwd: project.dir, env, stdio: ['ignore', 'pipe', 'pipe'] });
      let output = '';
      child.stdout.on('data', (b: Buffer) => { output += b.toString(); });
      child.stderr.on('data', (b: Buffer) => { output += b.toString(); });
      const t0 = Date.now();
      const code = await new Promise<number | null>((resolve) => child.on('exit', resolve));
      const t1 = Date.now();
      if (code !== 0) throw new Error(`deploy ${version} exited ${code}: ${output}`);
      return { t0, t1 };
    };
    process.stderr.write('initial deploy and warm-up\n');
    await deploy(versions[0]!, null);
    await deploy(versions[1]!, null);
    await floorDeploy(names.map((n) => ({ name: n, docker: fleet.host(n).docker })), spec, versions[2]!);

    const straceOut = join(fleet.dir, 'controller.strace');
    strace = spawn('strace', ['-f', '-tt', '-T', '-e', 'trace=fsync,fdatasync', '-o', straceOut, '-p', String(fleet.controller.proc.child.pid)], { stdio: 'ignore' });
    await sleep(1_000);

    const runs: Array<{ t0: number; t1: number; marks: Mark[]; deployment: { createdAt: number; eventCount: number }; steps: Array<{ startedAt: number; finishedAt: number | null }> }> = [];
    for (let r = 0; r < RUNS; r++) {
      await calm(Number(values['max-busy']));
      await sleep(1_500);
      const trace = join(fleet.dir, `cli-trace-${r}.jsonl`);
      const { t0, t1 } = await deploy(versions[3 + r]!, trace);
      const marks = readFileSync(trace, 'utf8').trim().split('\n').map((l) => JSON.parse(l) as Mark);
      const listed = await fleet.run(['deployments', '--json', '--limit', '1'], project.dir);
      const id = (JSON.parse(listed.out) as { deployments: Array<{ id: string }> }).deployments[0]!.id;
      const shown = JSON.parse((await fleet.run(['deployments', 'show', id, '--json'], project.dir)).out) as { deployment: { createdAt: number; eventCount: number }; steps: Array<{ startedAt: number; finishedAt: number | null }> };
      runs.push({ t0, t1, marks, deployment: shown.deployment, steps: shown.steps });
      process.stderr.write(`run ${r + 1}/${RUNS}: ${((t1 - t0) / 1000).toFixed(2)} s\n`);
    }
    strace.kill('SIGINT');
    await new Promise((r) => strace!.once('exit', r));
    const syncs = parseStrace(readFileSync(straceOut, 'utf8'));

    const rows = runs.map((run) => {
      const at = (name: string, path?: string) => run.marks.find((m) => m.name === name && (path === undefined || m.path === path))?.at ?? NaN;
      const firstStep = Math.min(...run.steps.map((s) => s.startedAt));
      const lastStep = Math.max(...run.steps.map((s) => s.finishedAt ?? NaN));
      const inRun = syncs.filter((s) => s.at >= run.t0 && s.at <= run.t1);
      const inSteps = inRun.filter((s) => s.at >= firstStep && s.at <= lastStep);
      return {
        wallMs: run.t1 - run.t0,
        cli: {
          bootstrapMs: at('preload') - run.t0,
          importsAndProjectMs: at('request', '/v1/deployments') - at('preload'),
          // The client's pinning agent hands over a socket it connected itself: no connect mark, the request's time includes it.
          requestToCreatedMs: run.deployment.createdAt - at('request', '/v1/deployments'),
          submitAnsweredMs: at('headers', '/v1/deployments') - at('request', '/v1/deployments'),
          createdToFirstStepMs: firstStep - run.deployment.createdAt,
          lastStepToExitMs: at('exit') - lastStep,
          requests: run.marks.filter((m) => m.name === 'request').map((m) => `${m.method} ${m.path}`),
        },
        controllerSyncs: { count: inRun.length, ms: Math.round(inRun.reduce((a, s) => a + s.ms, 0)), duringStepsCount: inSteps.length, duringStepsMs: Math.round(inSteps.reduce((a, s) => a + s.ms, 0)) },
        events: run.deployment.eventCount,
        steps: run.steps.length,
      };
    });
    const result = { hosts: N, runs: rows };
    console.log(JSON.stringify(result, null, 2));
    if (values.out) writeFileSync(values.out, `${JSON.stringify(result, null, 2)}\n`);
  } finally {
    strace?.kill('SIGINT');
    process.off('SIGINT', onSignal);
    process.off('SIGTERM', onSignal);
    await fleet.stop();
  }
}

main().catch((err: unknown) => {
  console.error(err);
  process.exitCode = 1;
});
