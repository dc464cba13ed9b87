// Starting Drover's real processes for the demo: the controller on the operator side,
// an agent on each rig host. Both outlive the demo command (detached), like services would.
import { spawn, spawnSync } from 'node:child_process';
import { closeSync, mkdirSync, openSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { RigHost } from '../rig/index.js';
import { waitFor } from '../rig/index.js';

const repo = resolve(fileURLToPath(new URL('../../..', import.meta.url)));
export const DROVER = join(repo, 'controller', 'dist', 'drover', 'main.js');
export const DROVER_AGENT = join(repo, 'agent', 'dist', 'cli', 'main.js');

/** Runs the `drover` CLI to completion; throws with its stderr on failure. */
export function drover(args: string[], env: NodeJS.ProcessEnv = process.env): string {
  const r = spawnSync(process.execPath, [DROVER, ...args], { encoding: 'utf8', env });
  if (r.status !== 0) throw new Error(`drover ${args[0]} ${args[1] ?? ''}: ${(r.stderr || r.stdout).trim()}`);
  return r.stdout;
}

export interface RunningController {
  pid: number;
  url: string;
  fingerprint: string;
  adminToken: string;
}

export async function startController(dataDir: string, address: string, port: number): Promise<RunningController> {
  mkdirSync(dataDir, { recursive: true, mode: 0o700 });
  const url = `https://${address}:${port}`;
  const token = JSON.parse(drover(['controller', 'token', 'create', '--scope', 'admin', '--name', 'demo', '--data-dir', dataDir, '--json'])) as { token: string; fingerprint: string };
  const log = openSync(join(dataDir, 'controller.log'), 'a');
  const child = spawn(process.execPath, [DROVER, 'controller', 'serve', '--listen', `${address}:${port}`, '--data-dir', dataDir, '--public-url', url],
    { detached: true, stdio: ['ignore', log, log] });
  closeSync(log);
  child.unref();
  const env = { ...process.env, DROVER_CONTROLLER: url, DROVER_TOKEN: token.token, DROVER_FINGERPRINT: token.fingerprint };
  await waitFor('the controller', async () => (drover(['agents', '--json'], env), true), 20_000, 200);
  return { pid: child.pid!, url, fingerprint: token.fingerprint, adminToken: token.token };
}

/** Enrolls and starts an agent on a rig host, as the one-line installer would. */
export async function startAgent(host: RigHost, env: NodeJS.ProcessEnv): Promise<void> {
  const { token } = JSON.parse(drover(['agents', 'token', '--name', host.name, '--json'], env)) as { token: string };
  const dataDir = '/root/.drover-agent';
  // The join token travels in the environment, never in argv.
  const enroll = await host.exec([process.execPath, DROVER_AGENT, 'enroll', '--data-dir', dataDir],
    { env: { ...process.env, DROVER_JOIN_TOKEN: token }, check: false });
  if (enroll.code !== 0) throw new Error(`agent ${host.name}: enroll failed: ${enroll.stderr.trim()}`);
  const logDir = join('/var/lib/drover-rig/demo', host.name);
  mkdirSync(logDir, { recursive: true });
  const log = openSync(join(logDir, 'agent.log'), 'a');
  const agent = host.spawn([process.execPath, DROVER_AGENT, 'run', '--data-dir', dataDir], { detached: true, stdio: ['ignore', log, log] });
  closeSync(log);
  agent.unref();
}

export interface AgentRow { name: string; online: boolean; address?: string | null; dockerVersion?: string | null }

export function listAgents(env: NodeJS.ProcessEnv): AgentRow[] {
  return (JSON.parse(drover(['agents', '--json'], env)) as { agents: AgentRow[] }).agents;
}
