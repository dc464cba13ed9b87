// `app.probe`: whether a running version is still well (Drover's canary soak). The same facts as a failed
// health gate's diagnosis (boot-diagnosis.ts), read as a verdict: healthy, or the one thing that is wrong.
import type Dockerode from 'dockerode';
import type { z } from 'zod';
import type { appProbeParams, appProbeResult } from '@drover/shared/operations';
import { bootFacts, type BootFacts } from './boot-diagnosis.js';
import { appContainerName, containerPrefix } from './names.js';

type ProbeParams = z.output<typeof appProbeParams>;
type ProbeResult = z.output<typeof appProbeResult>;

export async function probeApp(docker: Dockerode, p: ProbeParams): Promise<ProbeResult> {
  const name = appContainerName(containerPrefix(p.service, p.role, p.destination), p.version);
  const facts = await bootFacts(docker, name, { appPort: p.appPort, healthPath: p.healthPath, deployTimeout: 0 });
  return probeVerdict(name, facts);
}

/** Pure: healthy when running, not unhealthy by Docker's HEALTHCHECK, and the health path answers 2xx. */
export function probeVerdict(container: string, f: BootFacts): ProbeResult {
  const http = f.probe?.kind === 'answered' ? { status: f.probe.status, ms: f.probe.ms } : null;
  const problem = problemOf(container, f);
  return { container, healthy: problem === null, state: f.state, http, problem };
}

function problemOf(container: string, f: BootFacts): string | null {
  if (f.state === 'gone') return `${container} does not exist`;
  if (f.state !== 'running') {
    const exit = f.exitCode !== null ? ` (exit code ${f.exitCode}${f.oomKilled ? ', killed for lack of memory' : ''})` : '';
    return `${container} is ${f.state}${exit}`;
  }
  if (f.health?.status === 'unhealthy') {
    const last = f.health.lastOutput ? `: ${f.health.lastOutput.replace(/\s+/g, ' ').trim().slice(0, 200)}` : '';
    return `Docker reports ${container} unhealthy${last}`;
  }
  const p = f.probe;
  const where = `GET ${f.healthPath} on port ${f.appPort}`;
  if (p === null) return null;
  if (p.kind === 'answered') return p.status >= 200 && p.status < 300 ? null : `${where} answered ${p.status} ${p.statusText}`.trim();
  if (p.kind === 'refused') return `nothing listens on port ${f.appPort} (connection refused)`;
  if (p.kind === 'timeout') return `${where} got no answer within ${p.ms} ms`;
  return `${where} could not be tried: ${p.error}`;
}
