/** Helpers for tests: real target servers, an in-process proxy, the real CLI process, HTTP calls. */
import http from 'node:http';
import https from 'node:https';
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { AddressInfo } from 'node:net';
import { fileURLToPath } from 'node:url';
import { ProxyServer } from './server.js';
import { Logger } from './logger.js';
import type { ClientTimeouts } from './client_limits.js';
import { defaultServiceOptions, defaultTargetOptions, type ServiceOptions, type TargetOptions, type DeploymentOptions } from './options.js';

export const CLI = fileURLToPath(new URL('./cli/main.js', import.meta.url));

export interface TestTarget {
  port: number;
  address: string;
  server: http.Server;
  requests: http.IncomingMessage[];
  close(): Promise<void>;
}

/** A target answering `/up` with 200 and everything else with `handler` (default: its name). */
export async function startTarget(name: string, handler?: http.RequestListener): Promise<TestTarget> {
  const requests: http.IncomingMessage[] = [];
  const server = http.createServer((req, res) => {
    requests.push(req);
    if (req.url === '/up' && !handler) return void res.end('up');
    if (handler) return handler(req, res);
    res.setHeader('content-type', 'text/plain');
    res.end(name);
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const port = (server.address() as AddressInfo).port;
  return {
    port, address: `127.0.0.1:${port}`, server, requests,
    close: () => new Promise((r) => { server.closeAllConnections(); server.close(() => r()); }),
  };
}

export function tempDir(): { path: string; remove(): void } {
  const path = mkdtempSync(join(tmpdir(), 'drover-proxy-test-'));
  return { path, remove: () => rmSync(path, { recursive: true, force: true }) };
}

export interface TestProxy {
  server: ProxyServer;
  port: number;
  httpsPort: number;
  dir: string;
  /** Stops the server and removes its directory. */
  stop(): Promise<void>;
  deploy(service: string, targets: string[], opts?: DeployOverrides): Promise<void>;
}

export interface DeployOverrides {
  readers?: string[];
  service?: Partial<ServiceOptions>;
  target?: Partial<TargetOptions>;
  deployment?: Partial<DeploymentOptions>;
}

export async function startProxy(
  options: { statePath?: string | null; dir?: string; fastPath?: boolean; log?: (line: string) => void; timeouts?: Partial<ClientTimeouts> } = {},
): Promise<TestProxy> {
  const dir = options.dir ?? tempDir().path;
  const server = new ProxyServer(
    {
      bind: '127.0.0.1', httpPort: 0, httpsPort: 0, metricsPort: 0, socketPath: join(dir, 'proxy.sock'),
      statePath: options.statePath === undefined ? join(dir, 'kamal-proxy.state') : options.statePath,
      debug: false, shutdownTimeoutMs: 1000, fastPath: options.fastPath ?? true,
      ...(options.timeouts ? { timeouts: options.timeouts } : {}),
    },
    new Logger(false, options.log ?? (() => undefined)),
  );
  await server.start();
  return {
    server, dir, port: server.httpPort, httpsPort: server.httpsPort,
    stop: async () => {
      await server.stop();
      rmSync(dir, { recursive: true, force: true });
    },
    deploy: (service, targets, o = {}) => server.router.deploy({
      service, targets, readers: o.readers ?? [],
      deployment: { deployTimeoutMs: 5000, drainTimeoutMs: 5000, force: false, ...o.deployment },
      serviceOptions: { ...defaultServiceOptions(), ...o.service },
      targetOptions: { ...defaultTargetOptions(), ...o.target, healthCheck: { ...defaultTargetOptions().healthCheck, intervalMs: 50, ...o.target?.healthCheck } },
    }),
  };
}

export interface Reply {
  status: number;
  headers: http.IncomingHttpHeaders;
  body: string;
}

export function request(
  port: number, path: string,
  o: { host?: string; method?: string; headers?: http.OutgoingHttpHeaders; body?: string | Buffer; https?: boolean; servername?: string } = {},
): Promise<Reply> {
  return new Promise((resolve, reject) => {
    const headers: http.OutgoingHttpHeaders = { ...o.headers };
    if (o.host) headers.host = o.host;
    const lib = o.https ? https : http;
    // A keep-alive connection of its own, so plain requests take the proxy's fast path (fast_connection.ts).
    const agent = o.https ? new https.Agent({ keepAlive: true }) : new http.Agent({ keepAlive: true });
    const req = lib.request({
      host: '127.0.0.1', port, path, method: o.method ?? 'GET', headers, agent,
      ...(o.https ? { rejectUnauthorized: false, servername: o.servername ?? o.host?.split(':')[0] } : {}),
    }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => {
        agent.destroy();
        resolve({ status: res.statusCode ?? 0, headers: res.headers, body: Buffer.concat(chunks).toString() });
      });
      res.on('error', (err) => { agent.destroy(); reject(err); });
    });
    req.on('error', (err) => { agent.destroy(); reject(err); });
    req.end(o.body);
  });
}

export interface ProxyProcess {
  child: ChildProcess;
  httpPort: number;
  httpsPort: number;
  env: NodeJS.ProcessEnv;
  output(): string;
  stop(signal?: NodeJS.Signals): Promise<number | null>;
}

/** `kamal-proxy run` as a real process, with its socket and state in `dir`. */
export async function spawnProxy(dir: string, extraArgs: string[] = [], extraEnv: NodeJS.ProcessEnv = {}): Promise<ProxyProcess> {
  const env = { ...process.env, ...extraEnv, KAMAL_PROXY_SOCKET: join(dir, 'kamal-proxy.sock'), XDG_CONFIG_HOME: join(dir, 'config'), KAMAL_PROXY_BIND: '127.0.0.1' };
  const child = spawn(process.execPath, [CLI, 'run', '--http-port', '0', '--https-port', '0', ...extraArgs], { env, stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  child.stdout!.setEncoding('utf8');
  child.stderr!.setEncoding('utf8');
  child.stderr!.on('data', (d: string) => (out += d));
  const started = await new Promise<{ http: number; https: number }>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`proxy did not start: ${out}`)), 10_000);
    child.stdout!.on('data', (d: string) => {
      out += d;
      const m = /"msg":"Server started","http":(\d+),"https":(\d+)/.exec(out);
      if (m) {
        clearTimeout(timer);
        resolve({ http: Number(m[1]), https: Number(m[2]) });
      }
    });
    child.once('exit', () => reject(new Error(`proxy exited: ${out}`)));
  });
  const exited = new Promise<number | null>((r) => child.once('exit', (code) => r(code)));
  return {
    child, env, httpPort: started.http, httpsPort: started.https, output: () => out,
    stop: async (signal = 'SIGTERM') => {
      if (child.exitCode === null) child.kill(signal);
      return exited;
    },
  };
}

export function runCli(args: string[], env: NodeJS.ProcessEnv): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, [CLI, ...args], { env, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d) => (stdout += d));
    child.stderr.on('data', (d) => (stderr += d));
    child.once('exit', (code) => resolve({ code, stdout, stderr }));
  });
}

/** Polls `condition` until it holds; fails naming `what` after `limitMs`. Tests wait for what they need, never a fixed time. */
export async function waitFor(what: string, condition: () => boolean | Promise<boolean>, limitMs = 10_000): Promise<void> {
  const deadline = Date.now() + limitMs;
  while (!(await condition())) {
    if (Date.now() > deadline) throw new Error(`waited ${limitMs} ms for ${what}`);
    await new Promise((r) => setTimeout(r, 10));
  }
}

/** Requests a target has received for `path` (health checks aside). */
export function arrived(target: TestTarget, path: string): number {
  return target.requests.filter((r) => r.url === path).length;
}
