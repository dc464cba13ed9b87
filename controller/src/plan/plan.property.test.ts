import { test } from 'node:test';
import assert from 'node:assert/strict';
import { load } from '@drover/shared/config/test-support';
import { bootGroupSize, canaryGroupSize, planRollout } from './plan.js';
import type { AgentPresence, BootTask, Phase, PlanInput } from './types.js';
import { PROJECT_HEAD } from './test-fixtures.js';

// Property-style: random roles, hosts, boot limits, canaries and role filters → every plan keeps Kamal's
// order, boots each selected container once, in groups no larger than the limit, the canary first and
// soaked before anything else boots. Seeded, so a failure names the seed that reproduces it.

/** mulberry32: a small seeded generator, enough for test cases. */
function random(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

interface Case { yml: string; command: 'deploy' | 'redeploy' | 'setup'; roles: string[]; limit: string | null; canary: string | null }

function randomCase(next: () => number): Case {
  const pick = <T>(xs: readonly T[]): T => xs[Math.floor(next() * xs.length)]!;
  const hosts = Array.from({ length: 1 + Math.floor(next() * 8) }, (_, i) => `h${i + 1}`);
  const roleNames = ['web', 'workers', 'jobs'].slice(0, 1 + Math.floor(next() * 3));
  const servers = roleNames.map((role) => {
    const mine = hosts.filter(() => next() < 0.6);
    return `  ${role}:\n    hosts: [${(mine.length ? mine : [pick(hosts)]).join(', ')}]\n${role === 'web' ? '' : '    cmd: run\n'}`;
  }).join('');
  const limit = pick([null, '1', '2', '3', '"25%"', '"50%"', '"100%"']);
  const canary = pick([null, null, '1', '2', '50%', '10%']);
  const parallel = next() < 0.3;
  const boot = limit || parallel ? `boot:\n${limit ? `  limit: ${limit}\n` : ''}${parallel ? '  parallel_roles: true\n' : ''}` : '';
  const xDrover = canary ? `x-drover:\n  canary:\n    hosts: ${canary}\n    soak: 5\n` : '';
  const primary = roleNames.length > 1 && next() < 0.3 ? `primary_role: ${roleNames[1]}\n` : '';
  const filter = roleNames.length > 1 && next() < 0.3 ? [pick(roleNames)] : [];
  return { yml: `${PROJECT_HEAD}${primary}servers:\n${servers}${boot}${xDrover}`, command: pick(['deploy', 'redeploy', 'setup'] as const), roles: filter, limit, canary };
}

const online: AgentPresence = { online: true, lastSeen: 0, registryMirror: null, containers: [], labels: {} };

async function check(seed: number): Promise<void> {
  const c = randomCase(random(seed));
  const config = await load(c.yml, { version: 'v' });
  const input: PlanInput = {
    command: c.command, config, secrets: { KAMAL_REGISTRY_PASSWORD: 'pw' }, selection: { roles: c.roles, hosts: [], primary: false },
    agents: Object.fromEntries(config.hosts.map((h) => [h, online])), performer: 'me', hooks: ['pre-app-boot', 'post-app-boot'],
    assets: { errorPages: null, accessoryFiles: {} }, skipPush: false,
  };
  const plan = planRollout(input);
  const where = `seed ${seed}:\n${c.yml}\n${c.command} -r ${c.roles.join(',')}`;
  const kinds = plan.phases.map((p) => (p.kind === 'ops' ? `ops:${p.name}` : p.kind));
  const boots = plan.phases.filter((p): p is Extract<Phase, { kind: 'boot' }> => p.kind === 'boot');
  const bootAt = plan.phases.flatMap((p, i) => (p.kind === 'boot' ? [i] : []));
  const roles = new Map(config.roles.map((r) => [r.name, r]));
  const selected = plan.roles.map((r) => roles.get(r)!);
  const appHosts = plan.hosts.filter((h) => selected.some((r) => r.hosts.some((x) => x.host === h)));

  // Each selected role's container on each of its hosts boots exactly once, with the version, the primary role as gatekeeper.
  const expected = appHosts.flatMap((h) => selected.filter((r) => r.hosts.some((x) => x.host === h)).map((r) => `${h}:${r.name}`)).sort();
  const booted = boots.flatMap((b) => b.tasks.map((t: BootTask) => `${t.host}:${t.role}`)).sort();
  assert.deepEqual(booted, expected, where);
  for (const t of boots.flatMap((b) => b.tasks)) {
    assert.equal(t.gatekeeper, t.role === plan.primaryRole, where);
    assert.equal(t.call.params.version, 'v', where);
  }
  // Groups: consecutive slices of the app hosts in order; the canary first, then at most boot.limit hosts each.
  assert.deepEqual(boots.flatMap((b) => b.hosts), appHosts, where);
  const canary = canaryGroupSize(config, appHosts.length);
  const limit = bootGroupSize(config) ?? appHosts.length;
  boots.forEach((b, i) => {
    if (i === 0 && canary !== null) assert.equal(b.hosts.length, canary, where);
    else assert.ok(b.hosts.length >= 1 && b.hosts.length <= Math.max(limit, 1), where);
  });
  // Within a host, the primary role first (roles in Kamal's order).
  for (const b of boots) {
    const hostRoles = new Map<string, string[]>();
    for (const t of b.tasks) hostRoles.set(t.host, [...(hostRoles.get(t.host) ?? []), t.role]);
    for (const list of hostRoles.values()) if (plan.primaryRole && list.includes(plan.primaryRole)) assert.equal(list[0], plan.primaryRole, where);
  }
  // Kamal's order: pull, lock, stale detection, boots, tag latest, (prune), unlock.
  const at = (k: string) => kinds.indexOf(k);
  assert.ok(at('ops:pull') < at('lock') && at('lock') < at('ops:stale containers') && at('ops:stale containers') < bootAt[0]!, where);
  assert.ok(bootAt.at(-1)! < at('ops:tag latest') && at('ops:tag latest') < at('unlock'), where);
  if (c.command !== 'redeploy') assert.ok(at('ops:tag latest') < at('ops:prune') && at('ops:prune') < at('unlock'), where);
  // The canary's soak: once, after its group and before any other boots, probing every role on its hosts.
  const soaks = plan.phases.flatMap((p, i) => (p.kind === 'soak' ? [{ p, i }] : []));
  assert.equal(soaks.length, canary === null ? 0 : 1, where);
  if (canary !== null) {
    const { p, i } = soaks[0]!;
    assert.ok(i > bootAt[0]! && (bootAt[1] === undefined || i < bootAt[1]), where);
    assert.deepEqual(p.hosts, boots[0]!.hosts, where);
    assert.deepEqual(p.tasks.flatMap((t) => t.calls.map((call) => `${t.host}:${call.op === 'app.probe' ? call.params.role : call.op}`)).sort(),
      boots[0]!.tasks.map((t) => `${t.host}:${t.role}`).sort(), where);
  }
  // Hooks bracket every group: pre-app-boot right before it (after the canary's soak for the next one), post-app-boot right after.
  for (const i of bootAt) {
    assert.deepEqual([plan.phases[i - 1]?.kind, plan.phases[i + 1]?.kind], ['hook', 'hook'], where);
  }
}

test('random fleets: the plan keeps order, groups, the barrier\'s gatekeeper and the canary (300 seeds)', async () => {
  for (let seed = 1; seed <= 300; seed++) await check(seed);
});
