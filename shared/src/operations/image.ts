import { z } from 'zod';
import { imageRef, namePart, registryAuth, serviceScope } from './common.js';

/** `registry.login`: Kamal's `docker login`; the daemon checks the credentials against the registry. */
export const registryLoginParams = z.object({ registry: registryAuth }).strict();
export const registryLoginResult = z.object({ server: z.string(), status: z.string() });

/**
 * `image.pull`: Kamal's `build pull` on one host: audit `Pulled image with version V`,
 * `docker image rm --force`, `docker pull` (progress streamed), then the `service` label check.
 */
export const imagePullParams = serviceScope.extend({
  image: imageRef,
  /** A tag: it also goes into the host's audit log. */
  version: namePart,
  /** null: the registry needs no login (local registry / anonymous pulls). */
  registry: registryAuth.nullable().default(null),
  /** Check that the image's `service` label equals the scope's service (Kamal always does for app images). */
  checkServiceLabel: z.boolean().default(true),
}).strict();
export const imagePullResult = z.object({ image: z.string(), imageId: z.string(), digest: z.string().nullable() });

/** `image.tag`: Kamal's `docker tag <repo>:<version> <repo>:latest[-dest]` (audit `Tagging <img> as the latest image`). */
export const imageTagParams = serviceScope.extend({ image: imageRef, tag: imageRef }).strict();
export const imageTagResult = z.object({ image: z.string(), tag: z.string() });

export type ImagePullParams = z.input<typeof imagePullParams>;

/**
 * `image.load`: the image of a local registry (`registry: localhost:PORT`), which hosts behind NAT cannot
 * reach: the controller streams the image archive (`docker save`) the operator uploaded, the agent
 * `docker load`s it. Audited like a pull; the `service` label is checked the same way.
 */
export const imageLoadParams = serviceScope.extend({
  image: imageRef,
  /** A tag: it also goes into the host's audit log. */
  version: namePart,
  checkServiceLabel: z.boolean().default(true),
}).strict();
