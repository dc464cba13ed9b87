// Fleet deployment benchmark (issue 12): one controller, N protocol-level simulated agents in a separate
// process (real enrollment, real handshake; they answer the rollout's operations after realistic delays
// and drop their connection on 0.5 % of the changes, ../fleet/sim-ops.ts). The same `deploy -P` (boot
// groups of 25 %) goes to 100, 1,000 and 10,000 of them in one run: planning, fan-out and bookkeeping
// alone. Measures wall time, controller CPU and peak RSS, store growth, and the latency of `GET /v1/agents`
// (what `drover agents` calls) polled throughout. Usage:
//   node bench/dist/fleet/run-fleet-bench.js [--sizes 100,1000,10000] [--drop-rate 0.005]
import { fork } from 'node:child_process';
import { mkdtempSync, rmSync, statSync } from 'node:fs';
import { cpus, tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { adminApi, adminToken, cpuTicks, rssKiB, sleep, startController } from '../channel/controller-proc.js';

const here = fileURLToPath(new URL('.', import.meta.url));
const { values } = parseArgs({ options: { sizes: { type: 'string', default: '100,1000,10000' }, 'drop-rate': { type: 'string', default: '0.005' }, 'cpu-prof-dir': { type: 'string' } } });
// A V8 CPU profile of the controller, written when it exits at the end of the run.
const PROFILE = values['cpu-prof-dir'] ? ['--cpu-prof', '--cpu-prof-dir', resolve(values['cpu-prof-dir'])] : [];
const SIZES = values.sizes.split(',').map(Number);
const FLEET = Math.max(...SIZES);

function deployYml(size: number): string {
  const hosts = Array.from({ length: size }, (_, i) => `      - bench-${i}`).join('\n');
  return `service: fleet-${size}\nimage: bench/app\nregistry:\n  server: registry.bench:5000\n  username: bench\n  password: [KAMAL_REGISTRY_PASSWORD]\nbuilder:\n  arch: amd64\n`
    + `servers:\n  web:\n    hosts:\n${hosts}\nproxy:\n  app_port: 3000\nboot:\n  limit: 25%\n`;
}

const percentile = (xs: number[], p: number) => {
  const sorted = [...xs].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))] ?? NaN;
};

async function main(): Promise<void> {
  const dir = mkdtempSync(join(tmpdir(), 'drover-fleet-bench-'));
  const dataDir = join(dir, 'ctl');
  const ctl = await startController(dataDir, 20000 + Math.floor(Math.random() * 20000), PROFILE);
  const api = adminApi(ctl, await adminToken(dataDir));
  const storeBytes = () => ['controller.db', 'controller.db-wal'].reduce((n, f) => { try { return n + statSync(join(dataDir, f)).size; } catch { return n; } }, 0);
  try {
    const join1 = await api.call('POST', '/v1/agents/tokens', { reusable: true, ttlSeconds: 3600 });
    const agents = fork(resolve(here, '../channel/load-agents.js'), [JSON.stringify({
      url: ctl.url, fingerprint: ctl.fingerprint, token: join1.token, count: FLEET, concurrency: 32, mode: 'fleet', dropRate: Number(values['drop-rate']),
    })], { stdio: ['ignore', 'inherit', 'inherit', 'ipc'] });
    let online = 0;
    agents.on('message', (m: { type: string; online?: number; message?: string }) => {
      if (m.type === 'progress') online = m.online ?? 0;
      if (m.type === 'error') console.error('simulated agents:', m.message);
    });
    const t0 = performance.now();
    while (online < FLEET && performance.now() - t0 < 600_000) await sleep(100);
    console.error(`# ${online} simulated agents online in ${((performance.now() - t0) / 1000).toFixed(1)} s`);

    const rows = [];
    for (const size of SIZES) rows.push(await deployTo(size));
    agents.send({ type: 'stop' });
    const base = rows[0]!;
    console.log(`machine: ${cpus().length} × ${cpus()[0]?.model ?? 'cpu'}, node ${process.version}; ${FLEET} agents connected throughout`);
    console.log('| hosts | status | wall | per host | vs first | controller CPU | peak RSS | store growth | `GET /v1/agents` p50 / p99 (n) |');
    console.log('|---|---|---|---|---|---|---|---|---|');
    for (const r of rows) {
      const perHost = r.wallS / r.size;
      console.log(`| ${r.size} | ${r.status} | ${r.wallS.toFixed(1)} s | ${(perHost * 1000).toFixed(2)} ms | ${(perHost / (base.wallS / base.size)).toFixed(2)}× | ${r.cpuS.toFixed(1)} s | ${r.rssMiB.toFixed(0)} MiB | ${r.storeMiB.toFixed(1)} MiB | ${r.agentsP50.toFixed(0)} / ${r.agentsP99.toFixed(0)} ms (${r.agentsCalls}) |`);
    }
  } finally {
    await api.close();
    ctl.proc.kill('SIGTERM');
    await new Promise((r) => ctl.proc.once('exit', r));
    rmSync(dir, { recursive: true, force: true });
  }

  /** One deployment to the first `size` agents, watched to its end while `GET /v1/agents` is polled. */
  async function deployTo(size: number) {
    const pid = ctl.proc.pid!;
    const cpu0 = cpuTicks(pid);
    const store0 = storeBytes();
    let rssPeak = rssKiB(pid);
    const started = performance.now();
    const created = await api.call('POST', '/v1/deployments', {
      command: 'deploy', files: [{ name: 'config/deploy.yml', content: deployYml(size) }], version: 'v1', secrets: { KAMAL_REGISTRY_PASSWORD: 'bench' },
      performer: 'bench', lockHolder: 'bench', skipPush: true,
    });
    const id = String((created.deployment as { id?: string } | undefined)?.id ?? '');
    if (!id) throw new Error(`deployment refused: ${JSON.stringify(created).slice(0, 500)}`);
    const latencies: number[] = [];
    let status = 'running';
    const poller = (async () => {
      while (status === 'running') {
        const t = performance.now();
        await api.call('GET', '/v1/agents');
        latencies.push(performance.now() - t);
        rssPeak = Math.max(rssPeak, rssKiB(pid));
        await sleep(250);
      }
    })();
    while (status === 'running') {
      // Once a second, as someone watching `drover deployments` would: the status is not what is measured.
      await sleep(1_000);
      // The list view, not the deployment's detail: that carries every step (60,000 at 10,000 hosts).
      const list = (await api.call('GET', `/v1/deployments?service=fleet-${size}&limit=1`)).deployments as Array<{ id: string; status: string }> | undefined;
      status = list?.find((d) => d.id === id)?.status ?? 'unknown';
    }
    const wallS = (performance.now() - started) / 1000;
    await poller;
    return {
      size, status, wallS, cpuS: (cpuTicks(pid) - cpu0) / 100, rssMiB: rssPeak / 1024, storeMiB: (storeBytes() - store0) / (1024 * 1024),
      agentsP50: percentile(latencies, 50), agentsP99: percentile(latencies, 99), agentsCalls: latencies.length,
    };
  }
}

main().catch((err: Error) => { console.error(err); process.exit(1); });
