// Channel benchmark: one controller process, N lightweight agents in a separate
// process doing real enrollment and handshakes. Measures initial connect rate,
// reconnect-storm rate after a controller kill -9, RSS per connection, RPC
// broadcast latency, and idle heartbeat CPU. Usage:
//   node bench/dist/channel/run-channel-bench.js [--agents 10000] [--idle-seconds 30]
import { fork, spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { cpus, tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { adminApi, adminToken, cpuTicks, rssKiB, sleep, startController as startControllerWith } from './controller-proc.js';

const here = fileURLToPath(new URL('.', import.meta.url));
const { values } = parseArgs({ options: { agents: { type: 'string', default: '10000' }, 'idle-seconds': { type: 'string', default: '30' }, 'cpu-prof-dir': { type: 'string' } } });
const N = Number(values.agents);
const IDLE_S = Number(values['idle-seconds']);
// V8 CPU profiles of the controller (the restarted one: the first dies by SIGKILL) and the load process.
const PROFILE = values['cpu-prof-dir'] ? ['--cpu-prof', '--cpu-prof-dir', resolve(values['cpu-prof-dir'])] : [];
const startController = (dataDir: string, port: number) => startControllerWith(dataDir, port, PROFILE);

/**
 * The same load process against bare-server.ts (same HTTPS + ws stack and
 * certificate, no protocol, no auth, no state) on this machine at this moment:
 * the ceiling our handshake rate is compared with.
 */
async function bareBaseline(certDir: string, fingerprint: string): Promise<{ connectPerSec: number }> {
  const server = spawn(process.execPath, [resolve(here, 'bare-server.js'), certDir, '127.0.0.1'], { stdio: ['ignore', 'pipe', 'inherit'] });
  const port = await new Promise<number>((r) => server.stdout!.once('data', (d: Buffer) => r(Number(d.toString().trim()))));
  const load = fork(resolve(here, 'load-agents.js'), [JSON.stringify({ url: `https://127.0.0.1:${port}`, fingerprint, token: '', count: N, concurrency: 32, mode: 'bare' })], { stdio: ['ignore', 'inherit', 'inherit', 'ipc'] });
  let online = 0;
  let ms = 0;
  load.on('message', (m: { type: string; online: number; ms: number }) => { if (m.type === 'progress') ({ online, ms } = m); });
  const t0 = performance.now();
  while (online < N && performance.now() - t0 < 300_000) await sleep(20);
  load.send({ type: 'stop' });
  await new Promise((r) => load.once('exit', r));
  server.kill('SIGTERM');
  await new Promise((r) => server.once('exit', r));
  return { connectPerSec: Math.round(online / (ms / 1000)) };
}

async function main(): Promise<void> {
  const dir = mkdtempSync(join(tmpdir(), 'drover-bench-'));
  const port = 20000 + Math.floor(Math.random() * 20000);
  let ctl = await startController(join(dir, 'ctl'), port);
  const client = adminApi(ctl, await adminToken(join(dir, 'ctl')));
  const api = (path: string, body: unknown) => client.call('POST', path, body);
  const join1 = await api('/v1/agents/tokens', { reusable: true, ttlSeconds: 3600 });
  const baseline = await bareBaseline(join(dir, 'ctl', 'tls'), ctl.fingerprint);
  const baseRss = rssKiB(ctl.proc.pid!);

  const clients = fork(resolve(here, 'load-agents.js'), [JSON.stringify({ url: ctl.url, fingerprint: ctl.fingerprint, token: join1.token, count: N, concurrency: 32 })], { stdio: ['ignore', 'inherit', 'inherit', 'ipc'], execArgv: PROFILE });
  let last: { online: number; handshakes: number; ms: number } = { online: 0, handshakes: 0, ms: 0 };
  let enrollMs = 0;
  clients.on('message', (m: { type: string; online: number; handshakes: number; ms: number; message?: string }) => {
    if (m.type === 'progress') last = m;
    if (m.type === 'enrolled') enrollMs = m.ms;
    if (m.type === 'error') console.error('load client error:', m.message);
  });
  const waitOnline = async (target: number, timeoutMs: number) => {
    const t0 = performance.now();
    while (last.online < target && performance.now() - t0 < timeoutMs) await sleep(50);
    return performance.now() - t0;
  };
  while (enrollMs === 0) await sleep(100);
  const initialMs = await waitOnline(N, 300_000);
  const rss = rssKiB(ctl.proc.pid!);

  const bcast = [];
  for (let i = 0; i < 3; i++) bcast.push(await api('/v1/agents/broadcast', { method: 'agent.ping', timeoutMs: 30_000 }));

  const cpu0 = cpuTicks(ctl.proc.pid!);
  await sleep(IDLE_S * 1000);
  const idleCpuPct = ((cpuTicks(ctl.proc.pid!) - cpu0) / 100 / IDLE_S) * 100;

  // Reconnect storm: kill -9 and restart on the same port and data dir.
  ctl.proc.kill('SIGKILL');
  await new Promise((r) => ctl.proc.once('exit', r));
  await client.close();
  while (last.online > 0) await sleep(20);
  const tRestart = performance.now();
  ctl = await startController(join(dir, 'ctl'), port);
  const startupMs = performance.now() - tRestart;
  const stormMs = await waitOnline(N, 300_000);
  const stormOnline = last.online;

  clients.send({ type: 'stop' });
  ctl.proc.kill('SIGTERM');
  await new Promise((r) => ctl.proc.once('exit', r));
  rmSync(dir, { recursive: true, force: true });
  const result = {
    machine: `${cpus().length} × ${cpus()[0]?.model ?? 'cpu'}, node ${process.version}`,
    agents: N,
    enrollPerSec: Math.round(N / (enrollMs / 1000)),
    initialConnectPerSec: Math.round(N / (initialMs / 1000)),
    baselineBareTlsWsConnectPerSec: baseline.connectPerSec,
    initialVsBaseline: +((N / (initialMs / 1000)) / baseline.connectPerSec).toFixed(2),
    reconnectStorm: { online: stormOnline, controllerStartupSeconds: +(startupMs / 1000).toFixed(2), secondsAfterReady: +(stormMs / 1000).toFixed(2), handshakesPerSec: Math.round(stormOnline / (stormMs / 1000)) },
    controllerRssMiB: +(rss / 1024).toFixed(1),
    baselineRssMiB: +(baseRss / 1024).toFixed(1),
    rssPerConnectionKiB: +((rss - baseRss) / N).toFixed(1),
    broadcast: bcast.map((b) => ({ agents: b.agents, ok: b.ok, failed: b.failed, p50Ms: +(Number(b.p50Ms)).toFixed(1), p99Ms: +(Number(b.p99Ms)).toFixed(1), totalMs: +(Number(b.totalMs)).toFixed(1) })),
    idleHeartbeatCpuPercent: +idleCpuPct.toFixed(2),
  };
  console.log(JSON.stringify(result, null, 2));
}

main().catch((err: Error) => { console.error(err); process.exit(1); });
