// What a simulated agent of the fleet benchmark answers: each rollout operation after a delay drawn from
// a range like a real host's (a pull takes longer than a tag), with results the operation catalog accepts.
// A small share of mutating calls first drop the connection (the controller repeats the call with the same
// operation id once the agent is back, and gets the recorded outcome), as a flaky edge link would.

type Params = Record<string, unknown>;

/** [min, max] milliseconds per operation, and its result. */
const OPS: Record<string, { ms: [number, number]; result: (p: Params) => unknown }> = {
  'image.pull': { ms: [300, 1000], result: (p) => ({ image: p.image, imageId: 'sha256:bench', digest: null }) },
  'proxy.boot': { ms: [50, 200], result: () => ({ container: { id: 'bench', name: 'kamal-proxy' }, image: 'kamal-proxy', action: 'running', messages: [] }) },
  'app.stale_containers': { ms: [20, 60], result: () => ({ containers: [], stopped: [] }) },
  'app.boot': {
    ms: [1000, 3000],
    result: (p) => ({ container: { id: 'bench', name: `${String(p.service)}-${String(p.role)}-${String(p.version)}` }, renamed: null, oldVersion: null, stopped: [], status: 'healthy', hostname: 'bench', messages: [] }),
  },
  'image.tag': { ms: [20, 60], result: (p) => ({ image: p.image, tag: p.tag }) },
  'prune.containers': { ms: [50, 150], result: () => ({ removed: [] }) },
  'prune.images': { ms: [50, 150], result: () => ({ removed: [] }) },
  'prune.all': { ms: [100, 300], result: () => ({ containers: [], images: [] }) },
};

export interface SimAgent {
  /** Outcomes by operation id: a repeated call is answered from here (the real agent's journal). */
  journal: Map<string, unknown>;
}

export interface SimOptions {
  /** Share of mutating calls whose connection is dropped before the answer (0..1). */
  dropRate: number;
}

/**
 * Answers one request frame. `reply` sends a frame; `drop` closes the connection (the agent reconnects by
 * itself). Unknown methods answer `unknown_method`, like the real agent.
 */
export function answer(agent: SimAgent, m: { id: string; method: string; params?: Params }, o: SimOptions, reply: (frame: object) => void, drop: () => void): void {
  const op = OPS[m.method];
  if (!op) return reply({ t: 'res', id: m.id, ok: false, error: { code: 'unknown_method', message: `unknown method ${m.method}` } });
  const params = m.params ?? {};
  const opId = typeof params.operationId === 'string' ? params.operationId : null;
  const recorded = opId ? agent.journal.get(opId) : undefined;
  if (recorded !== undefined) return reply({ t: 'res', id: m.id, ok: true, result: recorded });
  const [min, max] = op.ms;
  const result = op.result(params);
  // The operation goes on whether or not the connection stays: its outcome is journaled when it ends.
  const dropNow = opId !== null && Math.random() < o.dropRate;
  setTimeout(() => {
    if (opId) agent.journal.set(opId, result);
    if (!dropNow) reply({ t: 'res', id: m.id, ok: true, result });
  }, min + Math.random() * (max - min));
  if (dropNow) setTimeout(drop, Math.random() * min);
}
