// The agent's idle cost (issue 11): RSS and CPU of a connected drover-agent on a rig host that runs 20 app
// containers, sampled over a window, against a bare node process on the same host in the same window
// (the baseline: what any Node program costs there). Also the size of the single-executable artifact.
// The agent runs from a copy downloaded with curl from the controller, as install.sh gets it: how a binary
// was written changes its RSS. Linux maps a file's page cache in folios, and a file written in large
// chunks (the artifact build, `dd bs=4M`) is cached in large folios, mapped whole on the first touch:
// the same binary then shows ≈ 16 MiB more of its executable's pages than when written in curl's 16 KiB
// pieces or read back after the host's boot (BENCHMARKS.md, "Agent at idle").
import { execFileSync } from 'node:child_process';
import { chmodSync, existsSync, readFileSync, readlinkSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { Fleet } from '@drover/test/e2e/fleet';
import { agentBinaryOnHost } from '@drover/test/e2e/channel-procs';
import { BUSYBOX_IMAGE, buildImage, followProgress, pushImage, waitFor } from '@drover/test/rig/index';
import { curlPinOf } from '@drover/shared/protocol';
import { sleep } from '../deploy/setup.js';

const HOST = 'web-1';
const REPO = new URL('../../..', import.meta.url).pathname;
const ARTIFACT = join(REPO, 'agent/dist/artifacts/drover-agent-linux-x64');
/** Linux's USER_HZ: /proc/PID/stat counts CPU time in these. */
const CLOCK_TICKS = 100;
/** After the agent's first inventory arrived: still its start, not yet idle. */
const START_MS = 15_000;

interface Sample { rssKiB: number; anonKiB: number; fileKiB: number; cpuTicks: number }

function sampleOf(pid: number): Sample {
  const status = readFileSync(`/proc/${pid}/status`, 'utf8');
  const field = (name: string) => Number(new RegExp(`${name}:\\s+(\\d+)`).exec(status)?.[1] ?? NaN);
  const rssKiB = field('VmRSS');
  // Fields after the command name (which may hold spaces): state is the 3rd field, utime the 14th, stime the 15th.
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  const rest = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  return { rssKiB, anonKiB: field('RssAnon'), fileKiB: field('RssFile'), cpuTicks: Number(rest[11]) + Number(rest[12]) };
}

/** The process behind a spawned rig-host command (nsenter may fork rather than exec) whose executable ends with `exe`. */
function processOf(pid: number, exe: string): number {
  if (readlinkSync(`/proc/${pid}/exe`).endsWith(exe)) return pid;
  const children = readFileSync(`/proc/${pid}/task/${pid}/children`, 'utf8').trim().split(/\s+/).map(Number);
  const child = children.find((c) => readlinkSync(`/proc/${c}/exe`).endsWith(exe));
  if (!child) throw new Error(`no ${exe} process under pid ${pid}`);
  return child;
}

/** The artifact as install.sh downloads it: curl from the controller, pinned to its key. */
function downloadArtifact(fleet: Fleet): string {
  const dest = join(fleet.dir, 'drover-agent');
  const url = `${fleet.controller.url}/artifacts/drover-agent-linux-x64`;
  execFileSync('curl', ['-fsS', '--proto', '=https', '--pinnedpubkey', curlPinOf(fleet.controller.fingerprint), '-k', '-o', dest, url]);
  chmodSync(dest, 0o755);
  return dest;
}

/** Replaces the fleet's agent (node + compiled code) with the artifact a host installs, same identity. */
async function runArtifact(fleet: Fleet, nodeOptions: string) {
  const binary = downloadArtifact(fleet);
  await fleet.stopAgent(HOST);
  const agent = agentBinaryOnHost(fleet.host(HOST), [binary], ['run', '--data-dir', '/root/.drover-agent'], { NODE_OPTIONS: nodeOptions });
  await agent.waitFor(/info connected/, 20_000);
  return agent;
}

async function appContainers(fleet: Fleet, count: number): Promise<void> {
  const image = `${fleet.rig.registry.server}/drover/idle-app:1`;
  await buildImage(fleet.rig.operator.docker, await idleContext(fleet), image);
  await pushImage(fleet.rig.operator.docker, image, fleet.rig.registry);
  const docker = fleet.host(HOST).docker;
  const auth = { username: fleet.rig.registry.username, password: fleet.rig.registry.password, serveraddress: fleet.rig.registry.server };
  await followProgress(docker, await docker.pull(image, { authconfig: auth }));
  for (let i = 0; i < count; i++) {
    const c = await docker.createContainer({
      name: `idle-app-web-v${i}`, Image: image, Cmd: ['sh', '-c', 'trap "exit 0" TERM; while true; do sleep 3600; done'],
      Labels: { service: 'idle-app', role: 'web', destination: '' },
    });
    await c.start();
  }
}

async function idleContext(fleet: Fleet): Promise<string> {
  const { mkdirSync, writeFileSync } = await import('node:fs');
  const dir = join(fleet.dir, 'idle-app');
  mkdirSync(dir, { recursive: true });
  writeFileSync(join(dir, 'Dockerfile'), `FROM ${BUSYBOX_IMAGE}\nLABEL service=idle-app\n`);
  return dir;
}

function artifactSize(): string {
  if (!existsSync(ARTIFACT)) execFileSync('npm', ['run', 'build:artifacts', '-w', '@drover/agent'], { cwd: REPO, stdio: 'inherit' });
  return `${(statSync(ARTIFACT).size / (1024 * 1024)).toFixed(1)} MiB`;
}

async function main(): Promise<void> {
  const { values } = parseArgs({ options: { seconds: { type: 'string', default: '60' }, containers: { type: 'string', default: '20' }, 'node-options': { type: 'string', default: '' } } });
  const seconds = Number(values.seconds);
  const containers = Number(values.containers);
  const size = artifactSize();
  const fleet = await Fleet.start([HOST]);
  try {
    await appContainers(fleet, containers);
    const agent = await runArtifact(fleet, values['node-options']);
    const agentPid = processOf(agent.child.pid!, '/drover-agent');
    // From the connection on: the start (bundle compiled, first inventory) until V8's memory reducer has
    // returned its garbage, which it does ≈ 8 s after the allocations stop.
    let startPeak = sampleOf(agentPid).rssKiB;
    const startSampler = setInterval(() => { startPeak = Math.max(startPeak, sampleOf(agentPid).rssKiB); }, 250);
    const reported = async () => new Set((await fleet.run(['agents', 'inventory', HOST], fleet.dir)).out.match(/idle-app-web-v\d+/g) ?? []).size;
    await waitFor(`the agent reports ${containers} containers`, async () => ((await reported()) === containers ? true : undefined), 30_000);
    const bare = fleet.host(HOST).spawn([process.execPath, '-e', 'setInterval(() => {}, 3600000)'], { stdio: 'ignore' });
    await sleep(START_MS);
    clearInterval(startSampler);
    const pids = { agent: agentPid, bare: processOf(bare.pid!, '/node') };
    const first = { agent: sampleOf(pids.agent), bare: sampleOf(pids.bare) };
    const peak = { agent: first.agent.rssKiB, bare: first.bare.rssKiB };
    for (let t = 0; t < seconds; t += 5) {
      await sleep(5_000);
      peak.agent = Math.max(peak.agent, sampleOf(pids.agent).rssKiB);
      peak.bare = Math.max(peak.bare, sampleOf(pids.bare).rssKiB);
    }
    const last = { agent: sampleOf(pids.agent), bare: sampleOf(pids.bare) };
    bare.kill('SIGKILL');
    await agent.stop('SIGKILL');
    const cpu = (k: 'agent' | 'bare') => (100 * (last[k].cpuTicks - first[k].cpuTicks)) / CLOCK_TICKS / seconds;
    const mib = (kib: number) => (kib / 1024).toFixed(1);
    const againstTarget = (kib: number) => `${mib(kib)} MiB (${((kib * 1024) / 1e6).toFixed(1)} MB)`;
    const verdict = (kib: number) => `≤ 60 MB ${(kib * 1024) / 1e6 <= 60 ? '✔' : '✘'}`;
    console.log(`| | drover-agent (${containers} app containers, controller connected, heartbeat 1 s) | bare node (same host, same window) | ratio | target |`);
    console.log('|---|---|---|---|---|');
    console.log(`| RSS idle, peak over ${seconds} s | ${againstTarget(peak.agent)} | ${mib(peak.bare)} MiB | ${(peak.agent / peak.bare).toFixed(2)}× | ${verdict(peak.agent)} |`);
    console.log(`| RSS while starting, peak from its connection to ${START_MS / 1000} s after its first inventory | ${againstTarget(startPeak)} | | | ${verdict(startPeak)} |`);
    const split = (x: Sample) => `${mib(x.anonKiB)} MiB anonymous + ${mib(x.fileKiB)} MiB of its executable's pages`;
    console.log(`| RSS at the end, of which | ${split(last.agent)} | ${split(last.bare)} | | |`);
    console.log(`| CPU, mean over ${seconds} s | ${cpu('agent').toFixed(2)} % of a core | ${cpu('bare').toFixed(2)} % | | < 0.5 % ${cpu('agent') < 0.5 ? '✔' : '✘'} |`);
    console.log(`| artifact drover-agent-linux-x64 | ${size} | | | |`);
  } finally {
    await fleet.stop();
  }
}

main().catch((err: unknown) => {
  console.error(err instanceof Error ? err.message : String(err));
  process.exit(1);
});
