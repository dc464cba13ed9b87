import { after, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { load } from '@drover/shared/config/test-support';
import { RpcError } from '@drover/shared/protocol';
import { OPERATION_INTERRUPTED } from '@drover/shared/operations/failure';
import { planAutomaticRollback } from '../plan/auto-rollback.js';
import { planRollout } from '../plan/plan.js';
import type { HostTask, PlanInput } from '../plan/types.js';
import type { SwitchedContainer } from '../plan/auto-rollback.js';
import { SqliteStore } from '../store/sqlite-store.js';
import { EventLog } from './events.js';
import { HookGate } from './hook-gate.js';
import { runRollout, type AgentCaller } from './runner.js';

// The runner against a scripted agent caller and a real store: ordering across hosts and roles,
// Kamal's barrier, failures, hooks and the lock. No network, no Docker.

const dir = mkdtempSync(join(tmpdir(), 'drover-runner-'));
const store = new SqliteStore(dir);
after(() => { store.close(); rmSync(dir, { recursive: true, force: true }); });

const YML = `service: app
image: acme/app
registry:
  server: reg.test
  username: u
  password: p
builder:
  arch: amd64
servers:
  web: [vm1, vm2]
  workers:
    hosts: [vm3]
    cmd: jobs
`;
const online = { online: true, lastSeen: 0, registryMirror: null, containers: [], labels: {} };

/** Waits for a condition (polling, bounded). */
async function until(cond: () => boolean, timeoutMs = 5_000): Promise<void> {
  const end = Date.now() + timeoutMs;
  while (!cond()) {
    if (Date.now() > end) throw new Error('condition not met in time');
    await new Promise((r) => setTimeout(r, 10));
  }
}

type Script = (host: string, op: string, params: Record<string, unknown>) => Promise<unknown> | unknown;

/** Records calls as `host op[role]` and answers with the script (defaults are valid catalog results). */
function caller(script: Script = () => undefined, offline = new Set<string>()): { agents: AgentCaller; log: string[] } {
  const log: string[] = [];
  const defaults: Record<string, (p: Record<string, unknown>) => unknown> = {
    'registry.login': () => ({ server: 'reg.test', status: 'ok' }),
    'image.pull': (p) => ({ image: p.image, imageId: 'sha256:x', digest: null }),
    'proxy.boot': () => ({ container: { id: 'p', name: 'kamal-proxy' }, image: 'i', action: 'running', messages: [] }),
    'app.stale_containers': () => ({ containers: [], stopped: [] }),
    'app.boot': (p) => ({ container: { id: 'c', name: `app-${String(p.role)}-v` }, renamed: null, oldVersion: null, stopped: [], status: 'healthy', hostname: 'h', messages: [] }),
    'image.tag': (p) => ({ image: p.image, tag: p.tag }),
    'prune.containers': () => ({ removed: [] }),
    'prune.images': () => ({ removed: [] }),
    'prune.all': () => ({ containers: [], images: [] }),
  };
  return {
    log,
    agents: {
      isOnline: (host) => !offline.has(host),
      async call(host, op, params) {
        const p = params as Record<string, unknown>;
        log.push(`${host} ${op}${op === 'app.boot' ? `[${String(p.role)}]` : ''}`);
        const scripted = await script(host, op, p);
        return (scripted ?? defaults[op]!(p)) as never;
      },
      async callWithInput(host, op, params, input) {
        let bytes = 0;
        for await (const chunk of input()) bytes += chunk.length;
        log.push(`${host} ${op} ${bytes} bytes`);
        return { image: (params as { image: string }).image, imageId: 'sha256:y', digest: null } as never;
      },
    },
  };
}

type PlanRollback = ((switched: SwitchedContainer[]) => HostTask[]) | null;

async function rollout(yml: string, agents: AgentCaller, over: Partial<PlanInput> = {}, hooks = new HookGate({ timeoutMs: 5_000, unattendedMs: 5_000 }), planRollback: PlanRollback = null) {
  const config = await load(yml, { version: 'v' });
  const plan = planRollout({
    command: 'redeploy', config, secrets: {}, selection: { roles: [], hosts: [], primary: false },
    agents: { vm1: online, vm2: online, vm3: online }, performer: 'me', hooks: [], assets: { errorPages: null, accessoryFiles: {} }, skipPush: true, ...over,
  });
  const id = `dep-test-${Math.random().toString(16).slice(2, 10)}`;
  store.createDeployment({ id, service: 'app', destination: null, command: plan.command, version: 'v', performer: 'me', createdAt: Date.now(), snapshot: {} });
  const events = new EventLog(store);
  const outcome = await runRollout({
    deploymentId: id, plan, lockHolder: 'me', lockKey: plan.lockKey, lockWait: null, bootSeconds: 5, agents, store, events, hooks,
    images: { open: async function* (service: string, version: string) { yield Buffer.from(`archive of ${service}:${version}`); } },
    redact: (s) => s, signal: new AbortController().signal, planRollback,
  });
  const says = store.listEvents(id, 0).flatMap((e) => ((e.event as { type: string }).type === 'say' ? [(e.event as { text: string }).text] : []));
  return { id, outcome, says };
}

test('workers wait for the first healthy web container, then boot; tag only after every boot', async () => {
  const release: Array<() => void> = [];
  const { agents, log } = caller(async (host, op, p) => {
    if (op === 'app.boot' && p.role === 'web') await new Promise<void>((r) => release.push(r));
  });
  const running = rollout(YML, agents);
  try {
    await until(() => release.length === 2);
    assert.ok(!log.includes('vm3 app.boot[workers]'), 'the worker waits at the barrier');
  } finally {
    release.forEach((r) => r());
  }
  const { outcome, says } = await running;
  assert.equal(outcome.status, 'succeeded');
  assert.ok(says.includes('Waiting for the first healthy web container before booting workers on vm3...'));
  assert.match(says.find((s) => s.startsWith('First web container is healthy on'))!, /^First web container is healthy on vm[12], booting any other roles$/);
  assert.ok(says.includes('First web container is healthy, booting workers on vm3...'));
  const lastBoot = Math.max(...log.map((l, i) => (l.includes('app.boot') ? i : -1)));
  assert.ok(log.findIndex((l) => l.endsWith('image.tag')) > lastBoot);
});

test('a failed primary container closes the barrier: workers are not booted; every failure is reported; the lock is free', async () => {
  const { agents, log } = caller((host, op) => {
    if (op === 'app.boot' && host === 'vm2') throw new RpcError('operation_failed', 'app-web-v on vm2 did not become healthy: 404', { details: ['likely cause: no route'], exitCode: 1 });
    if (op === 'app.boot' && host === 'vm1') return new Promise((r) => setTimeout(r, 30)).then(() => { throw new RpcError('internal', 'boom'); });
    return undefined;
  });
  const { outcome, says } = await rollout(YML, agents);
  assert.deepEqual([outcome.status, outcome.error], ['failed', 'Exceptions on 3 hosts:']);
  assert.deepEqual(outcome.details, ['vm1: boom', 'vm2: app-web-v on vm2 did not become healthy: 404', '  likely cause: no route', 'vm3: Halted at barrier'], 'each host\'s explanation under its own line');
  assert.ok(says.includes('First web container is unhealthy on vm2, not booting any other roles'));
  assert.ok(says.includes('First web container is unhealthy, not booting workers on vm3'));
  assert.ok(!log.includes('vm3 app.boot[workers]'));
  assert.equal(store.getLock('app'), null);
});

test('boot groups run one after another; parallel_roles boots the roles of a host together', async () => {
  const { agents, log } = caller();
  await rollout(YML + 'boot:\n  limit: 1\n', agents);
  assert.deepEqual(log.filter((l) => l.includes('app.boot')), ['vm1 app.boot[web]', 'vm2 app.boot[web]', 'vm3 app.boot[workers]']);

  const both = `${YML.replace('servers:\n  web: [vm1, vm2]\n  workers:\n    hosts: [vm3]', 'servers:\n  web: [vm1]\n  workers:\n    hosts: [vm1]')}boot:\n  parallel_roles: true\n`;
  const { agents: a2, log: l2 } = caller();
  const { outcome } = await rollout(both, a2);
  assert.equal(outcome.status, 'succeeded');
  assert.deepEqual(l2.filter((l) => l.includes('app.boot')), ['vm1 app.boot[web]', 'vm1 app.boot[workers]']);
});

test('a hook the operator reports as failed ends the rollout there, with its message, lock released', async () => {
  const hooks = new HookGate({ timeoutMs: 5_000, unattendedMs: 5_000 });
  const { agents, log } = caller();
  const running = rollout(YML, agents, { hooks: ['pre-deploy'] }, hooks);
  const waiting = () => store.listDeployments({ status: 'running', limit: 10 }).flatMap((d) => store.listEvents(d.id, 0)
    .map((e) => e.event as { type: string; step?: string })
    .filter((e) => e.type === 'hook' && hooks.isPending(d.id, e.step!))
    .map((e) => ({ id: d.id, step: e.step! })))[0];
  await until(() => waiting() !== undefined);
  const { id, step } = waiting()!;
  hooks.report(id, step, { ok: false, message: 'Hook `pre-deploy` failed:\nCI is red' });
  const { outcome } = await running;
  assert.deepEqual([outcome.status, outcome.error], ['failed', 'Hook `pre-deploy` failed:\nCI is red']);
  assert.ok(!log.some((l) => l.includes('app.boot')));
  assert.equal(store.getLock('app'), null);
});

test('x-drover/offline: wait: the rollout starts once the agents are connected, or fails naming those that never came', async () => {
  const yml = `${YML}x-drover:\n  offline: wait\n  agent_timeout: 1\n`;
  const late = new Set(['vm2']);
  const { agents, log } = caller(() => undefined, late);
  const agentsOffline = { vm1: online, vm2: { ...online, online: false, lastSeen: 0 }, vm3: online };
  const running = rollout(yml, agents, { agents: agentsOffline });
  await until(() => store.listDeployments({ status: 'running', limit: 10 }).length > 0);
  late.clear();
  const { outcome, says } = await running;
  assert.equal(outcome.status, 'succeeded');
  assert.deepEqual(says.slice(0, 2), ['Waiting up to 1s for agents to connect: vm2 (last seen 1970-01-01T00:00:00.000Z)...', 'Agents connected: vm2']);
  assert.ok(log.includes('vm2 app.boot[web]'));

  const { agents: never, log: nothing } = caller(() => undefined, new Set(['vm2']));
  const timedOut = await rollout(yml, never, { agents: agentsOffline });
  assert.deepEqual([timedOut.outcome.status, timedOut.outcome.error], ['failed', 'vm2: agent vm2 did not connect within 1s']);
  assert.deepEqual(nothing, [], 'nothing ran, not even a pull');
  assert.equal(store.getLock('app'), null);
});

test('a local registry: each host gets the image archive streamed through the controller, no login, no pull', async () => {
  const { agents, log } = caller();
  const { outcome } = await rollout(YML.replace('server: reg.test', 'server: localhost:5555'), agents);
  assert.equal(outcome.status, 'succeeded');
  assert.deepEqual(log.slice(0, 3).sort(), ['vm1 image.load 16 bytes', 'vm2 image.load 16 bytes', 'vm3 image.load 16 bytes']);
  assert.ok(!log.some((l) => /registry.login|image.pull/.test(l)));
});

test('accessory boot: Kamal\'s one line for the hosts where the container already exists; host lines of subcommands', async () => {
  const yml = `${YML}accessories:\n  db:\n    image: postgres:16\n    hosts: [vm3, vm1, vm2]\n`;
  const { agents } = caller((host, op) => (op === 'accessory.boot'
    ? { container: 'app-db', id: host === 'vm2' ? 'x' : null, action: host === 'vm2' ? 'created' : 'skipped', messages: [] }
    : undefined));
  const { id, outcome, says } = await rollout(yml, agents, { command: 'accessory boot', options: { accessories: ['db'] } });
  assert.equal(outcome.status, 'succeeded');
  assert.deepEqual(says, ['Acquiring the deploy lock...', 'Skipping booting `db` on vm1, vm3, a container already exists', 'Releasing the deploy lock...']);
  const hostLines = store.listEvents(id, 0).flatMap((e) => ((e.event as { type: string }).type === 'host' ? [(e.event as { host: string; text: string })] : []));
  assert.deepEqual(hostLines.map((e) => `${e.host}: ${e.text}`).sort(), ['vm1: app-db already exists, skipped', 'vm2: app-db booted', 'vm3: app-db already exists, skipped']);

  const { agents: a2 } = caller((host, op) => {
    if (op === 'app.stop') return { containers: host === 'vm3' ? [] : ['app-web-v'], messages: [] };
    return undefined;
  });
  const stop = await rollout(YML, a2, { command: 'app stop' });
  const lines = store.listEvents(stop.id, 0).flatMap((e) => ((e.event as { type: string }).type === 'host' ? [`${(e.event as { host: string }).host}: ${(e.event as { text: string }).text}`] : []));
  assert.deepEqual(lines.sort(), ['vm1: stopped app-web-v', 'vm2: stopped app-web-v', 'vm3: nothing stopped']);
});

describe('automatic rollback', () => {
  const YML_GROUPS = `${YML}boot:\n  limit: 1\n`;
  const rollbackTo = async (yml: string): Promise<PlanRollback> => {
    const v0 = await load(yml, { version: 'v0' });
    return (switched) => planAutomaticRollback({ configAt: () => v0, secretsFor: () => ({}), assets: { errorPages: null, accessoryFiles: {} }, performer: 'me' }, switched);
  };
  /** vm1 switches from v0 in the first group; vm2's container fails its health gate in the second. */
  const script = (boots: string[], rollbackFails = false): Script => (host, op, p) => {
    if (op !== 'app.boot') return undefined;
    boots.push(`${host} ${String(p.role)} ${String(p.version)}`);
    if (host === 'vm2') throw new RpcError('operation_failed', 'app-web-v on vm2 did not become healthy', { details: [], exitCode: 1 });
    if (p.version === 'v0' && rollbackFails) throw new RpcError('operation_failed', 'image gone', { details: [], exitCode: 1 });
    return { container: { id: 'c', name: `app-web-${String(p.version)}` }, renamed: null, oldVersion: p.version === 'v' ? 'v0' : 'v', stopped: [], status: 'healthy', hostname: 'h', messages: [] };
  };

  test('the hosts that switched go back to their previous version; the deployment ends rolled_back, a line per host', async () => {
    const boots: string[] = [];
    const { agents } = caller(script(boots));
    const { outcome, says } = await rollout(YML_GROUPS, agents, {}, undefined, await rollbackTo(YML_GROUPS));
    assert.deepEqual(boots, ['vm1 web v', 'vm2 web v', 'vm1 web v0']);
    assert.deepEqual([outcome.status, outcome.error, outcome.exitCode], ['rolled_back', 'vm2: app-web-v on vm2 did not become healthy', 1]);
    assert.deepEqual(outcome.details, ['vm1: rolled back (web on v0)']);
    assert.ok(says.includes('Rolling back vm1 to version v0...'), says.join('\n'));
    assert.ok(says.includes('Rolled back 1 host'));
    assert.equal(store.getLock('app'), null);
  });

  test('a boot the agent was killed in the middle of may have switched: it goes back too, to the version its role replaced elsewhere', async () => {
    const boots: string[] = [];
    const { agents } = caller((host, op, p) => {
      if (op !== 'app.boot') return undefined;
      boots.push(`${host} ${String(p.role)} ${String(p.version)}`);
      if (host === 'vm2' && p.version === 'v') throw new RpcError(OPERATION_INTERRUPTED, 'app.boot was interrupted: the agent stopped while it ran');
      return { container: { id: 'c', name: `app-web-${String(p.version)}` }, renamed: null, oldVersion: p.version === 'v' ? 'v0' : 'v', stopped: [], status: 'healthy', hostname: 'h', messages: [] };
    });
    const { outcome, says } = await rollout(YML_GROUPS, agents, {}, undefined, await rollbackTo(YML_GROUPS));
    assert.deepEqual(boots, ['vm1 web v', 'vm2 web v', 'vm1 web v0', 'vm2 web v0']);
    assert.deepEqual([outcome.status, outcome.error], ['rolled_back', 'vm2: app.boot was interrupted: the agent stopped while it ran']);
    assert.deepEqual(outcome.details, ['vm1: rolled back (web on v0)', 'vm2: rolled back (web on v0)']);
    assert.ok(says.includes('Rolling back vm1, vm2 to version v0...'), says.join('\n'));
  });

  test('a host that cannot go back is reported and the deployment ends failed', async () => {
    const boots: string[] = [];
    const { agents } = caller(script(boots, true));
    const { outcome, says } = await rollout(YML_GROUPS, agents, {}, undefined, await rollbackTo(YML_GROUPS));
    assert.equal(outcome.status, 'failed');
    assert.deepEqual(outcome.details, ['vm1: rollback failed (web on v0): image gone']);
    assert.ok(says.includes('Automatic rollback incomplete, see the hosts below'));
  });

  test('off (x-drover/auto_rollback: false): Kamal\'s behaviour, the switched host stays on the new version', async () => {
    const boots: string[] = [];
    const { agents } = caller(script(boots));
    const { outcome } = await rollout(YML_GROUPS, agents, {}, undefined, null);
    assert.deepEqual(boots, ['vm1 web v', 'vm2 web v']);
    assert.equal(outcome.status, 'failed');
  });

  test('a failure outside the boot groups (a hook) rolls nothing back', async () => {
    const hooks = new HookGate({ timeoutMs: 5_000, unattendedMs: 5_000 });
    const boots: string[] = [];
    const { agents } = caller((host, op, p) => (host === 'vm2' ? undefined : script(boots)(host, op, p)));
    const running = rollout(YML_GROUPS, agents, { hooks: ['post-deploy'] }, hooks, await rollbackTo(YML_GROUPS));
    await until(() => store.listDeployments({ status: 'running', limit: 10 }).some((d) => store.listEvents(d.id, 0).some((e) => (e.event as { type: string }).type === 'hook')));
    const d = store.listDeployments({ status: 'running', limit: 10 }).find((x) => store.listEvents(x.id, 0).some((e) => (e.event as { type: string }).type === 'hook'))!;
    const step = (store.listEvents(d.id, 0).map((e) => e.event as { type: string; step?: string }).find((e) => e.type === 'hook'))!.step!;
    hooks.report(d.id, step, { ok: false, message: 'post-deploy failed' });
    const { outcome } = await running;
    assert.equal(outcome.status, 'failed');
    assert.ok(!boots.some((b) => b.endsWith(' v0')), boots.join(', '));
  });

  describe('canary', () => {
    const CANARY = `${YML}x-drover:\n  auto_rollback: false\n  canary:\n    hosts: 1\n    soak: 1\n`;
    const probe = (healthy: (host: string, n: number) => boolean, boots: string[]): Script => {
      const probes = new Map<string, number>();
      return (host, op, p) => {
        if (op === 'app.probe') {
          const n = (probes.get(host) ?? 0) + 1;
          probes.set(host, n);
          const ok = healthy(host, n);
          return { container: `app-web-${String(p.version)}`, healthy: ok, state: 'running', http: { status: ok ? 200 : 500, ms: 1 }, problem: ok ? null : 'GET /up on port 80 answered 500 Internal Server Error' };
        }
        if (op !== 'app.boot') return undefined;
        boots.push(`${host} ${String(p.role)} ${String(p.version)}`);
        return { container: { id: 'c', name: `app-${String(p.role)}-${String(p.version)}` }, renamed: null, oldVersion: p.version === 'v' ? 'v0' : 'v', stopped: [], status: 'healthy', hostname: 'h', messages: [] };
      };
    };

    test('a canary that turns unhealthy during its soak is rolled back (even with auto_rollback off); no other host boots', async () => {
      const boots: string[] = [];
      const { agents } = caller(probe((_, n) => n < 2, boots));
      const { outcome, says } = await rollout(CANARY, agents, {}, undefined, await rollbackTo(CANARY));
      assert.deepEqual(boots, ['vm1 web v', 'vm1 web v0']);
      assert.deepEqual([outcome.status, outcome.error], ['rolled_back', 'vm1: canary app-web-v failed during its soak: GET /up on port 80 answered 500 Internal Server Error']);
      assert.deepEqual(outcome.details, ['vm1: rolled back (web on v0)']);
      assert.ok(says.includes('Canary vm1: watching the new version for 1s before booting the other hosts...'), says.join('\n'));
      assert.ok(!says.some((l) => l.startsWith('Canary healthy')));
    });

    test('a canary healthy through its soak lets the other hosts boot', async () => {
      const boots: string[] = [];
      const { agents } = caller(probe(() => true, boots));
      const { id, outcome, says } = await rollout(CANARY, agents, {}, undefined, await rollbackTo(CANARY));
      assert.equal(outcome.status, 'succeeded');
      assert.deepEqual(boots.sort(), ['vm1 web v', 'vm2 web v', 'vm3 workers v']);
      assert.ok(says.includes('Canary healthy for 1s, booting the other hosts...'));
      const line = store.listEvents(id, 0).map((e) => e.event as { type: string; host?: string; text?: string }).find((e) => e.type === 'host' && e.text?.startsWith('canary'));
      assert.match(`${line?.host}: ${line?.text}`, /^vm1: canary healthy for 1s \(\d+ checks\)$/);
      const soakStep = store.listSteps(id).find((st) => st.stepId.includes('soak'));
      assert.deepEqual([soakStep?.host, soakStep?.kind, soakStep?.status], ['vm1', 'app.probe', 'succeeded']);
    });
  });
});
