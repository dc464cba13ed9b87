// The controller as a real process for the benchmarks, and what they read of a process from /proc.
import { spawn, type ChildProcess } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Agent, request } from 'undici';
import { connectPinned } from '@drover/shared/protocol';

const here = fileURLToPath(new URL('.', import.meta.url));
export const CONTROLLER = resolve(here, '../../../controller/dist/drover/main.js');

export const rssKiB = (pid: number) => Number(/VmRSS:\s+(\d+)/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))?.[1] ?? 0);
/** utime + stime of a process, in clock ticks (1/100 s). */
export const cpuTicks = (pid: number) => { const f = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]!.split(' '); return Number(f[11]) + Number(f[12]); };
export const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

export async function startController(dataDir: string, port: number, nodeArgs: string[] = []): Promise<{ proc: ChildProcess; url: string; fingerprint: string }> {
  // All N agents come from one loopback address with up to 1,000 handshakes in flight: trusted (exempt from
  // the per-address limits, as loopback is by default), like a NAT address an operator lists in --trusted-addresses.
  const serve = ['controller', 'serve', '--listen', `127.0.0.1:${port}`, '--data-dir', dataDir, '--log-level', 'error', '--trusted-addresses', '127.0.0.1'];
  const proc = spawn(process.execPath, [...nodeArgs, CONTROLLER, ...serve], { stdio: ['ignore', 'ignore', 'pipe'] });
  let err = '';
  proc.stderr!.on('data', (d: Buffer) => { err += d.toString(); });
  for (let i = 0; i < 200 && !/fingerprint: sha256/.test(err); i++) await sleep(50);
  const url = /listening on (https:\/\/\S+)/.exec(err)?.[1];
  const fingerprint = /fingerprint: (sha256:[0-9a-f]+)/.exec(err)?.[1];
  if (!url || !fingerprint) throw new Error(`controller did not start: ${err}`);
  return { proc, url, fingerprint };
}


/** A first admin token, made the way an operator does (`drover controller token create`). */
export async function adminToken(dataDir: string): Promise<string> {
  const tok = spawn(process.execPath, [CONTROLLER, 'controller', 'token', 'create', '--scope', 'admin', '--data-dir', dataDir], { stdio: ['ignore', 'pipe', 'ignore'] });
  let out = '';
  tok.stdout!.on('data', (d: Buffer) => { out += d.toString(); });
  // 'close': the output is all read by then ('exit' may come first).
  await new Promise((r) => tok.on('close', r));
  return out.trim();
}

/** The operator API over pinned TLS, as an admin. */
export function adminApi(ctl: { url: string; fingerprint: string }, token: string) {
  const dispatcher = new Agent({ connect: (o, cb) => { connectPinned({ host: o.hostname, port: Number(o.port), alpn: ['http/1.1'] }, ctl.fingerprint, (e, s) => (e ? cb(e, null) : cb(null, s))); } });
  return {
    async call(method: 'GET' | 'POST', path: string, body?: unknown): Promise<Record<string, unknown>> {
      const r = await request(`${ctl.url}${path}`, {
        method, dispatcher, headersTimeout: 120_000, bodyTimeout: 120_000,
        headers: { authorization: `Bearer ${token}`, ...(body === undefined ? {} : { 'content-type': 'application/json' }) },
        body: body === undefined ? undefined : JSON.stringify(body),
      });
      return (await r.body.json()) as Record<string, unknown>;
    },
    close: () => dispatcher.close(),
  };
}
