// What both deploy benchmark programs need: the project's resolved settings for the floor, versions
// built and pushed ahead of time, and waiting for a quiet machine.
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { kamalProxyDeployArgv, loadConfig } from '@drover/shared/config';
import { loadSecrets } from '@drover/shared/secrets';
import type { Fleet } from '@drover/test/e2e/fleet';
import { buildImage, pushImage } from '@drover/test/rig/index';
import { writeSampleAppContext } from '@drover/test/rig/sample-app';
import { SampleProject } from '@drover/test/e2e/deploy-project';
import type { FloorSpec } from './floor.js';

export const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** The floor's view of the project's resolved deploy.yml, exactly what the planner sends the agent. */
export async function floorSpec(dir: string, registry: { server: string; username: string; password: string }, version: string): Promise<FloorSpec> {
  const config = await loadConfig({ cwd: dir, version });
  const secrets = await loadSecrets({ cwd: dir, secretsPath: config.secretsPath });
  const role = config.roles.find((r) => r.name === 'web');
  if (!role?.proxy) throw new Error('the bench project needs a proxied web role');
  const clear = Object.entries(role.env.clear).map(([k, v]) => `${k}=${v}`);
  return {
    service: config.service, role: role.name, prefix: role.containerPrefix, repository: config.image.repository, latestTag: config.image.latestTag,
    registry, labels: role.labels, restartPolicy: role.restartPolicy, logging: role.logging,
    secretEnv: role.env.secrets.map((s) => `${s.name}=${secrets.get(s.secret)}`), clearEnv: clear,
    appPort: role.proxy.appPort, proxyArgs: kamalProxyDeployArgv(role.containerPrefix, role.proxy, 'target').slice(4),
    stopTimeout: role.stopTimeout, retain: config.retainContainers,
  };
}

/**
 * Builds the sample app at `content` on the operator side and pushes it as `<repository>:<version>`. Two changes
 * from the rig's sample app, each a cost in drover and floor alike that says nothing about either: busybox
 * httpd as PID 1 ignores SIGTERM, so every `docker stop` of an old version would wait Docker's 10 s and then
 * SIGKILL (here a shell traps TERM and exits at once, as a real app server does); and its Docker HEALTHCHECK,
 * there for roles without the proxy, would have every host's dockerd exec a probe into the app every second,
 * CPU the deploys compete with at random moments (here kamal-proxy's health check is the only one, as Kamal has it).
 */
export async function pushVersion(fleet: Fleet, repository: string, version: string, content: string): Promise<void> {
  const dir = mkdtempSync(join(tmpdir(), 'drover-bench-ctx-'));
  try {
    writeSampleAppContext(dir, { service: 'sample-app', version: content });
    const dockerfile = join(dir, 'Dockerfile');
    const original = readFileSync(dockerfile, 'utf8');
    const patched = original.replace(/^CMD .*$/m, `CMD ["sh", "-c", "trap 'exit 0' TERM INT; httpd -f -p 80 -h /www & wait"]`);
    if (patched === original) throw new Error('the sample app Dockerfile has no CMD line to replace');
    const unprobed = patched.replace(/^HEALTHCHECK .*\n/m, '');
    if (unprobed === patched) throw new Error('the sample app Dockerfile has no HEALTHCHECK line to remove');
    writeFileSync(dockerfile, unprobed);
    const ref = `${repository}:${version}`;
    await buildImage(fleet.rig.operator.docker, dir, ref);
    await pushImage(fleet.rig.operator.docker, ref, fleet.rig.registry);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

/** The share of all CPUs busy (not idle, not waiting on I/O) over `ms`, from /proc/stat. */
export async function cpuBusy(ms = 1_000): Promise<number> {
  const read = () => {
    const f = readFileSync('/proc/stat', 'utf8').split('\n')[0]!.trim().split(/\s+/).slice(1, 9).map(Number);
    return { total: f.reduce((a, b) => a + b, 0), idle: f[3]! + f[4]! };
  };
  const a = read();
  await sleep(ms);
  const b = read();
  return b.total === a.total ? 0 : 1 - (b.idle - a.idle) / (b.total - a.total);
}

/**
 * Waits (up to a minute) until the machine is quiet: under `maxBusy` of its CPUs busy over one second. The
 * CPU share over the last second says what the next deploy competes with; the 1-minute load average
 * (returned too, for the record) still carries the previous deploy's burst long after it ended.
 */
export async function calm(maxBusy: number): Promise<{ busy: number; load: number }> {
  let busy = await cpuBusy();
  for (let i = 0; i < 60 && busy > maxBusy; i++) {
    process.stderr.write(`CPU ${(busy * 100).toFixed(0)} % busy > ${(maxBusy * 100).toFixed(0)} %: waiting\n`);
    busy = await cpuBusy();
  }
  return { busy, load: loadavg()[0]! };
}


/**
 * A fleet of `web-1..web-N` with the kamal-proxy image, the sample project, the floor's spec and
 * `versionCount` versions of the app (a number, or one read from the spec), each built and pushed to the
 * registry (so no host has it yet).
 */
export async function prepareBench(fleet: Fleet, names: string[], versionCount: number | ((spec: FloorSpec) => number)) {
  await fleet.rig.buildProxyImage();
  const project = SampleProject.create(join(fleet.dir, 'app'), fleet.rig, { servers: { web: names } }, 'v0');
  const head = project.git(['rev-parse', 'HEAD']);
  const spec = await floorSpec(project.dir, fleet.rig.registry, head);
  const count = typeof versionCount === 'number' ? versionCount : versionCount(spec);
  const versions = [head];
  for (let i = 1; i < count; i++) versions.push(project.commit(`r${i}`));
  for (const [i, v] of versions.entries()) await pushVersion(fleet, spec.repository, v, i === 0 ? 'v0' : `r${i}`);
  return { project, spec, versions };
}
