import { Readable } from 'node:stream';
import type { FastifyInstance, FastifyPluginAsync } from 'fastify';
import { z } from 'zod';
import { isUserError } from '@drover/shared';
import type { Deployments } from '../rollout/deployments.js';
import { lockStatusText } from '../rollout/lock.js';
import type { LockRecord, Store } from '../store/store.js';
import type { ImageStore } from '../store/image-store.js';
import { scopeAllows } from '../auth/operator-token.js';
import { DeploymentRequest, HookReport, LockAcquireBody, LockKey, type DeploymentView, type LockView } from './deployments-api.js';
import { sendError } from './http-errors.js';
import { operatorOf } from './route-schemas.js';

export interface DeploymentRouteDeps {
  store: Store;
  deployments: Deployments;
  images: ImageStore;
}

/** A local registry's image archive may be large; it is streamed to disk, never held in memory. */
const MAX_IMAGE_BYTES = 16 * 1024 * 1024 * 1024;

const IdParams = z.object({ id: z.string().regex(/^dep-[a-z0-9]+-[0-9a-f]{8}$/, 'is not a deployment id') });
const ListQuery = z.object({
  service: z.string().max(128).optional(),
  destination: z.string().max(128).optional(),
  limit: z.coerce.number().int().min(1).max(1000).default(20),
});
const EventsQuery = z.object({
  from: z.coerce.number().int().min(0).default(0),
  /** `steps`: without the step records (a follower that prints Kamal's lines has no use for them). */
  omit: z.literal('steps').optional(),
}).strict();
const HookParams = IdParams.extend({ step: z.string().regex(/^\d+\.hook$/, 'is not a hook step') });
const LockParams = z.object({ key: LockKey });
const ImageParams = z.object({ service: z.string().regex(/^[A-Za-z0-9][A-Za-z0-9_.-]{0,127}$/), version: z.string().regex(/^[A-Za-z0-9][A-Za-z0-9_.-]{0,127}$/) });

const lockView = (l: LockRecord): LockView => ({ ...l, status: lockStatusText(l) });

/** Deployments (submit, list, follow, hook results) and the deploy lock. */
export const deploymentRoutes: FastifyPluginAsync<DeploymentRouteDeps> = async (app: FastifyInstance, { store, deployments, images }) => {
  // `docker save` archives arrive as a stream (local registry images); this plugin's routes only.
  app.addContentTypeParser('application/x-tar', (_req, payload, done) => done(null, payload));

  app.put('/v1/images/:service/:version', { config: { scope: 'deploy' }, bodyLimit: MAX_IMAGE_BYTES, schema: { params: ImageParams } }, async (req, reply) => {
    const { service, version } = req.params as z.output<typeof ImageParams>;
    if (req.headers['content-type'] !== 'application/x-tar') return sendError(reply, 415, 'unsupported_media_type', 'send the image archive as application/x-tar');
    try {
      const bytes = await images.put(service, version, req.body as Readable, MAX_IMAGE_BYTES);
      return reply.code(201).send({ service, version, bytes });
    } catch (err) {
      if (isUserError(err)) return sendError(reply, 413, 'too_large', err.message);
      throw err;
    }
  });

  app.post('/v1/deployments', { config: { scope: 'deploy' }, bodyLimit: 32 * 1024 * 1024, schema: { body: DeploymentRequest } }, async (req, reply) => {
    try {
      const record = deployments.submit(req.body as z.output<typeof DeploymentRequest>);
      return reply.code(201).send({ deployment: deployments.view(record) });
    } catch (err) {
      if (isUserError(err)) return sendError(reply, 422, 'rejected', err.message, { details: err.details, exitCode: err.exitCode || 1 });
      throw err;
    }
  });

  app.get('/v1/deployments', { config: { scope: 'read' }, schema: { querystring: ListQuery } }, async (req) => {
    const q = req.query as z.output<typeof ListQuery>;
    const destination = q.destination === undefined ? undefined : q.destination === '' ? null : q.destination;
    const list = store.listDeployments({ service: q.service, destination, limit: q.limit });
    return { deployments: list.map((d): DeploymentView => deployments.view(d)) };
  });

  app.get('/v1/deployments/:id', { config: { scope: 'read' }, schema: { params: IdParams } }, async (req, reply) => {
    const { id } = req.params as z.output<typeof IdParams>;
    const d = deployments.get(id);
    if (!d) return sendError(reply, 404, 'not_found', `no deployment ${id}`);
    return { deployment: deployments.view(d), steps: store.listSteps(id) };
  });

  // NDJSON, one `{index, at, event}` per line from `from` on; the response ends after the `end` event.
  app.get('/v1/deployments/:id/events', { config: { scope: 'read' }, schema: { params: IdParams, querystring: EventsQuery } }, async (req, reply) => {
    const { id } = req.params as z.output<typeof IdParams>;
    if (!deployments.get(id)) return sendError(reply, 404, 'not_found', `no deployment ${id}`);
    const { from, omit } = req.query as z.output<typeof EventsQuery>;
    const abort = new AbortController();
    // Only a follower that may answer hooks counts as the operator the rollout waits for.
    const detach = scopeAllows(operatorOf(req).scope, 'deploy') ? deployments.hooks.attach(id) : () => undefined;
    req.raw.once('close', () => abort.abort());
    async function* lines() {
      try {
        for await (const batch of deployments.events.follow(id, from, abort.signal, { omitSteps: omit === 'steps' })) yield batch.map((e) => `${JSON.stringify(e)}\n`).join('');
      } finally {
        detach();
      }
    }
    return reply.type('application/x-ndjson').header('cache-control', 'no-store').send(Readable.from(lines()));
  });

  app.post('/v1/deployments/:id/hooks/:step', { config: { scope: 'deploy' }, schema: { params: HookParams, body: HookReport } }, async (req, reply) => {
    const { id, step } = req.params as z.output<typeof HookParams>;
    const body = req.body as z.output<typeof HookReport>;
    if (!deployments.hooks.report(id, step, { ok: body.ok, message: body.message })) return sendError(reply, 409, 'not_waiting', `deployment ${id} is not waiting for hook step ${step}`);
    return { accepted: true };
  });

  app.get('/v1/locks/:key', { config: { scope: 'read' }, schema: { params: LockParams } }, async (req) => {
    const locks = store.serviceLocks((req.params as z.output<typeof LockParams>).key).map(lockView);
    return { lock: locks[0] ?? null, locks };
  });

  app.post('/v1/locks/:key', { config: { scope: 'deploy' }, schema: { params: LockParams, body: LockAcquireBody } }, async (req, reply) => {
    const { key } = req.params as z.output<typeof LockParams>;
    const body = req.body as z.output<typeof LockAcquireBody>;
    const r = store.acquireLock({ key, holder: body.holder, message: body.message, version: body.version, acquiredAt: Date.now(), automatic: false, deploymentId: null });
    if (!r.acquired) return sendError(reply, 409, 'locked', `Deploy lock already in place!\n${lockStatusText(r.held)}`);
    return reply.code(201).send({ lock: lockView(r.lock) });
  });

  app.delete('/v1/locks/:key', { config: { scope: 'deploy' }, schema: { params: LockParams } }, async (req) => {
    return { released: store.releaseLock((req.params as z.output<typeof LockParams>).key) };
  });
};
