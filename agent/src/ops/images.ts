import { Readable } from 'node:stream';
import { UserError } from '@drover/shared';
import type { z } from 'zod';
import type { imageLoadParams, imagePullParams, imageTagParams, registryLoginParams } from '@drover/shared/operations';
import { recordAudit } from './audit.js';
import { daemonMessage, dockerFailure } from './docker-errors.js';
import { pullImage, registryLogin } from './pull.js';
import type { Chunk, OperationsDeps } from './types.js';

/** `repo[:tag]` → parts, where the tag is after the last `:` that follows the last `/`. */
export function splitRef(ref: string): { repo: string; tag: string } {
  const slash = ref.lastIndexOf('/');
  const colon = ref.lastIndexOf(':');
  return colon > slash ? { repo: ref.slice(0, colon), tag: ref.slice(colon + 1) } : { repo: ref, tag: 'latest' };
}

export async function login(deps: OperationsDeps, p: z.output<typeof registryLoginParams>) {
  const status = await registryLogin(deps.docker, p.registry, deps.host);
  return { server: p.registry.server ?? 'Docker Hub', status };
}

/**
 * Kamal's pull on one host: audit, `docker image rm --force`, `docker pull` (progress streamed),
 * then `Image IMG is missing the 'service' label` unless the label equals the service.
 */
export async function pull(deps: OperationsDeps, p: z.output<typeof imagePullParams>, emit: (c: Chunk) => void | Promise<void>, signal: AbortSignal) {
  await recordAudit(deps.runDirectory, p, `Pulled image with version ${p.version}`);
  if (p.registry) await registryLogin(deps.docker, p.registry, deps.host);
  await deps.docker.getImage(p.image).remove({ force: true }).catch(() => undefined);
  await pullImage(deps.docker, p.image, p.registry, deps.host, emit, signal);
  return checkedImage(deps, p);
}

/** Kamal's check after a pull: the image's `service` label must be the service. */
async function checkedImage(deps: OperationsDeps, p: { image: string; service: string; checkServiceLabel: boolean }) {
  const info = await deps.docker.getImage(p.image).inspect();
  if (p.checkServiceLabel && info.Config.Labels?.service !== p.service) {
    throw new UserError(`Image ${p.image} is missing the 'service' label`, {
      details: [`expected service=${p.service}, found ${info.Config.Labels?.service === undefined ? 'no service label' : `service=${info.Config.Labels.service}`} (on ${deps.host})`],
    });
  }
  deps.onChange?.();
  return { image: p.image, imageId: info.Id, digest: info.RepoDigests?.[0] ?? null };
}

/**
 * `image.load`: the archive the controller streams (a local registry's image) goes into `docker load`;
 * then the same audit line and label check as a pull.
 */
export async function load(deps: OperationsDeps, p: z.output<typeof imageLoadParams>, input: AsyncIterable<Chunk>, signal: AbortSignal) {
  await recordAudit(deps.runDirectory, p, `Pulled image with version ${p.version}`);
  await deps.docker.getImage(p.image).remove({ force: true }).catch(() => undefined);
  const archive = Readable.from((async function* () { for await (const c of input) yield typeof c === 'string' ? Buffer.from(c) : c; })());
  try {
    const out = (await deps.docker.loadImage(archive, { quiet: true, abortSignal: signal } as object)) as NodeJS.ReadableStream;
    await new Promise<void>((resolve, reject) => deps.docker.modem.followProgress(out, (err: Error | null) => (err ? reject(err) : resolve())));
  } catch (e) {
    throw new UserError(`docker load ${p.image} failed on ${deps.host}: ${daemonMessage(e)}`, { cause: e });
  }
  return checkedImage(deps, p);
}

/** `docker tag <repo>:<version> <repo>:latest[-dest]`. */
export async function tag(deps: OperationsDeps, p: z.output<typeof imageTagParams>) {
  await recordAudit(deps.runDirectory, p, `Tagging ${p.image} as the latest image`);
  const { repo, tag: t } = splitRef(p.tag);
  try {
    await deps.docker.getImage(p.image).tag({ repo, tag: t });
  } catch (e) {
    throw dockerFailure(`docker tag ${p.image} ${p.tag}`, deps.host, e);
  }
  return { image: p.image, tag: p.tag };
}
