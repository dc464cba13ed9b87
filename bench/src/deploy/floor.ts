// The physical floor of `drover deploy -P`: the Docker Engine operations of Kamal's deploy sequence (the
// same API calls the agent makes, see agent/src/ops), issued by this process straight to each host's own
// dockerd, all hosts at once, with a barrier between phases as Kamal (and drover) have. No controller, no
// agent, no websocket, no store, no CLI process: what is left is the daemons', the registry's and
// kamal-proxy's own work.
import { randomBytes } from 'node:crypto';
import { PassThrough } from 'node:stream';
import type Docker from 'dockerode';

export const PHASES = ['pull', 'proxy', 'stale', 'boot', 'tag', 'prune'] as const;
export type PhaseName = (typeof PHASES)[number];

/** What the floor needs of the resolved deploy.yml (one role, proxied). */
export interface FloorSpec {
  service: string;
  role: string;
  /** `<service>-<role>`: container prefix and kamal-proxy service name. */
  prefix: string;
  /** `<registry>/<image>` (no tag). */
  repository: string;
  latestTag: string;
  registry: { server: string; username: string; password: string };
  labels: Record<string, string>;
  restartPolicy: string;
  logging: { driver: string | null; options: Record<string, string> };
  /** Env-file entries (secrets) then clear entries, as the agent puts them around the KAMAL_* ones. */
  secretEnv: string[];
  clearEnv: string[];
  appPort: number;
  /** kamal-proxy deploy options after `--target=…` (Kamal's order). */
  proxyArgs: string[];
  stopTimeout: number | null;
  retain: number;
}

export interface Span { start: number; end: number }

export interface FloorHost {
  host: string;
  phases: Record<PhaseName, Span>;
  /** Milliseconds of each Docker call (summed when repeated), by `<phase> <call>`. */
  ops: Record<string, number>;
  newContainer: string;
  oldContainer: string | null;
}

export interface FloorRun {
  version: string;
  t0: number;
  t1: number;
  phases: Record<PhaseName, Span>;
  hosts: FloorHost[];
}

type Ctx = { host: string; docker: Docker; result: FloorHost; phase: PhaseName };

async function timed<T>(ctx: Ctx, op: string, fn: () => Promise<T>): Promise<T> {
  const t0 = performance.now();
  try {
    return await fn();
  } finally {
    const key = `${ctx.phase} ${op}`;
    ctx.result.ops[key] = (ctx.result.ops[key] ?? 0) + (performance.now() - t0);
  }
}

const roleFilters = (s: FloorSpec) => ({ label: [`service=${s.service}`, 'destination=', `role=${s.role}`] });
const exactName = (name: string) => `^${name.replace(/[.+]/g, (c) => `\\${c}`)}$`;
const bare = (c: Docker.ContainerInfo) => (c.Names[0] ?? '').replace(/^\//, '');

async function list(docker: Docker, filters: Record<string, string[]>, all: boolean): Promise<Docker.ContainerInfo[]> {
  const found = await docker.listContainers({ all, filters: JSON.stringify(filters) });
  return found.sort((a, b) => b.Created - a.Created);
}

function isStatus(e: unknown, code: number): boolean {
  return (e as { statusCode?: number }).statusCode === code;
}

/** Kamal's current_running_version: newest running container of the role, preferring the `latest` image. */
async function currentRunningVersion(ctx: Ctx, s: FloorSpec): Promise<string | null> {
  const running = await timed(ctx, 'ps (current version)', () => list(ctx.docker, { ...roleFilters(s), status: ['running', 'restarting'] }, true));
  const latestId = await timed(ctx, 'inspect latest', () => ctx.docker.getImage(`${s.repository}:${s.latestTag}`).inspect().then((i) => i.Id, () => null));
  const chosen = (latestId ? running.find((c) => c.ImageID === latestId) : undefined) ?? running[0];
  if (!chosen) return null;
  const name = bare(chosen);
  return name.startsWith(`${s.prefix}-`) ? name.slice(s.prefix.length + 1) : null;
}

async function ensureNetwork(ctx: Ctx): Promise<void> {
  const nets = await timed(ctx, 'network ls', () => ctx.docker.listNetworks({ filters: JSON.stringify({ name: ['kamal'] }) }));
  if (!nets.some((n) => n.Name === 'kamal')) await timed(ctx, 'network create', () => ctx.docker.createNetwork({ Name: 'kamal', CheckDuplicate: true }));
}

/** `docker login`, `docker image rm --force`, `docker pull`, the service-label check. */
async function pull(ctx: Ctx, s: FloorSpec, ref: string): Promise<void> {
  const auth = { username: s.registry.username, password: s.registry.password, serveraddress: s.registry.server };
  await timed(ctx, 'login', () => ctx.docker.checkAuth(auth));
  await timed(ctx, 'image rm -f', () => ctx.docker.getImage(ref).remove({ force: true }).catch(() => undefined));
  await timed(ctx, 'pull', async () => {
    const stream = (await ctx.docker.pull(ref, { authconfig: auth })) as NodeJS.ReadableStream;
    await new Promise<void>((resolve, reject) => ctx.docker.modem.followProgress(stream, (err: Error | null) => (err ? reject(err) : resolve())));
  });
  const info = await timed(ctx, 'image inspect', () => ctx.docker.getImage(ref).inspect());
  if (info.Config.Labels?.service !== s.service) throw new Error(`${ctx.host}: ${ref} is missing the service label`);
}

/** `kamal proxy boot` with the proxy running: network, version check by inspect, nothing to start. */
async function proxy(ctx: Ctx): Promise<void> {
  await ensureNetwork(ctx);
  const info = await timed(ctx, 'inspect kamal-proxy', () => ctx.docker.getContainer('kamal-proxy').inspect());
  if (!info.State.Running) throw new Error(`${ctx.host}: kamal-proxy is not running`);
}

/** Stale containers: running versions of the role other than the current one (none here). */
async function stale(ctx: Ctx, s: FloorSpec): Promise<void> {
  const running = await timed(ctx, 'ps (running)', () => list(ctx.docker, { ...roleFilters(s), status: ['running'] }, false));
  const current = await currentRunningVersion(ctx, s);
  for (const c of running.filter((c) => bare(c) !== `${s.prefix}-${current}`)) {
    await timed(ctx, 'stop stale', () => ctx.docker.getContainer(c.Id).stop(s.stopTimeout === null ? {} : { t: s.stopTimeout }));
  }
}

/** `docker exec kamal-proxy kamal-proxy ARGV` through the exec API, output collected, exit code checked. */
async function kamalProxy(ctx: Ctx, argv: string[]): Promise<void> {
  const exec = await ctx.docker.getContainer('kamal-proxy').exec({ Cmd: ['kamal-proxy', ...argv], AttachStdout: true, AttachStderr: true });
  const stream = await exec.start({ hijack: true, stdin: false });
  const chunks: Buffer[] = [];
  const sink = new PassThrough().on('data', (b: Buffer) => chunks.push(b));
  ctx.docker.modem.demuxStream(stream, sink, sink);
  await new Promise<void>((resolve, reject) => {
    stream.on('end', resolve);
    stream.on('close', resolve);
    stream.on('error', reject);
  });
  const info = await exec.inspect();
  if (info.ExitCode !== 0) throw new Error(`${ctx.host}: kamal-proxy ${argv.join(' ')}: ${Buffer.concat(chunks).toString().trim()}`);
}

/** Kamal's Boot: same-name check, running version, network, `docker run`, `kamal-proxy deploy`, stop the old version. */
async function boot(ctx: Ctx, s: FloorSpec, version: string): Promise<void> {
  const name = `${s.prefix}-${version}`;
  const existing = await timed(ctx, 'ps (same name)', () => list(ctx.docker, { name: [exactName(name)] }, true));
  const same = existing.find((c) => bare(c) === name);
  if (same) await timed(ctx, 'rename', () => ctx.docker.getContainer(same.Id).rename({ name: `${name}_replaced_${randomBytes(8).toString('hex')}` }));
  const oldVersion = await currentRunningVersion(ctx, s);
  ctx.result.oldContainer = oldVersion ? `${s.prefix}-${oldVersion}` : null;
  await ensureNetwork(ctx);
  const [policy, count] = s.restartPolicy.split(':');
  const env = [...s.secretEnv, `KAMAL_CONTAINER_NAME=${name}`, `KAMAL_VERSION=${version}`, `KAMAL_HOST=${ctx.host}`, ...s.clearEnv];
  const container = await timed(ctx, 'create', () => ctx.docker.createContainer({
    name, Image: `${s.repository}:${version}`, Hostname: `${ctx.host}-${randomBytes(6).toString('hex')}`, Env: env, Labels: { ...s.labels },
    HostConfig: {
      RestartPolicy: count === undefined ? { Name: policy! } : { Name: policy!, MaximumRetryCount: Number(count) },
      NetworkMode: 'kamal',
      LogConfig: { Type: s.logging.driver ?? '', Config: { ...s.logging.options } },
    },
  }));
  await timed(ctx, 'start', () => container.start());
  await timed(ctx, 'kamal-proxy deploy', () => kamalProxy(ctx, ['deploy', s.prefix, `--target=${container.id.slice(0, 12)}:${s.appPort}`, ...s.proxyArgs]));
  if (oldVersion) {
    const olds = await timed(ctx, 'ps (old)', () => list(ctx.docker, { ...roleFilters(s), name: [exactName(`${s.prefix}-${oldVersion}`)] }, false));
    for (const c of olds) {
      await timed(ctx, 'stop old', () => ctx.docker.getContainer(c.Id).stop(s.stopTimeout === null ? {} : { t: s.stopTimeout }).catch((e: unknown) => {
        if (!isStatus(e, 304) && !isStatus(e, 404)) throw e;
      }));
    }
  }
}

async function tag(ctx: Ctx, s: FloorSpec, version: string): Promise<void> {
  await timed(ctx, 'tag', () => ctx.docker.getImage(`${s.repository}:${version}`).tag({ repo: s.repository, tag: s.latestTag }));
}

/** Kamal's prune: stopped containers beyond `retain`, dangling service images, unused service tags. */
async function prune(ctx: Ctx, s: FloorSpec): Promise<void> {
  const label = `service=${s.service}`;
  const stopped = await timed(ctx, 'ps (stopped)', () => list(ctx.docker, { label: [label], status: ['created', 'exited', 'dead'] }, true));
  for (const c of stopped.slice(s.retain)) {
    await timed(ctx, 'rm', () => ctx.docker.getContainer(c.Id).remove({ force: false }).catch((e: unknown) => { if (!isStatus(e, 404)) throw e; }));
  }
  await timed(ctx, 'image prune', () => ctx.docker.pruneImages({ filters: JSON.stringify({ label: [label] }) }));
  const images = await timed(ctx, 'image ls', () => ctx.docker.listImages({ filters: JSON.stringify({ label: [label] }) }));
  const containers = await timed(ctx, 'ps (all)', () => list(ctx.docker, { label: [label] }, true));
  const used = new Set(containers.map((c) => c.Image));
  const latest = `${s.repository}:${s.latestTag}`;
  for (const t of images.flatMap((i) => i.RepoTags ?? [])) {
    if (used.has(t) || t === latest || t.endsWith(':<none>')) continue;
    await timed(ctx, 'rmi', () => ctx.docker.getImage(t).remove().catch(() => undefined));
  }
}

/** One deploy of `version` to every host, phase by phase, hosts in parallel within a phase. */
export async function floorDeploy(hosts: Array<{ name: string; docker: Docker }>, s: FloorSpec, version: string): Promise<FloorRun> {
  const ref = `${s.repository}:${version}`;
  const ctxs: Ctx[] = hosts.map((h) => ({
    host: h.name, docker: h.docker, phase: 'pull',
    result: { host: h.name, phases: {} as Record<PhaseName, Span>, ops: {}, newContainer: `${s.prefix}-${version}`, oldContainer: null },
  }));
  const steps: Record<PhaseName, (ctx: Ctx) => Promise<void>> = {
    pull: (c) => pull(c, s, ref),
    proxy: (c) => proxy(c),
    stale: (c) => stale(c, s),
    boot: (c) => boot(c, s, version),
    tag: (c) => tag(c, s, version),
    prune: (c) => prune(c, s),
  };
  const phases = {} as Record<PhaseName, Span>;
  const t0 = Date.now();
  for (const phase of PHASES) {
    const start = Date.now();
    await Promise.all(ctxs.map(async (c) => {
      const hs = Date.now();
      c.phase = phase;
      await steps[phase](c);
      c.result.phases[phase] = { start: hs, end: Date.now() };
    }));
    phases[phase] = { start, end: Date.now() };
  }
  return { version, t0, t1: Date.now(), phases, hosts: ctxs.map((c) => c.result) };
}
