import type { FastifyPluginAsync } from 'fastify';
import type { ConvergenceStore } from '../store/convergence-store.js';
import { ConvergenceBody } from './deployments-api.js';

export interface ConvergenceRouteDeps {
  convergence: ConvergenceStore;
  /** Looks again at once (after a resume). */
  tick(): void;
}

/** Skipped hosts waiting to converge, and the switch that pauses convergence (`drover converge`). */
export const convergenceRoutes: FastifyPluginAsync<ConvergenceRouteDeps> = async (app, { convergence, tick }) => {
  const view = () => ({ paused: convergence.convergencePaused(), pending: convergence.pendingConvergence() });
  app.get('/v1/convergence', { config: { scope: 'read' } }, async () => view());
  app.post('/v1/convergence', { config: { scope: 'deploy' }, schema: { body: ConvergenceBody } }, async (req) => {
    const { paused } = req.body as { paused: boolean };
    convergence.setConvergencePaused(paused);
    if (!paused) tick();
    return view();
  });
};
