import type { FastifyInstance, FastifyPluginAsync } from 'fastify';
import { z } from 'zod';
import { CloseCode } from '@drover/shared/protocol';
import { issueJoinToken } from '../auth/join-token.js';
import type { ControllerIdentity } from '../auth/controller-identity.js';
import type { AgentRecord, Store } from '../store/store.js';
import type { AgentHub } from './agent-hub.js';
import { agentNamed as findAgent } from './agent-lookup.js';
import { agentFacingUrl, shellQuote } from './agent-facing-url.js';
import { installCommand } from './routes-install.js';
import { sendError } from './http-errors.js';
import { LabelPatch, MintJoinTokenBody, RpcBody, type AgentInventory, type AgentView, type MintJoinTokenResult, type WhoAmI } from './operator-api.js';
import { operatorOf } from './route-schemas.js';

export interface OperatorRouteDeps {
  store: Store;
  hub: AgentHub;
  identity: ControllerIdentity;
  /** URL agents should use; null means "the URL the operator reached us at". */
  publicUrl: string | null;
  scheme: 'https' | 'http';
}

const NameParams = z.object({ name: z.string().min(1).max(128) });
type NameParams = z.output<typeof NameParams>;

/** Operator routes for agents and minting join tokens (agent calls: routes-ops.ts; listing and revoking tokens: routes-tokens.ts); each declares its scope and schemas once (see route-schemas.ts). */
export const operatorRoutes: FastifyPluginAsync<OperatorRouteDeps> = async (app: FastifyInstance, deps) => {
  const { store, hub, identity } = deps;

  const view = (a: AgentRecord): AgentView => {
    const online = hub.isOnline(a.id);
    return {
      id: a.id, name: a.name, labels: a.labels, online,
      lastSeen: online ? Date.now() : a.lastSeen,
      address: hub.addressOf(a.id) ?? a.lastAddress,
      hostname: hub.inventoryOf(a.id)?.hostname ?? a.hostname,
      agentVersion: hub.inventoryOf(a.id)?.agentVersion ?? a.agentVersion,
      dockerVersion: online ? (hub.inventoryOf(a.id)?.docker?.version ?? a.dockerVersion) : a.dockerVersion,
      enrolledAt: a.enrolledAt,
    };
  };
  const agentNamed = (name: string): AgentRecord | null => findAgent(store, name);

  app.get('/v1/whoami', { config: { scope: 'read' } }, async (req) => {
    const op = operatorOf(req);
    const body: WhoAmI = { tokenName: op.name, scope: op.scope, controllerId: identity.controllerId, fingerprint: identity.fingerprint };
    return body;
  });

  app.get('/v1/agents', { config: { scope: 'read' } }, async () => {
    return { agents: store.listAgents().map(view) };
  });

  app.post('/v1/agents/tokens', { config: { scope: 'admin' }, schema: { body: MintJoinTokenBody } }, async (req, reply) => {
    const body = { data: req.body as z.output<typeof MintJoinTokenBody> };
    // The Host header is the client's word: only a plain HOST[:PORT] may go into a token and a printed shell line.
    const url = deps.publicUrl ?? agentFacingUrl(deps.scheme, req.headers.host);
    if (!url) return sendError(reply, 400, 'no_public_url', 'cannot tell which URL agents should use (the Host header is not HOST[:PORT]); start the controller with --public-url');
    const minted = await issueJoinToken(store, {
      controllerId: identity.controllerId, signingKey: identity.signingKey, ttlSeconds: body.data.ttlSeconds,
      claims: { url, fp: identity.fingerprint, name: body.data.name, labels: body.data.labels ?? {}, reusable: body.data.reusable },
    });
    req.log.info({ joinToken: minted.jti, name: body.data.name, reusable: body.data.reusable, ttlSeconds: body.data.ttlSeconds }, 'join token minted');
    const result: MintJoinTokenResult = {
      id: minted.jti, token: minted.token, expiresAt: minted.expiresAt, url, fingerprint: identity.fingerprint,
      // The installer pins the controller's TLS key, so a plain-HTTP controller (tests, dev) has none to print.
      installCommand: deps.scheme === 'https' ? installCommand(url, identity.fingerprint, minted.token) : `DROVER_JOIN_TOKEN=${shellQuote(minted.token)} drover-agent enroll`,
    };
    return reply.code(201).send(result);
  });

  // What the agent last reported: host facts and the managed containers (apps, accessories, kamal-proxy).
  app.get('/v1/agents/:name/inventory', { config: { scope: 'read' }, schema: { params: NameParams } }, async (req, reply) => {
    const { name } = req.params as NameParams;
    const agent = agentNamed(name);
    if (!agent) return sendError(reply, 404, 'not_found', `no enrolled agent named ${name}`);
    const inventory = hub.inventoryOf(agent.id);
    if (!inventory) return sendError(reply, 409, 'offline', `agent ${agent.name} is not connected; its inventory is only known while it is`);
    const body: AgentInventory = { name: agent.name, online: hub.isOnline(agent.id), inventory };
    return body;
  });

  app.post('/v1/agents/:name/revoke', { config: { scope: 'admin' }, schema: { params: NameParams } }, async (req, reply) => {
    const { name } = req.params as NameParams;
    const agent = agentNamed(name);
    if (!agent) return sendError(reply, 404, 'not_found', `no enrolled agent named ${name}`);
    store.revokeAgent(agent.id, Date.now());
    const wasOnline = hub.disconnect(agent.id, CloseCode.RevokedAgent, 'agent was revoked by an operator');
    hub.forget(agent.id);
    req.log.warn({ agent: agent.name, wasOnline }, 'agent revoked');
    return { revoked: agent.name, wasOnline };
  });

  app.patch('/v1/agents/:name/labels', { config: { scope: 'admin' }, schema: { params: NameParams, body: LabelPatch } }, async (req, reply) => {
    const { name } = req.params as NameParams;
    const agent = agentNamed(name);
    if (!agent) return sendError(reply, 404, 'not_found', `no enrolled agent named ${name}`);
    const body = { data: req.body as z.output<typeof LabelPatch> };
    const labels = { ...agent.labels, ...body.data.set };
    for (const k of body.data.remove) delete labels[k];
    store.setAgentLabels(agent.id, labels);
    return { name: agent.name, labels };
  });

  // Calls one method on every online agent at once and reports latency percentiles.
  app.post('/v1/agents/broadcast', { config: { scope: 'admin' }, schema: { body: RpcBody.omit({ stream: true }) } }, async (req) => {
    const body = { data: req.body as z.output<typeof RpcBody> };
    const ids = hub.onlineAgentIds();
    const started = performance.now();
    const latencies: number[] = [];
    let failed = 0;
    await Promise.all(ids.map(async (id) => {
      const t0 = performance.now();
      try {
        await hub.call(id, body.data.method, body.data.params, { timeoutMs: body.data.timeoutMs });
        latencies.push(performance.now() - t0);
      } catch {
        failed++;
      }
    }));
    latencies.sort((x, y) => x - y);
    const pct = (p: number) => (latencies.length ? latencies[Math.min(latencies.length - 1, Math.floor((p / 100) * latencies.length))]! : null);
    return { agents: ids.length, ok: latencies.length, failed, totalMs: performance.now() - started, p50Ms: pct(50), p99Ms: pct(99) };
  });
};
