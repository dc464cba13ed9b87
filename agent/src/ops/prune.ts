import type { z } from 'zod';
import type { pruneAllParams, pruneContainersParams, pruneImagesParams } from '@drover/shared/operations';
import { recordAudit } from './audit.js';
import { bareName, listContainers, removeContainer } from './containers.js';
import type { OperationsDeps } from './types.js';

/** Which stopped containers go: all but the newest `retain` (Kamal: `docker ps -q -a … | tail -n +<retain+1>`). */
export function containersToPrune<T>(newestFirst: T[], retain: number): T[] {
  return newestFirst.slice(retain);
}

/** Kamal prunes by the service label only, so every destination of the service on this host is covered. */
export async function pruneContainers(deps: OperationsDeps, p: z.output<typeof pruneContainersParams>) {
  await recordAudit(deps.runDirectory, p, `Pruned containers`);
  const stopped = await listContainers(deps.docker, { label: [`service=${p.service}`], status: ['created', 'exited', 'dead'] });
  const removed: string[] = [];
  for (const c of containersToPrune(stopped, p.retain)) {
    await removeContainer(deps.docker, c.Id);
    removed.push(bareName(c));
  }
  if (removed.length > 0) deps.onChange?.();
  return { removed };
}

/** Tags to remove: the service's tagged images that no container (any state) uses, except the latest tag and `<none>`. */
export function imageTagsToPrune(tags: string[], usedImages: Set<string>, latestImage: string): string[] {
  return tags.filter((t) => !usedImages.has(t) && t !== latestImage && !t.endsWith(':<none>') && t !== '<none>:<none>');
}

/** `docker image prune --force --filter label=service=S`, then `docker rmi` of the unused tags. */
export async function pruneImages(deps: OperationsDeps, p: z.output<typeof pruneImagesParams>) {
  await recordAudit(deps.runDirectory, p, `Pruned images`);
  const label = `service=${p.service}`;
  await deps.docker.pruneImages({ filters: JSON.stringify({ label: [label] }) });
  const [images, containers] = await Promise.all([
    deps.docker.listImages({ filters: JSON.stringify({ label: [label] }) }),
    listContainers(deps.docker, { label: [label] }),
  ]);
  const used = new Set(containers.map((c) => c.Image));
  const removed: string[] = [];
  for (const t of imageTagsToPrune(images.flatMap((i) => i.RepoTags ?? []), used, p.latestImage)) {
    await deps.docker.getImage(t).remove().then(() => removed.push(t), () => undefined);
  }
  return { removed };
}

/** Kamal's `prune all`: old containers first, so the images they held can go too. */
export async function pruneAll(deps: OperationsDeps, p: z.output<typeof pruneAllParams>) {
  const containers = await pruneContainers(deps, p);
  const images = await pruneImages(deps, p);
  return { containers: containers.removed, images: images.removed };
}
