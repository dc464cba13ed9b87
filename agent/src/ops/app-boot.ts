import { readdir } from 'node:fs/promises';
import { dirname } from 'node:path';
import { UserError } from '@drover/shared';
import type { z } from 'zod';
import type { appBootParams } from '@drover/shared/operations';
import { recordAudit } from './audit.js';
import { bridgeAssets, cleanupAssets } from './assets.js';
import { appContainerOptions } from './container-spec.js';
import { bareName, containerIdByName, createNetwork, currentRunningVersion, healthOrState, listContainers, logTail, networkExists, stopContainer } from './containers.js';
import { daemonMessage, isConflict, isNotFound } from './docker-errors.js';
import { parseDockerEnvFile, renderEnvFile } from './env-file.js';
import { kamalProxy } from './exec-capture.js';
import { removePath, writeHostFile } from './host-files.js';
import { appContainerName, appLabels, containerHostname, containerPrefix, exactName, hostPaths, replacedContainerName, roleFilters, serviceAndDestination } from './names.js';
import { placeTls } from './proxy-tls.js';
import { waitForReadiness } from './readiness.js';
import { bootFacts, describeBootFailure, healthPathOf } from './boot-diagnosis.js';
import type { OperationContext, OperationsDeps } from './types.js';

type Params = z.output<typeof appBootParams>;

/** One line of progress for the caller, kept for the result too. */
export function narrator(ctx: OperationContext): { say(line: string): void; lines: string[] } {
  const lines: string[] = [];
  return { lines, say: (line) => { lines.push(line); void ctx.emit(`${line}\n`); } };
}

/**
 * Kamal's Boot(host, role) (reference §4.3): rename a same-version container, read the running version,
 * write the env file, run the new container, gate on kamal-proxy or the readiness poller, then stop the
 * old version. On failure the new container is stopped and its last logs and health are reported.
 */
export async function bootApp(deps: OperationsDeps, p: Params, ctx: OperationContext) {
  const { docker, runDirectory: runDir } = deps;
  const host = p.host ?? deps.host;
  const prefix = containerPrefix(p.service, p.role, p.destination);
  const svcDest = serviceAndDestination(p.service, p.destination);
  const name = appContainerName(prefix, p.version);
  const tags = { service: p.service, destination: p.destination, performer: p.performer, role: p.role };
  const { say, lines } = narrator(ctx);

  // What it reads, in parallel and before its first change (a clash changes nothing).
  const scope = { service: p.service, role: p.role, destination: p.destination, prefix, latestImage: p.latestImage };
  const [existingId, runningVersion, hasNetwork] = await Promise.all([containerIdByName(docker, name), currentRunningVersion(docker, scope), networkExists(docker)]);
  const existing = existingId ? await docker.getContainer(existingId).inspect() : null;
  if (existing && existing.Config.Labels?.service !== p.service) {
    throw new UserError(`container name clash on ${host}: a container named ${name} already exists and is not a ${p.service} container (labels: ${JSON.stringify(existing.Config.Labels ?? {})}); rename or remove it`);
  }
  // Everything above only read; the journal's durable intent must be on disk before the first change.
  await ctx.intentDurable;

  if (p.errorPages) {
    const dir = hostPaths.errorPages(runDir, svcDest, p.version);
    for (const [file, content] of Object.entries(p.errorPages)) await writeHostFile(`${dir}/${file}`, content, 0o700, 'error page');
  }
  if (p.proxy?.tls) await placeTls(deps, svcDest, p.role, p.proxy.tls);

  let renamed: string | null = null;
  let oldVersion = runningVersion;
  if (existing) {
    renamed = replacedContainerName(name);
    say(`Renaming container ${name} to ${renamed} as already deployed on ${host}`);
    await docker.getContainer(existing.Id).rename({ name: renamed });
    // Kamal reads the running version after the rename: the renamed container is the old version then.
    oldVersion = await currentRunningVersion(docker, scope);
  }

  // Kamal bridges assets for proxied roles only, with the version running before this boot.
  const assets = p.proxy && p.assetPath
    ? await bridgeAssets(docker, { runDir, svcDest, prefix, role: p.role, version: p.version, image: p.image, assetPath: p.assetPath, oldVersion, host })
    : null;

  const envFile = hostPaths.roleEnvFile(runDir, svcDest, p.role);
  await Promise.all([
    recordAudit(runDir, tags, `Booted app version ${p.version}`),
    hasNetwork ? null : createNetwork(docker),
    writeHostFile(envFile, renderEnvFile(p.env.secrets), 0o600, 'env file'),
  ]);
  const hostEnv = deps.hostEnv ?? process.env;
  const hostname = containerHostname(host);
  const create = appContainerOptions({
    name, image: p.image, hostname, version: p.version, host, destination: p.destination, env: p.env,
    envFileEntries: parseDockerEnvFile(renderEnvFile(p.env.secrets), hostEnv, envFile),
    labels: appLabels(p.service, p.role, p.destination, p.labels), restartPolicy: p.restartPolicy, logging: p.logging,
    volumes: p.volumes, assetVolume: assets?.volume ?? null, options: p.options, cmd: p.cmd, home: dirname(runDir), hostEnv,
  });

  let id: string;
  try {
    const container = await docker.createContainer(create);
    id = container.id;
    await container.start();
  } catch (e) {
    if (isConflict(e)) throw new UserError(`docker run ${name} failed on ${host}: container name clash: ${daemonMessage(e)}`, { cause: e });
    if (isNotFound(e) && /image/i.test(daemonMessage(e))) throw new UserError(`docker run ${name} failed on ${host}: ${daemonMessage(e)} (pull ${p.image} first)`, { cause: e });
    throw new UserError(`docker run ${name} failed on ${host}: ${daemonMessage(e)}`, { cause: e });
  }
  const shortId = id.slice(0, 12);

  let status: string;
  try {
    if (p.proxy) {
      say(`Deploying ${prefix} to kamal-proxy (target ${shortId}:${p.proxy.appPort})...`);
      await kamalProxy(docker, host, ['deploy', prefix, `--target=${shortId}:${p.proxy.appPort}`, ...p.proxy.args]);
      status = 'healthy';
    } else {
      status = await waitForReadiness({ status: () => healthOrState(docker, id), deployTimeout: p.deployTimeout, readinessDelay: p.readinessDelay, say, signal: ctx.signal });
    }
  } catch (e) {
    const reason = e instanceof Error ? e.message : String(e);
    const [facts, logs] = await Promise.all([
      bootFacts(docker, id, { appPort: p.proxy?.appPort ?? null, healthPath: healthPathOf(p.proxy?.args ?? []), deployTimeout: p.deployTimeout, gateError: reason }),
      logTail(docker, id, 100),
    ]);
    await stopContainer(docker, id, null).catch(() => undefined);
    throw new UserError(`${name} on ${host} did not become healthy: ${gateReason(reason)}`, {
      details: [...describeBootFailure(facts), logs.length ? `last log lines of ${name}:` : `${name} wrote no log lines`, ...logs.map((l) => `  ${l}`), oldVersion ? `${name} was stopped; ${oldVersion} keeps serving` : `${name} was stopped`],
      cause: e,
    });
  }

  const stopped: string[] = [];
  if (oldVersion) {
    const olds = await listContainers(docker, { ...roleFilters(p.service, p.role, p.destination), name: [exactName(`${prefix}-${oldVersion}`)] }, false);
    for (const c of olds) {
      await stopContainer(docker, c.Id, p.stopTimeout);
      stopped.push(bareName(c));
    }
    if (assets) await cleanupAssets(runDir, svcDest, p.role, p.version);
    if (p.errorPages) await cleanupOtherVersions(hostPaths.errorPages(runDir, svcDest, p.version));
  }
  deps.onChange?.();
  return { container: { id, name }, renamed, oldVersion, stopped, status, hostname, messages: lines };
}

/** Kamal removes the error pages of other versions once the old version is stopped. */
async function cleanupOtherVersions(currentDir: string): Promise<void> {
  const parent = dirname(currentDir);
  const current = currentDir.slice(parent.length + 1);
  for (const entry of await readdir(parent).catch(() => [] as string[])) if (entry !== current) await removePath(`${parent}/${entry}`);
}

/** kamal-proxy's refusal without the exec's command line (the details say what was checked). */
function gateReason(message: string): string {
  const m = /failed on [^:]+: (?:Error: )?(.*)$/s.exec(message);
  return (m?.[1] ?? message).trim();
}
