import { builtinHandlers } from './builtin-handlers.js';
import { HandlerRegistry, type RegistryDeps } from './registry.js';

/**
 * Assembles every RPC method this agent serves. Container operations
 * (agent/src/ops) plug in here with one more line:
 *   registry.registerAll(opsHandlers);
 * where opsHandlers is a Record<method, defineHandler({...})>.
 */
export function buildHandlers(deps: RegistryDeps): HandlerRegistry {
  const registry = new HandlerRegistry(deps);
  registry.registerAll(builtinHandlers);
  return registry;
}
