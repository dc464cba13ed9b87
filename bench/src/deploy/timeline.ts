// Turning what a run left behind into phases: drover's recorded steps, the floor's own timers, and each
// host's Docker event stream plus kamal-proxy's log (the same clock: every process runs on this machine).
import type Docker from 'dockerode';
import { PHASES, type FloorRun, type PhaseName, type Span } from './floor.js';
import { demuxBuffer } from '@drover/agent/ops/containers';

export interface Step { stepId: string; host: string | null; kind: string; status: string; startedAt: number; finishedAt: number | null }

/** Which recorded operations make up each phase (`image.pull` follows `registry.login` on each host). */
export const PHASE_OPS: Record<PhaseName, string[]> = {
  pull: ['registry.login', 'image.pull'],
  proxy: ['proxy.boot'],
  stale: ['app.stale_containers'],
  boot: ['app.boot'],
  tag: ['image.tag'],
  prune: ['prune.all'],
};

export interface PhaseTimes {
  /** Process start (or floor start) → first phase start: CLI start, project load, submit, plan, lock, … */
  head: number;
  /** Wall time of each phase: first host's start → last host's end. */
  phases: Record<PhaseName, number>;
  /** Sum of the time between one phase's last end and the next phase's first start. */
  gaps: number;
  /** Last phase end → process exit. */
  tail: number;
  total: number;
  /** Per phase: the slowest host's own time in it, and how far apart the hosts started it. */
  slowestHost: Record<PhaseName, number>;
  startSkew: Record<PhaseName, number>;
}

/** Per-host spans of each phase: drover's steps grouped by PHASE_OPS. */
export function droverHostSpans(steps: Step[]): Map<string, Record<PhaseName, Span>> {
  const byHost = new Map<string, Record<PhaseName, Span>>();
  for (const phase of PHASES) {
    for (const s of steps.filter((x) => PHASE_OPS[phase].includes(x.kind) && x.host !== null)) {
      if (s.finishedAt === null) throw new Error(`step ${s.stepId} did not finish`);
      const spans = byHost.get(s.host!) ?? ({} as Record<PhaseName, Span>);
      const cur = spans[phase];
      spans[phase] = cur ? { start: Math.min(cur.start, s.startedAt), end: Math.max(cur.end, s.finishedAt) } : { start: s.startedAt, end: s.finishedAt };
      byHost.set(s.host!, spans);
    }
  }
  return byHost;
}

export function phaseTimes(t0: number, t1: number, byHost: Map<string, Record<PhaseName, Span>>): PhaseTimes {
  const hosts = [...byHost.values()];
  const phases = {} as Record<PhaseName, number>;
  const slowestHost = {} as Record<PhaseName, number>;
  const startSkew = {} as Record<PhaseName, number>;
  const spans: Span[] = [];
  for (const phase of PHASES) {
    const own = hosts.map((h) => h[phase]).filter((s): s is Span => s !== undefined);
    if (own.length === 0) { phases[phase] = 0; slowestHost[phase] = 0; startSkew[phase] = 0; continue; }
    const span = { start: Math.min(...own.map((s) => s.start)), end: Math.max(...own.map((s) => s.end)) };
    spans.push(span);
    phases[phase] = span.end - span.start;
    slowestHost[phase] = Math.max(...own.map((s) => s.end - s.start));
    startSkew[phase] = Math.max(...own.map((s) => s.start)) - span.start;
  }
  let gaps = 0;
  for (let i = 1; i < spans.length; i++) gaps += spans[i]!.start - spans[i - 1]!.end;
  return { head: spans[0]!.start - t0, phases, gaps, tail: t1 - spans.at(-1)!.end, total: t1 - t0, slowestHost, startSkew };
}

export function floorTimes(run: FloorRun): PhaseTimes {
  return phaseTimes(run.t0, run.t1, new Map(run.hosts.map((h) => [h.host, h.phases])));
}

// ---- Docker events and kamal-proxy's log ------------------------------------------------------------

export interface DockerEvent { Type: string; Action: string; Actor: { ID: string; Attributes: Record<string, string> }; timeNano: number }

/** The host's Docker events between two instants (ms). */
export async function dockerEvents(docker: Docker, since: number, until: number): Promise<DockerEvent[]> {
  const stream = await docker.getEvents({ since: Math.floor(since / 1000), until: Math.ceil(until / 1000) + 1 });
  const chunks: Buffer[] = [];
  await new Promise<void>((resolve, reject) => {
    stream.on('data', (b: Buffer) => chunks.push(b));
    stream.on('end', resolve);
    stream.on('close', resolve);
    stream.on('error', reject);
  });
  return Buffer.concat(chunks).toString('utf8').split('\n').filter((l) => l.trim() !== '')
    .map((l) => JSON.parse(l) as DockerEvent)
    .filter((e) => e.timeNano / 1e6 >= since - 1 && e.timeNano / 1e6 <= until + 1);
}

/** Times (ms) at which kamal-proxy logged `Deployed` for a target, from `since`. */
export async function proxyDeployedTimes(docker: Docker, since: number): Promise<Array<{ at: number; targets: string[] }>> {
  const raw = (await docker.getContainer('kamal-proxy').logs({ stdout: true, stderr: true, since: Math.floor(since / 1000), follow: false })) as unknown as Buffer;
  const text = demuxBuffer(raw).toString('utf8');
  const out: Array<{ at: number; targets: string[] }> = [];
  for (const line of text.split('\n')) {
    if (!line.includes('"msg":"Deployed"')) continue;
    try {
      const j = JSON.parse(line) as { time: string; targets?: string[] };
      out.push({ at: Date.parse(j.time), targets: j.targets ?? [] });
    } catch { /* not a log line */ }
  }
  return out;
}


export const BOOT_PARTS = ['prep', 'create+start', 'gate', 'switch+drain', 'stop old', 'return'] as const;
export type BootPart = (typeof BOOT_PARTS)[number];

/**
 * One host's boot phase cut at Docker's and kamal-proxy's own timestamps:
 * prep       boot start → container `create` (drover: controller dispatch, agent's checks, audit, env file)
 * create+start `create` → `start`
 * gate       `start` → kamal-proxy logs `Deployed` (exec, kamal-proxy CLI start, health checks until healthy)
 * switch+drain `Deployed` → the exec ends (workers switch, old target drained, CLI exits)
 * stop old   exec end → the old container's `stop` event (`docker stop -t`)
 * return     `stop` → boot end (drover: result back to the controller and recorded)
 */
export function bootSplit(span: Span, newName: string, oldName: string | null, events: DockerEvent[], deployed: Array<{ at: number; targets: string[] }>): Record<BootPart, number> | null {
  const at = (e: DockerEvent | undefined) => (e ? e.timeNano / 1e6 : null);
  const inBoot = events.filter((e) => e.timeNano / 1e6 >= span.start - 1 && e.timeNano / 1e6 <= span.end + 1);
  const create = inBoot.find((e) => e.Type === 'container' && e.Action === 'create' && e.Actor.Attributes.name === newName);
  const start = inBoot.find((e) => e.Type === 'container' && e.Action === 'start' && e.Actor.Attributes.name === newName);
  const execStart = inBoot.find((e) => e.Type === 'container' && e.Action.startsWith('exec_start') && e.Actor.Attributes.name === 'kamal-proxy' && e.Action.includes(' deploy '));
  const execDie = execStart && inBoot.find((e) => e.Action.startsWith('exec_die') && e.Actor.Attributes.execID === execStart.Actor.Attributes.execID);
  const stop = oldName ? inBoot.find((e) => e.Type === 'container' && e.Action === 'stop' && e.Actor.Attributes.name === oldName) : undefined;
  const shortId = create?.Actor.ID.slice(0, 12);
  const dep = deployed.find((d) => shortId !== undefined && d.targets.some((t) => t.startsWith(shortId)) && d.at >= span.start - 1);
  const tc = at(create); const ts = at(start); const td = at(execDie); const tstop = at(stop);
  if (tc === null || ts === null || td === null || !dep) return null;
  const stopEnd = tstop ?? td;
  return {
    prep: tc - span.start,
    'create+start': ts - tc,
    gate: dep.at - ts,
    'switch+drain': td - dep.at,
    'stop old': stopEnd - td,
    return: span.end - stopEnd,
  };
}
