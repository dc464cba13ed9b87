import { createHash } from 'node:crypto';
import { existsSync, readFileSync } from 'node:fs';
import { isAbsolute, relative, resolve, sep } from 'node:path';
import type Docker from 'dockerode';
import { rubyDump, type ResolvedConfig } from '@drover/shared/config';
import { UserError } from '@drover/shared/errors';
import { REDACTED_TEXT, secretRedactor } from '@drover/shared/operations/redact';
import { isDirectory, listContext, tarStream, type ExtraFile } from './context-tar.js';
import { dockerErrorMessage, dockerFromEnv, isConnectionError } from './docker-client.js';
import { gitRunner, prepareClone, readGitState } from './git-clone.js';

/**
 * `kamal build push` from the operator's machine, through the Docker Engine API (dockerode) instead
 * of `docker buildx`: neither the buildx plugin nor a BuildKit builder image is available here, and
 * the Engine API needs no CLI. Kamal's behaviour kept: the git-clone build (§4.5), `--file` checked
 * as `Missing <file>`, build args, target, the `service` label, tags `<repository>:<version>` and
 * `<repository>:<latest tag>`, `--no-cache`, login before the build, push of both tags.
 * What the Engine API's builder cannot do (several arches, another arch, remote builders, build
 * secrets, ssh, cache export, buildpacks, attestations) is refused with a UserError naming the key.
 */

export interface RegistryCredentials {
  /** null = Docker Hub. */
  server: string | null;
  username: string;
  password: string;
}

export interface BuildOptions {
  config: ResolvedConfig;
  /** Where `drover` runs (Kamal's pwd): the Dockerfile and `builder.context` are relative to it. */
  projectDir: string;
  /** Resolved credentials; null for a local registry (no login). */
  registry: RegistryCredentials | null;
  noCache: boolean;
  /** Defaults to the operator's Docker (`DOCKER_HOST` unix/tcp socket, else /var/run/docker.sock). */
  docker?: Dockerode;
  say(line: string): void;
  /** The daemon's own build and push output (Kamal shows it only with -v); default: `say`. */
  output?(line: string): void;
  env?: NodeJS.ProcessEnv;
  /** false: build and tag only (Kamal's local registry, whose image drover uploads to the controller). */
  push?: boolean;
  /** Kamal's `build dev`: the working tree as it is (no clone), tagged with the version only, never pushed. */
  workingTree?: boolean;
  /** Runs after the registry login and before the clone and build: where Kamal runs the `pre-build` hook. */
  preBuild?: () => Promise<void>;
  signal?: AbortSignal;
}

type Dockerode = Docker;

/** What the Engine API build gets. */
export interface BuildSpec {
  /** Absolute: the directory packed as the build context. */
  contextDir: string;
  /** Absolute path of the Dockerfile (`builder.dockerfile` relative to the build directory, like `--file`). */
  dockerfilePath: string;
  /** The `dockerfile` parameter: the path inside the context, or `.dockerfile.<hash>` when it lives outside and is added to the tar. */
  dockerfile: string;
  dockerfileOutsideContext: boolean;
  /** `<repository>:<version>`, `<repository>:<latest tag>` */
  tags: string[];
  labels: Record<string, string>;
  buildargs: Record<string, string>;
  target: string | null;
  /** `linux/<arch>`, or null when no arch is configured. */
  platform: string | null;
  nocache: boolean;
  /** The equivalent docker command, build-arg values redacted (for logs). */
  command: string;
}

const ENGINE_API = "Drover's Engine API build";

/** `docker info`'s Architecture as Kamal names it (Kamal::Utils.docker_arch). */
export function normalizeArch(arch: string): string {
  if (/aarch64/.test(arch)) return 'arm64';
  if (/x86_64/.test(arch)) return 'amd64';
  return arch;
}

function archesOf(config: ResolvedConfig): string[] {
  const arch = config.builder?.arch;
  return arch === undefined ? [] : Array.isArray(arch) ? arch : [arch];
}

/** Every `builder:` setting the Engine API build can't honour, as `builder/<key>: …` lines. */
export function unsupportedBuilderSettings(config: ResolvedConfig, daemonArch: string): string[] {
  const b = config.builder ?? {};
  const out: string[] = [];
  const arches = archesOf(config);
  const buildx = 'needs `docker buildx`, which Drover does not drive yet';
  if (b.pack !== undefined) out.push(`builder/pack: buildpacks (the \`pack\` CLI) are not supported by ${ENGINE_API} yet`);
  if (b.driver !== undefined && b.driver.startsWith('cloud')) out.push(`builder/driver: Docker Build Cloud (${b.driver}) ${buildx}`);
  if (arches.length > 1) {
    out.push(`builder/arch: a multi-arch build (${arches.join(', ')}) ${buildx}; set a single arch matching the local Docker (${daemonArch})`);
  } else if (arches.length === 1 && normalizeArch(arches[0]!) !== daemonArch) {
    const how = b.remote !== undefined ? `on the remote builder ${b.remote}` : `on the local ${daemonArch} Docker daemon (emulation or a remote builder)`;
    out.push(`builder/arch: building for ${arches[0]} ${how} ${buildx}`);
  }
  if (b.local === false) out.push(`builder/local: remote-only builds (local: false) ${buildx}`);
  if (b.secrets !== undefined && b.secrets.length > 0) out.push(`builder/secrets: build secrets (--secret) are not supported by ${ENGINE_API} yet`);
  if (b.ssh !== undefined) out.push(`builder/ssh: SSH forwarding (--ssh) is not supported by ${ENGINE_API} yet`);
  if (b.cache !== undefined) out.push(`builder/cache: cache export/import (--cache-to/--cache-from) is not supported by ${ENGINE_API} yet`);
  if (b.provenance !== undefined && b.provenance !== 'false') out.push(`builder/provenance: provenance attestations are not supported by ${ENGINE_API} yet (use provenance: false)`);
  if (b.sbom === true) out.push(`builder/sbom: SBOM attestations are not supported by ${ENGINE_API} yet`);
  return out;
}

function throwUnsupported(problems: string[]): void {
  if (problems.length === 1) throw new UserError(problems[0]!);
  if (problems.length > 1) throw new UserError(`builder: ${problems.length} settings are not supported by ${ENGINE_API} yet`, { details: problems });
}

/** A build arg's value as Kamal's `argumentize` gives it; null for a bare `--build-arg KEY` (value from the environment). */
function argValue(value: unknown): string | null {
  if (value === false) return 'false';
  if (value === null || value === undefined || value === '') return null;
  if (Array.isArray(value) && value.length === 0) return null;
  if (typeof value === 'object') return Object.keys(value as object).length === 0 ? null : JSON.stringify(value);
  return String(value);
}

function toPosix(p: string): string {
  return sep === '/' ? p : p.split(sep).join('/');
}

/**
 * Pure: builder config → what the Engine API build gets. `contextDir` is the build directory (the git
 * clone's directory for the project, or the project itself when `builder.context` is set); the
 * context and `--file` are relative to it. Throws a UserError for settings it can't honour.
 */
export function buildSpec(config: ResolvedConfig, contextDir: string, opts: { noCache: boolean; daemonArch: string; env?: NodeJS.ProcessEnv }): BuildSpec {
  throwUnsupported(unsupportedBuilderSettings(config, opts.daemonArch));
  const b = config.builder ?? {};
  const buildDir = resolve(contextDir);
  const context = b.context ?? '.';
  const dockerfileName = b.dockerfile ?? 'Dockerfile';
  const ctxAbs = resolve(buildDir, context);
  const dockerfilePath = resolve(buildDir, dockerfileName);
  const rel = relative(ctxAbs, dockerfilePath);
  const outside = rel === '' || rel.startsWith('..') || isAbsolute(rel);
  const dockerfile = outside ? `.dockerfile.${createHash('sha256').update(dockerfilePath).digest('hex').slice(0, 20)}` : toPosix(rel);

  const buildargs: Record<string, string> = {};
  const argWords: string[] = [];
  for (const [key, raw] of Object.entries(b.args ?? {})) {
    const value = argValue(raw);
    if (value === null) {
      argWords.push('--build-arg', key);
      const fromEnv = opts.env?.[key];
      if (fromEnv !== undefined) buildargs[key] = fromEnv;
    } else {
      argWords.push('--build-arg', `${key}=${REDACTED_TEXT}`);
      buildargs[key] = value;
    }
  }

  const arches = archesOf(config);
  const platform = arches.length === 1 ? `linux/${arches[0]}` : null;
  const tags = [config.image.ref, config.image.latestRef];
  const labels = { service: config.service };
  const target = b.target !== undefined && b.target !== '' ? b.target : null;

  const command = [
    'docker', 'build',
    ...(platform ? ['--platform', platform] : []),
    ...tags.flatMap((t) => ['-t', t]),
    '--label', `service=${rubyDump(config.service)}`,
    ...argWords,
    '--file', dockerfileName,
    ...(target ? ['--target', target] : []),
    ...(opts.noCache ? ['--no-cache'] : []),
    context,
  ].join(' ');

  return {
    contextDir: ctxAbs,
    dockerfilePath,
    dockerfile,
    dockerfileOutsideContext: outside,
    tags,
    labels,
    buildargs,
    target,
    platform,
    nocache: opts.noCache,
    command,
  };
}

const DOCKER_HUB = 'https://index.docker.io/v1/';

function authConfig(r: RegistryCredentials): { username: string; password: string; serveraddress: string } {
  return { username: r.username, password: r.password, serveraddress: r.server ?? DOCKER_HUB };
}

interface ProgressEvent {
  stream?: string;
  status?: string;
  id?: string;
  error?: string;
  errorDetail?: { message?: string };
  aux?: unknown;
}

/** Reads a progress stream; returns the first in-band error (Docker reports build/push failures that way). */
function follow(docker: Docker, stream: NodeJS.ReadableStream, onEvent: (e: ProgressEvent) => void): Promise<string | null> {
  return new Promise((resolvePromise, reject) => {
    let failure: string | null = null;
    docker.modem.followProgress(
      stream,
      (err: Error | null) => (err ? reject(err) : resolvePromise(failure)),
      (e: ProgressEvent) => {
        if ((e.error || e.errorDetail) && failure === null) failure = String(e.errorDetail?.message ?? e.error).trim();
        onEvent(e);
      },
    );
  });
}

/** Splits the build's `stream` text into lines, printing each and keeping the last few for errors. */
class LineSink {
  private partial = '';
  readonly last: string[] = [];
  constructor(
    private readonly say: (line: string) => void,
    private readonly redact: (text: string) => string,
    private readonly keep = 25,
  ) {}

  write(text: string): void {
    const parts = (this.partial + text).split(/\r?\n/);
    this.partial = parts.pop() ?? '';
    for (const line of parts) this.line(line);
  }

  line(raw: string): void {
    const line = this.redact(raw.trimEnd());
    if (line.trim() === '') return;
    this.say(line);
    this.last.push(line);
    if (this.last.length > this.keep) this.last.shift();
  }

  flush(): void {
    if (this.partial) this.line(this.partial);
    this.partial = '';
  }
}

/** Builds the app image on the operator's Docker and pushes `<repository>:<version>` and `<repository>:<latest tag>`. */
export async function buildAndPush(o: BuildOptions): Promise<{ image: string; tags: string[] }> {
  const env = o.env ?? process.env;
  const { config, say } = o;
  const endpoint = o.docker ? { docker: o.docker, display: 'the Docker daemon' } : dockerFromEnv(env);
  const docker = endpoint.docker;

  let daemonArch: string;
  try {
    daemonArch = normalizeArch(String((await docker.info()).Architecture ?? ''));
  } catch (err) {
    if (isConnectionError(err)) {
      throw new UserError(`Cannot connect to the Docker daemon at ${endpoint.display} (${(err as { code?: string }).code}). Is the docker daemon running?`);
    }
    throw new UserError(`Docker daemon at ${endpoint.display}: ${dockerErrorMessage(err)}`);
  }
  throwUnsupported(unsupportedBuilderSettings(config, daemonArch));

  // Kamal logs in before the build (so base images in the registry can be pulled, and bad credentials fail early).
  const auth = o.registry ? authConfig(o.registry) : null;
  const redact = secretRedactor([...(auth ? [auth.password] : []), ...Object.values(config.builder?.args ?? {}).map((v) => argValue(v) ?? '').filter((v) => v.length >= 4)]);
  if (auth) {
    try {
      await docker.checkAuth({ ...auth, ...(o.signal ? { abortSignal: o.signal } : {}) } as Parameters<Docker['checkAuth']>[0]);
    } catch (err) {
      throw new UserError(`Registry login to ${o.registry!.server ?? 'Docker Hub'} as ${auth.username} failed: ${redact(dockerErrorMessage(err))}`);
    }
  }

  await o.preBuild?.();

  // The build directory: a git clone of HEAD unless builder.context is set (or there is no repository).
  const git = gitRunner(env);
  const state = await readGitState(o.projectDir, git);
  let buildDir = resolve(o.projectDir);
  const sayLines = (text: string) => text.split('\n').forEach((l) => say(l));
  if (config.builder?.context === undefined && state && !o.workingTree) {
    if (state.uncommittedChanges) sayLines(`Building from a local git clone, so ignoring these uncommitted changes:\n ${state.uncommittedChanges}`);
    buildDir = (await prepareClone(state, { service: config.service, projectDir: o.projectDir, git, env, say })).buildDir;
  } else if (state?.uncommittedChanges) {
    sayLines(`Building with uncommitted changes:\n ${state.uncommittedChanges}`);
  }

  const dockerfileName = config.builder?.dockerfile ?? 'Dockerfile';
  if (!existsSync(resolve(o.projectDir, dockerfileName))) throw new UserError(`Missing ${dockerfileName}`);
  const built = buildSpec(config, buildDir, { noCache: o.noCache, daemonArch, env });
  const spec = o.workingTree ? { ...built, tags: built.tags.slice(0, 1) } : built;
  if (!existsSync(spec.dockerfilePath)) throw new UserError(`Missing ${dockerfileName} in the git clone \`${buildDir}\` (is it committed?)`);
  if (!isDirectory(spec.contextDir)) throw new UserError(`unable to prepare context: path "${config.builder?.context ?? '.'}" not found`);

  const listing = listContext(spec.contextDir, spec.dockerfileOutsideContext ? [] : [spec.dockerfile]);
  const extra: ExtraFile[] = spec.dockerfileOutsideContext ? [{ name: spec.dockerfile, content: readFileSync(spec.dockerfilePath) }] : [];
  say(`Running ${spec.command} (through the Docker Engine API)`);
  say(`Sending build context: ${listing.fileCount} files, ${(listing.bytes / 1024 / 1024).toFixed(1)} MB`);

  const output = o.output ?? say;
  const sink = new LineSink(output, redact);
  let failure: string | null;
  try {
    const stream = await docker.buildImage(tarStream(listing.entries, extra), {
      t: spec.tags,
      labels: spec.labels,
      buildargs: spec.buildargs,
      dockerfile: spec.dockerfile,
      ...(spec.target ? { target: spec.target } : {}),
      ...(spec.platform ? { platform: spec.platform } : {}),
      nocache: spec.nocache,
      rm: true,
      forcerm: true,
      ...(auth ? { registryconfig: { [auth.serveraddress]: auth } } : {}),
      ...(o.signal ? { abortSignal: o.signal } : {}),
    } as unknown as Docker.ImageBuildOptions);
    failure = await follow(docker, stream, (e) => {
      if (typeof e.stream === 'string') sink.write(e.stream);
      else if (typeof e.status === 'string' && !e.id) sink.line(e.status);
    });
  } catch (err) {
    if (o.signal?.aborted) throw err;
    failure = dockerErrorMessage(err);
  }
  sink.flush();
  if (failure !== null) {
    throw new UserError(`Building ${spec.tags[0]} failed: ${redact(failure)}`, { details: sink.last.slice(-15) });
  }

  // Push both tags (a local registry's image stays in the local daemon: drover carries it to the hosts).
  const repository = config.image.repository;
  for (const ref of o.push === false ? [] : spec.tags) {
    const tag = ref.slice(repository.length + 1);
    say(`Pushing ${ref}...`);
    let pushFailure: string | null;
    try {
      const stream = await docker.getImage(repository).push({ tag, authconfig: auth ?? {}, ...(o.signal ? { abortSignal: o.signal } : {}) } as Parameters<Docker.Image['push']>[0]);
      pushFailure = await follow(docker, stream, (e) => {
        if (typeof e.status === 'string' && !e.id && !e.error) output(redact(e.status));
      });
    } catch (err) {
      if (o.signal?.aborted) throw err;
      pushFailure = dockerErrorMessage(err);
    }
    if (pushFailure !== null) throw new UserError(`Pushing ${ref} failed: ${redact(pushFailure)}`);
  }
  return { image: spec.tags[0]!, tags: spec.tags };
}
