// Why a new container did not pass its health gate, in words: what the health path answered (or that
// nothing listened), the container's state and Docker health, and the likely cause. The probe runs from
// the agent, which shares the host's network with Docker's bridge, exactly where kamal-proxy's check goes.
import { request } from 'node:http';
import type Dockerode from 'dockerode';
import { KAMAL_DEFAULTS } from '@drover/shared/config/kamal-defaults';

export type ProbeResult =
  | { kind: 'answered'; status: number; statusText: string; ms: number; body: string }
  | { kind: 'refused' }
  | { kind: 'timeout'; ms: number }
  | { kind: 'unreachable'; error: string };

export interface BootFacts {
  state: string;
  exitCode: number | null;
  oomKilled: boolean;
  /** Docker's HEALTHCHECK status and its last output, when the image has one. */
  health: { status: string; failingStreak: number; lastOutput: string | null } | null;
  /** null for roles without kamal-proxy (no app_port to probe). */
  probe: ProbeResult | null;
  appPort: number | null;
  healthPath: string;
  deployTimeout: number;
  /** What the gate itself said (kamal-proxy's error, or the readiness poller's). */
  gateError?: string;
}

const oneLine = (s: string, max: number) => {
  const flat = s.replace(/\s+/g, ' ').trim();
  return flat.length > max ? `${flat.slice(0, max)}…` : flat;
};

/** Pure: the lines a person reads under "did not become healthy", ending with the likely cause. */
export function describeBootFailure(f: BootFacts): string[] {
  const lines: string[] = [];
  const p = f.probe;
  const where = `GET ${f.healthPath} on port ${f.appPort}`;
  if (p?.kind === 'answered') lines.push(`health check: ${where} answered ${p.status} ${p.statusText} in ${p.ms} ms${p.body ? `: ${oneLine(p.body, 200)}` : ''}`);
  else if (p?.kind === 'refused') lines.push(`health check: nothing listens on port ${f.appPort} (connection refused)`);
  else if (p?.kind === 'timeout') lines.push(`health check: ${where} got no answer within ${p.ms} ms`);
  else if (p?.kind === 'unreachable') lines.push(`health check: ${where} could not be tried: ${p.error}`);
  lines.push(`container: ${f.state}${f.exitCode !== null && f.state !== 'running' ? ` (exit code ${f.exitCode}${f.oomKilled ? ', killed for lack of memory' : ''})` : ''}`);
  if (f.health) {
    lines.push(`docker health: ${f.health.status}${f.health.failingStreak ? `, ${f.health.failingStreak} failing checks in a row` : ''}${f.health.lastOutput ? `; last: ${oneLine(f.health.lastOutput, 200)}` : ''}`);
  }
  lines.push(`likely cause: ${likelyCause(f)}`);
  return lines;
}

function likelyCause(f: BootFacts): string {
  if (f.gateError && /kamal-proxy\.sock|No such container: kamal-proxy|container [0-9a-f]+ is not running/.test(f.gateError)) {
    return 'kamal-proxy did not take the deploy (it is not running or not ready on this host): check `kamal-proxy` with `drover agents inventory`, and its logs';
  }
  if (f.state === 'exited' || f.state === 'dead' || f.state === 'restarting') {
    if (f.oomKilled) return 'the app was killed for running out of memory while booting';
    return `the app exited${f.exitCode !== null ? ` with code ${f.exitCode}` : ''} while booting: it crashed (a missing environment variable or secret is a common cause; see its last log lines below)`;
  }
  const p = f.probe;
  if (p?.kind === 'refused') return `the app does not listen on port ${f.appPort}: check proxy.app_port, and that the app binds 0.0.0.0 rather than 127.0.0.1 (or it had not started listening yet)`;
  if (p?.kind === 'answered') {
    if (p.status >= 200 && p.status < 300) return `the app answers now: it took longer to boot than deploy_timeout (${f.deployTimeout}s); raise deploy_timeout`;
    if (p.status === 404) return `the app has no route at ${f.healthPath}: add one, or point proxy.healthcheck.path at a route that answers 200`;
    if (p.status >= 300 && p.status < 400) return `${f.healthPath} redirects (often SSL redirection such as Rails' force_ssl): exclude the health check path from it`;
    if (p.status >= 500) return `the app fails at ${f.healthPath} (${p.status}): see its last log lines below`;
    return `${f.healthPath} answered ${p.status}; kamal-proxy needs a 2xx answer`;
  }
  if (p?.kind === 'timeout') return `the app accepts connections on port ${f.appPort} but does not answer ${f.healthPath}: it is still booting (slower than deploy_timeout ${f.deployTimeout}s) or stuck`;
  if (f.health && f.health.status !== 'healthy') return 'the image\'s own HEALTHCHECK fails (its last output is above)';
  return `the app did not become ready within deploy_timeout (${f.deployTimeout}s)`;
}

/** One GET of the health path, bounded in time and size, from the agent's network namespace. */
export function probeHealth(address: string, port: number, path: string, timeoutMs = 2_000): Promise<ProbeResult> {
  const t0 = Date.now();
  return new Promise((resolve) => {
    const req = request({ host: address, port, path, method: 'GET', timeout: timeoutMs, headers: { 'user-agent': 'drover-agent/health-diagnosis' } }, (res) => {
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (chunk: string) => {
        if (body.length < 1024) body += chunk;
        else res.destroy();
      });
      const done = () => resolve({ kind: 'answered', status: res.statusCode ?? 0, statusText: res.statusMessage ?? '', ms: Date.now() - t0, body: body.slice(0, 1024) });
      res.on('end', done);
      res.on('close', done);
    });
    req.on('timeout', () => { req.destroy(); resolve({ kind: 'timeout', ms: timeoutMs }); });
    req.on('error', (e: NodeJS.ErrnoException) => resolve(e.code === 'ECONNREFUSED' ? { kind: 'refused' } : { kind: 'unreachable', error: e.code ?? e.message }));
    req.end();
  });
}

/** The path kamal-proxy checks: `--health-check-path` among the deploy args, else its default `/up`. */
export function healthPathOf(proxyArgs: readonly string[]): string {
  const arg = proxyArgs.find((a) => a.startsWith('--health-check-path='));
  return arg ? arg.slice('--health-check-path='.length) : KAMAL_DEFAULTS.healthcheck.path;
}

/** Gathers the facts for `describeBootFailure` about a container that failed its gate. */
export async function bootFacts(docker: Dockerode, id: string, o: { appPort: number | null; healthPath: string; deployTimeout: number; gateError?: string }): Promise<BootFacts> {
  const info = await docker.getContainer(id).inspect().catch(() => null);
  const address = info ? Object.values(info.NetworkSettings?.Networks ?? {}).map((n) => n.IPAddress).find(Boolean) : undefined;
  const probe = o.appPort === null ? null
    : address && info?.State.Running ? await probeHealth(address, o.appPort, o.healthPath)
    : info?.State.Running ? { kind: 'unreachable' as const, error: 'the container has no network address' } : null;
  const h = info?.State.Health;
  const last = h?.Log?.at(-1)?.Output ?? null;
  return {
    state: info?.State.Status ?? 'gone',
    exitCode: info ? info.State.ExitCode : null,
    oomKilled: Boolean(info?.State.OOMKilled),
    health: h ? { status: h.Status, failingStreak: h.FailingStreak ?? 0, lastOutput: last } : null,
    probe, appPort: o.appPort, healthPath: o.healthPath, deployTimeout: o.deployTimeout, gateError: o.gateError,
  };
}
