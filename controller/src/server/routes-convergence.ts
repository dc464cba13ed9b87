import type { FastifyPluginAsync } from 'fastify';
import type { Convergence } from '../rollout/convergence.js';
import type { ConvergenceStore } from '../store/convergence-store.js';
import { ConvergenceBody, type ConvergenceView } from './deployments-api.js';

export interface ConvergenceRouteDeps {
  pending: ConvergenceStore;
  convergence: Pick<Convergence, 'tick' | 'converging'>;
}

/** Hosts waiting to converge, and the switch that pauses convergence (`drover converge`, `drover details`). */
export const convergenceRoutes: FastifyPluginAsync<ConvergenceRouteDeps> = async (app, { pending, convergence }) => {
  const view = (): ConvergenceView => ({
    paused: pending.convergencePaused(),
    pending: pending.pendingConvergence().map((p) => ({ ...p, converging: convergence.converging(p.key, p.host) })),
  });
  app.get('/v1/convergence', { config: { scope: 'read' } }, async () => view());
  app.post('/v1/convergence', { config: { scope: 'deploy' }, schema: { body: ConvergenceBody } }, async (req) => {
    const { paused } = req.body as { paused: boolean };
    pending.setConvergencePaused(paused);
    // Looks again at once after a resume.
    if (!paused) convergence.tick();
    return view();
  });
};
