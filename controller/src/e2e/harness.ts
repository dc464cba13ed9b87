import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { OperatorClient } from '../client/operator-client.js';

const here = fileURLToPath(new URL('.', import.meta.url));
export const CONTROLLER_MAIN = resolve(here, '../drover/main.js');
export const AGENT_MAIN = resolve(here, '../../../agent/dist/cli/main.js');

/** A child process whose output we can wait on. */
export class Proc {
  out = '';
  err = '';
  /** stdout and stderr interleaved in arrival order. */
  all = '';
  readonly exited: Promise<number | null>;
  /** Exited, with all of its output read. */
  private closed = false;
  private waiters: (() => void)[] = [];

  constructor(readonly child: ChildProcess) {
    child.stdout?.on('data', (d: Buffer) => { this.out += d.toString(); this.all += d.toString(); this.wake(); });
    child.stderr?.on('data', (d: Buffer) => { this.err += d.toString(); this.all += d.toString(); this.wake(); });
    // 'close', not 'exit': a process that exits at once after its last write (the CLI does) can be gone before
    // its output has been read from the pipe; 'close' comes once stdout and stderr have ended too.
    this.exited = new Promise((r) => child.on('close', (code) => { this.closed = true; r(code); this.wake(); }));
  }

  /** Resolves with the match once `pattern` appears in stdout+stderr after `from` characters. */
  waitFor(pattern: RegExp, timeoutMs = 15_000, from = 0): Promise<RegExpMatchArray> {
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => { cleanup(); reject(new Error(`timed out waiting for ${pattern}; output:\n${this.all.slice(-3000)}`)); }, timeoutMs);
      const check = () => {
        const m = this.all.slice(from).match(pattern);
        if (m) { cleanup(); resolve(m); return true; }
        if (this.closed) { cleanup(); reject(new Error(`process exited waiting for ${pattern}; output:\n${this.all.slice(-3000)}`)); return true; }
        return false;
      };
      const waiter = () => { check(); };
      const cleanup = () => { clearTimeout(timer); this.waiters = this.waiters.filter((w) => w !== waiter); };
      if (!check()) this.waiters.push(waiter);
    });
  }

  async stop(signal: NodeJS.Signals = 'SIGTERM'): Promise<void> {
    if (this.child.exitCode !== null || this.child.signalCode !== null) return;
    this.child.kill(signal);
    const t = setTimeout(() => this.child.kill('SIGKILL'), 5000);
    await this.exited;
    clearTimeout(t);
  }

  private wake(): void {
    for (const w of [...this.waiters]) w();
  }
}

export function tempDir(prefix: string): string {
  return mkdtempSync(join(tmpdir(), `drover-${prefix}-`));
}

export function removeDir(dir: string): void {
  rmSync(dir, { recursive: true, force: true });
}

export function run(main: string, args: string[], env: NodeJS.ProcessEnv = {}): Promise<{ code: number | null; out: string; err: string }> {
  const p = new Proc(spawn(process.execPath, [main, ...args], { env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'pipe'] }));
  return p.exited.then((code) => ({ code, out: p.out, err: p.err }));
}

export interface ControllerProc {
  proc: Proc;
  url: string;
  port: number;
  fingerprint: string;
  dataDir: string;
}

/** `drover controller serve` as a real process on loopback; port 0 picks a free one. */
export async function startController(dataDir: string, opts: { port?: number; heartbeatMs?: number; serveArgs?: string[] } = {}): Promise<ControllerProc> {
  const args = ['controller', 'serve', '--listen', `127.0.0.1:${opts.port ?? 0}`, '--data-dir', dataDir, '--heartbeat-ms', String(opts.heartbeatMs ?? 1000), ...(opts.serveArgs ?? [])];
  const proc = new Proc(spawn(process.execPath, [CONTROLLER_MAIN, ...args], { stdio: ['ignore', 'pipe', 'pipe'] }));
  const [, url, port] = await proc.waitFor(/listening on (https:\/\/127\.0\.0\.1:(\d+))/);
  const [, fingerprint] = await proc.waitFor(/fingerprint: (sha256:[0-9a-f]{64})/);
  return { proc, url: url!, port: Number(port), fingerprint: fingerprint!, dataDir };
}

/** An operator client logged in with a fresh admin token minted by the CLI. */
export async function adminClient(ctl: ControllerProc, scope: 'admin' | 'deploy' | 'read' = 'admin'): Promise<{ client: OperatorClient; token: string }> {
  const r = await run(CONTROLLER_MAIN, ['controller', 'token', 'create', '--scope', scope, '--data-dir', ctl.dataDir]);
  if (r.code !== 0) throw new Error(`token create failed: ${r.err}`);
  const token = r.out.trim();
  return { client: new OperatorClient({ controller: ctl.url, token, fingerprint: ctl.fingerprint }), token };
}

export const agentEnv = (dataDir: string): NodeJS.ProcessEnv => ({
  DROVER_AGENT_DATA_DIR: dataDir, DROVER_AGENT_BACKOFF_BASE_MS: '100', DROVER_AGENT_BACKOFF_CAP_MS: '1000',
  DOCKER_HOST: 'unix:///nonexistent/docker.sock',
  // The transport tests call test.echo / test.generate / test.sleep, which production agents do not serve.
  DROVER_AGENT_TEST_HANDLERS: '1',
});

export function enrollAgent(dataDir: string, token: string, extra: string[] = []) {
  return run(AGENT_MAIN, ['enroll', '--token', token, ...extra], agentEnv(dataDir));
}

export function startAgent(dataDir: string): Proc {
  return new Proc(spawn(process.execPath, [AGENT_MAIN, 'run'], { env: { ...process.env, ...agentEnv(dataDir) }, stdio: ['ignore', 'pipe', 'pipe'] }));
}

/** Polls until `fn` returns a truthy value. */
export async function eventually<T>(fn: () => Promise<T> | T, timeoutMs = 10_000, what = 'condition'): Promise<NonNullable<T>> {
  const until = Date.now() + timeoutMs;
  let last: unknown;
  for (;;) {
    try {
      const v = await fn();
      if (v) return v as NonNullable<T>;
    } catch (err) {
      last = err;
    }
    if (Date.now() > until) throw new Error(`timed out waiting for ${what}${last ? `: ${(last as Error).message}` : ''}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}
