import { spawn } from 'node:child_process';
import { readdirSync, readFileSync, readlinkSync } from 'node:fs';
import { connect, createServer } from 'node:net';
import { resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Proc } from '@drover/controller/e2e/harness';
import type { RigHost } from '../rig/index.js';

const here = fileURLToPath(new URL('.', import.meta.url));
const REPO = resolve(here, '../../..');
export const DROVER_MAIN = resolve(REPO, 'controller/dist/drover/main.js');
export const AGENT_MAIN = resolve(REPO, 'agent/dist/cli/main.js');

/** A port free on `address` now (listen(0), then released) so a restarted controller can take it again. */
export function freePort(address: string): Promise<number> {
  return new Promise((done, fail) => {
    const s = createServer();
    s.once('error', fail);
    s.listen(0, address, () => {
      const { port } = s.address() as { port: number };
      s.close(() => done(port));
    });
  });
}

export interface RigController {
  proc: Proc;
  url: string;
  fingerprint: string;
}

/** `drover controller serve` as a real process on the operator side, reachable by hosts through the NAT gateway. */
export async function serveController(address: string, port: number, dataDir: string): Promise<RigController> {
  const url = `https://${address}:${port}`;
  const args = ['controller', 'serve', '--listen', `${address}:${port}`, '--public-url', url, '--data-dir', dataDir, '--heartbeat-ms', '1000'];
  const proc = new Proc(spawn(process.execPath, [DROVER_MAIN, ...args], { stdio: ['ignore', 'pipe', 'pipe'] }));
  await proc.waitFor(/listening on https:\/\//);
  const [, fingerprint] = await proc.waitFor(/fingerprint: (sha256:[0-9a-f]{64})/);
  return { proc, url, fingerprint: fingerprint! };
}

/** Runs the operator CLI (`drover …`) and waits for it. */
export function drover(args: string[], env: NodeJS.ProcessEnv = {}): Promise<{ code: number | null; out: string; err: string }> {
  const p = new Proc(spawn(process.execPath, [DROVER_MAIN, ...args], { env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'pipe'] }));
  return p.exited.then((code) => ({ code, out: p.out, err: p.err }));
}

export interface AgentRow { name: string; online: boolean }

/** The row of `drover agents --json` for the agent `name` (undefined: not enrolled); throws when the command fails. */
export async function agentRow(name: string, env: NodeJS.ProcessEnv = {}): Promise<AgentRow | undefined> {
  const r = await drover(['agents', '--json'], env);
  if (r.code !== 0) throw new Error(`drover agents --json exited ${r.code}: ${r.err.trim()}`);
  return (JSON.parse(r.out) as { agents: AgentRow[] }).agents.find((a) => a.name === name);
}

// Agents run with the host's own environment: its /var/run/docker.sock, its /root, its hostname.
const agentEnv = (): NodeJS.ProcessEnv => {
  const env: NodeJS.ProcessEnv = { ...process.env, DROVER_AGENT_BACKOFF_BASE_MS: '100', DROVER_AGENT_BACKOFF_CAP_MS: '1000', DROVER_AGENT_TEST_HANDLERS: '1' };
  delete env.DOCKER_HOST;
  delete env.DROVER_AGENT_DATA_DIR;
  return env;
};

/** A `drover-agent` process inside a rig host (its network, mount and UTS namespaces). */
export function agentOnHost(host: RigHost, args: string[], env: NodeJS.ProcessEnv = {}): Proc {
  return agentBinaryOnHost(host, [process.execPath, AGENT_MAIN], args, env);
}

/** As agentOnHost, with another agent executable (e.g. the single-executable artifact a host installs). */
export function agentBinaryOnHost(host: RigHost, command: string[], args: string[], env: NodeJS.ProcessEnv = {}): Proc {
  return new Proc(host.spawn([...command, ...args], { env: { ...agentEnv(), ...env }, stdio: ['ignore', 'pipe', 'pipe'] }));
}

export interface TcpSocket { local: string; remote: string; state: 'listen' | 'established' | 'other' }

const hexIPv4 = (hex: string): string => {
  const [addr, port] = hex.split(':') as [string, string];
  const bytes = Buffer.from(addr, 'hex').reverse(); // /proc shows IPv4 in host (little-endian) order
  return `${[...bytes].join('.')}:${parseInt(port, 16)}`;
};

/**
 * The TCP sockets a process holds, read from /proc: its socket inodes matched
 * against its own network namespace's tables (/proc/PID/net/tcp{,6}). IPv6
 * addresses are reported raw; the channel only uses IPv4 on the rig.
 */
export function tcpSocketsOf(pid: number): TcpSocket[] {
  const inodes = new Set<string>();
  for (const fd of readdirSync(`/proc/${pid}/fd`)) {
    try {
      const m = /^socket:\[(\d+)\]$/.exec(readlinkSync(`/proc/${pid}/fd/${fd}`));
      if (m) inodes.add(m[1]!);
    } catch { /* fd closed meanwhile */ }
  }
  const sockets: TcpSocket[] = [];
  for (const table of ['tcp', 'tcp6']) {
    const lines = readFileSync(`/proc/${pid}/net/${table}`, 'utf8').trim().split('\n').slice(1);
    for (const line of lines) {
      const f = line.trim().split(/\s+/);
      if (!inodes.has(f[9]!)) continue;
      const state = f[3] === '0A' ? 'listen' : f[3] === '01' ? 'established' : 'other';
      const fmt = table === 'tcp' ? hexIPv4 : (h: string) => h;
      sockets.push({ local: fmt(f[1]!), remote: fmt(f[2]!), state });
    }
  }
  return sockets;
}

/** Tries a TCP connection from the operator side: 'connected', 'timeout' (dropped) or the error code. */
export function tryConnect(host: string, port: number, timeoutMs = 1_500): Promise<string> {
  return new Promise((done) => {
    const s = connect({ host, port });
    const t = setTimeout(() => { s.destroy(); done('timeout'); }, timeoutMs);
    s.once('connect', () => { clearTimeout(t); s.destroy(); done('connected'); });
    s.once('error', (err: NodeJS.ErrnoException) => { clearTimeout(t); done(err.code ?? err.message); });
  });
}
