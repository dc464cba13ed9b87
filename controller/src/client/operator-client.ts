import type { IncomingMessage } from 'node:http';
import type { Readable } from 'node:stream';
import type { z } from 'zod';
import { UserError } from '@drover/shared';
import { errorOf, unreachable } from './api-errors.js';
import type { AttachOptions } from './attach-exec.js';
import { rpcFollow, type RpcFollowOptions } from './follow-client.js';
import { AgentInventory, AgentList, MintJoinTokenResult, RpcResult, WhoAmI, type AgentView, type LabelPatch, type MintJoinTokenBody } from '../server/operator-api.js';
import type { OperatorCredentials } from './operator-config.js';
import { ConvergenceView, DeploymentCreated, DeploymentDetail, DeploymentList, LockStatus, LockView, type DeploymentRequest, type DeploymentView, type HookReport, type LockAcquireBody } from '../server/deployments-api.js';
import { IndexedEvent } from '../rollout/events.js';
import { JoinTokenList, JoinTokenRevoked, OperatorTokenList, OperatorTokenRevoked, type JoinTokenView, type OperatorTokenView } from '../server/tokens-api.js';
import { PinnedHttp, textOf } from '@drover/shared/protocol/pinned-http';

/** Client for the operator API, used by the `drover` CLI. */
export class OperatorClient {
  private readonly http: PinnedHttp;

  constructor(private readonly creds: OperatorCredentials) {
    this.http = new PinnedHttp(creds.fingerprint, creds.controller);
  }

  whoami(): Promise<z.infer<typeof WhoAmI>> {
    return this.send('GET', '/v1/whoami', undefined, WhoAmI);
  }

  async listAgents(): Promise<AgentView[]> {
    return (await this.send('GET', '/v1/agents', undefined, AgentList)).agents;
  }

  mintJoinToken(body: MintJoinTokenBody): Promise<z.infer<typeof MintJoinTokenResult>> {
    return this.send('POST', '/v1/agents/tokens', body, MintJoinTokenResult);
  }

  /** Join tokens that still work (`all`: revoked, used and expired ones too), newest first. */
  async listJoinTokens(opts: { all?: boolean } = {}): Promise<JoinTokenView[]> {
    return (await this.send('GET', `/v1/agents/tokens?all=${opts.all ? 1 : 0}`, undefined, JoinTokenList)).tokens;
  }

  async revokeJoinToken(id: string): Promise<JoinTokenView> {
    return (await this.send('POST', `/v1/agents/tokens/${encodeURIComponent(id)}/revoke`, {}, JoinTokenRevoked)).token;
  }

  /** Operator tokens that still work (`all`: revoked and expired ones too); never their values. */
  async listOperatorTokens(opts: { all?: boolean } = {}): Promise<OperatorTokenView[]> {
    return (await this.send('GET', `/v1/operator-tokens?all=${opts.all ? 1 : 0}`, undefined, OperatorTokenList)).tokens;
  }

  /** Revokes an operator token by id (or by name, when one unrevoked token has it). */
  revokeOperatorToken(idOrName: string): Promise<OperatorTokenRevoked> {
    return this.send('POST', `/v1/operator-tokens/${encodeURIComponent(idOrName)}/revoke`, {}, OperatorTokenRevoked);
  }

  /** The agent's last inventory: host facts, managed containers and kamal-proxy (a UserError when it is offline). */
  inventory(name: string): Promise<AgentInventory> {
    return this.send('GET', `/v1/agents/${encodeURIComponent(name)}/inventory`, undefined, AgentInventory);
  }

  async revoke(name: string): Promise<{ revoked: string; wasOnline: boolean }> {
    return (await this.send('POST', `/v1/agents/${encodeURIComponent(name)}/revoke`, {}, null)) as { revoked: string; wasOnline: boolean };
  }

  async label(name: string, patch: LabelPatch): Promise<{ name: string; labels: Record<string, string> }> {
    return (await this.send('PATCH', `/v1/agents/${encodeURIComponent(name)}/labels`, patch, null)) as { name: string; labels: Record<string, string> };
  }

  async rpc(name: string, method: string, params?: unknown, timeoutMs?: number): Promise<unknown> {
    return ((await this.send('POST', `/v1/agents/${encodeURIComponent(name)}/rpc`, { method, params, timeoutMs }, null)) as { result: unknown }).result;
  }

  /** Streaming call through the controller: sends `input`, returns the result and everything the agent wrote. */
  async rpcStream(name: string, method: string, params: unknown, input: Buffer, opts: { timeoutMs?: number; resize?: { cols: number; rows: number } } = {}): Promise<{ result: unknown; output: Buffer }> {
    const r = await this.send('POST', `/v1/agents/${encodeURIComponent(name)}/rpc`, {
      method, params, timeoutMs: opts.timeoutMs, stream: { input: input.toString('base64'), resize: opts.resize },
    }, RpcResult);
    return { result: r.result, output: Buffer.from(r.output ?? '', 'base64') };
  }

  /**
   * A streaming call followed as it runs (`logs -f`): output goes to `opts.onOutput` as it comes (awaited:
   * the agent is slowed down to the caller's pace), then the call's result. Aborting `opts.signal` cancels
   * the call on the agent and rejects with the signal's reason. Scope: the method's (read for logs).
   */
  rpcFollow(name: string, method: string, params: unknown, opts: RpcFollowOptions): Promise<unknown> {
    return rpcFollow(this.creds, this.http, name, method, params, opts);
  }

  /**
   * An interactive exec (`app.exec` / `accessory.exec` with `interactive`, `tty`): the operator's input and
   * terminal size go to the command, its output to `opts.output`; resolves to its exit code. Scope deploy.
   */
  async attachExec(name: string, method: string, params: unknown, opts: AttachOptions): Promise<number> {
    // Loaded on demand: ws is only needed by interactive execs, and every command pays for what it loads.
    const { attachExecWith } = await import('./attach-exec.js');
    return attachExecWith(this.creds, name, method, params, opts);
  }

  async submitDeployment(body: DeploymentRequest): Promise<DeploymentView> {
    return (await this.send('POST', '/v1/deployments', body, DeploymentCreated)).deployment;
  }

  async listDeployments(filter: { service?: string; destination?: string | null; limit?: number } = {}): Promise<DeploymentView[]> {
    const q = new URLSearchParams();
    if (filter.service) q.set('service', filter.service);
    if (filter.destination !== undefined) q.set('destination', filter.destination ?? '');
    if (filter.limit) q.set('limit', String(filter.limit));
    return (await this.send('GET', `/v1/deployments?${q.toString()}`, undefined, DeploymentList)).deployments;
  }

  deployment(id: string): Promise<z.infer<typeof DeploymentDetail>> {
    return this.send('GET', `/v1/deployments/${encodeURIComponent(id)}`, undefined, DeploymentDetail);
  }

  /**
   * A deployment's events from index `from` until its `end` event, as they happen. Throws a UserError
   * when the connection is lost before the end (the caller may follow again from the next index).
   * `omitSteps`: without the step records, for a follower that prints only Kamal's lines.
   */
  async *followDeployment(id: string, from = 0, opts: { omitSteps?: boolean } = {}): AsyncGenerator<IndexedEvent> {
    const url = new URL(`/v1/deployments/${encodeURIComponent(id)}/events?from=${from}${opts.omitSteps ? '&omit=steps' : ''}`, this.creds.controller);
    let res: IncomingMessage;
    try {
      res = await this.http.request(url, { method: 'GET', headers: { authorization: `Bearer ${this.creds.token}` }, headersTimeoutMs: 60_000, bodyIdleMs: 0 });
    } catch (err) {
      throw unreachable(this.creds.controller, err);
    }
    const status = res.statusCode ?? 0;
    if (status >= 400) {
      const text = await textOf(res);
      let json: unknown = null;
      try { json = JSON.parse(text); } catch { /* reported below */ }
      throw errorOf(status, json);
    }
    let buffered = '';
    try {
      for await (const chunk of res) {
        buffered += chunk.toString();
        let nl: number;
        while ((nl = buffered.indexOf('\n')) >= 0) {
          const line = buffered.slice(0, nl);
          buffered = buffered.slice(nl + 1);
          if (!line.trim()) continue;
          const parsed = IndexedEvent.safeParse(JSON.parse(line));
          if (!parsed.success) throw new UserError(`controller ${this.creds.controller}: unexpected deployment event`);
          yield parsed.data;
        }
      }
    } catch (err) {
      if (err instanceof UserError) throw err;
      throw new UserError(`lost the connection to controller ${this.creds.controller}: ${(err as Error).message}`);
    }
  }

  /** Uploads a local registry's image (a `docker save` archive, streamed) for the agents to load. */
  async uploadImage(service: string, version: string, archive: NodeJS.ReadableStream): Promise<{ bytes: number }> {
    const url = new URL(`/v1/images/${encodeURIComponent(service)}/${encodeURIComponent(version)}`, this.creds.controller);
    let res: IncomingMessage;
    let text: string;
    try {
      res = await this.http.request(url, {
        method: 'PUT', body: archive as Readable,
        headers: { authorization: `Bearer ${this.creds.token}`, 'content-type': 'application/x-tar' },
        headersTimeoutMs: 30 * 60_000, bodyIdleMs: 60_000,
      });
      text = await textOf(res);
    } catch (err) {
      throw new UserError(`uploading the image to controller ${this.creds.controller} failed: ${(err as Error).message}`);
    }
    let json: unknown = null;
    try { json = JSON.parse(text); } catch { /* reported below */ }
    if ((res.statusCode ?? 0) >= 400) throw errorOf(res.statusCode ?? 0, json);
    return { bytes: Number((json as { bytes?: number } | null)?.bytes ?? 0) };
  }

  async reportHook(id: string, step: string, report: HookReport): Promise<void> {
    await this.send('POST', `/v1/deployments/${encodeURIComponent(id)}/hooks/${encodeURIComponent(step)}`, report, null);
  }

  /** The service's lock, else the host lock of a convergence. */
  async lockStatus(key: string): Promise<LockView | null> {
    return (await this.serviceLocks(key))[0] ?? null;
  }

  /** The service's lock and the host locks of its convergences, the service's first. */
  async serviceLocks(key: string): Promise<LockView[]> {
    const status = await this.send('GET', `/v1/locks/${encodeURIComponent(key)}`, undefined, LockStatus);
    return status.locks ?? (status.lock ? [status.lock] : []);
  }

  async acquireLock(key: string, body: LockAcquireBody): Promise<LockView> {
    return (await this.send('POST', `/v1/locks/${encodeURIComponent(key)}`, body, LockStatus.extend({ lock: LockView }))).lock;
  }

  async releaseLock(key: string): Promise<boolean> {
    return ((await this.send('DELETE', `/v1/locks/${encodeURIComponent(key)}`, undefined, null)) as { released: boolean }).released;
  }

  convergence(): Promise<z.infer<typeof ConvergenceView>> {
    return this.send('GET', '/v1/convergence', undefined, ConvergenceView);
  }

  setConvergencePaused(paused: boolean): Promise<z.infer<typeof ConvergenceView>> {
    return this.send('POST', '/v1/convergence', { paused }, ConvergenceView);
  }

  async close(): Promise<void> {
    this.http.close();
  }

  private async send<T>(method: 'GET' | 'POST' | 'PATCH' | 'DELETE', path: string, body: unknown, schema: z.ZodType<T, z.ZodTypeDef, unknown> | null): Promise<T> {
    const url = new URL(path, this.creds.controller);
    let res: IncomingMessage;
    let text: string;
    try {
      res = await this.http.request(url, {
        method,
        headers: { authorization: `Bearer ${this.creds.token}`, ...(body === undefined ? {} : { 'content-type': 'application/json' }) },
        body: body === undefined ? undefined : JSON.stringify(body),
        headersTimeoutMs: 60_000, bodyIdleMs: 60_000,
      });
      text = await textOf(res);
    } catch (err) {
      throw unreachable(this.creds.controller, err);
    }
    const status = res.statusCode ?? 0;
    let json: unknown = null;
    try {
      json = text ? JSON.parse(text) : null;
    } catch {
      throw new UserError(`controller ${this.creds.controller}: ${method} ${path} answered ${status} with non-JSON`);
    }
    if (status >= 400) throw errorOf(status, json);
    if (!schema) return json as T;
    const parsed = schema.safeParse(json);
    if (!parsed.success) throw new UserError(`controller ${this.creds.controller}: unexpected answer to ${method} ${path}`);
    return parsed.data;
  }
}

