import { homedir } from 'node:os';
import { join } from 'node:path';
import Docker from 'dockerode';
import { createOperations } from '../ops/index.js';
import { builtinHandlers, testHandlers } from './builtin-handlers.js';
import { operationHandlers } from './ops-handlers.js';
import { HandlerRegistry, type RegistryDeps } from './registry.js';

export interface OperationsConfig {
  /** Kamal's run directory on this host (see defaultRunDirectory). */
  runDirectory: string;
  /** This host's name as the controller knows it (KAMAL_HOST when the controller sends none). */
  host: string;
  /** Docker socket for operations; they need a client without a request timeout (pulls, health gates, log follow). */
  socketPath: string;
  /** Called after operations that changed containers (debounced inventory push). */
  onChange?(): void;
  /** Called when a mutating operation starts; what it returns, when it ends (see OperationHandlerOptions). */
  onMutation?(): () => void;
}

/**
 * Kamal's `run_directory` is `.kamal` relative to the SSH user's working directory (its home), so the
 * agent uses `.kamal` under its own user's home: `/root/.kamal` for root. `$DROVER_AGENT_RUN_DIR`
 * overrides it (an agent serving a host Kamal deployed as another user points it at that user's `.kamal`).
 */
export function defaultRunDirectory(env: NodeJS.ProcessEnv = process.env): string {
  return env.DROVER_AGENT_RUN_DIR || join(homedir(), '.kamal');
}

/** The environment switch that adds the `test.*` methods (read once, at agent start). */
export const TEST_HANDLERS_ENV = 'DROVER_AGENT_TEST_HANDLERS';

export function testHandlersEnabled(env: NodeJS.ProcessEnv = process.env): boolean {
  return env[TEST_HANDLERS_ENV] === '1';
}

/**
 * Assembles every RPC method this agent serves: the built-ins, the `test.*` helpers when a test enabled
 * them, and, when the host has a Docker socket, every container/kamal-proxy operation (agent/src/ops)
 * under its own method name.
 */
export function buildHandlers(deps: RegistryDeps, ops?: OperationsConfig, opts: { testHandlers?: boolean } = {}): HandlerRegistry {
  const registry = new HandlerRegistry(deps);
  registry.registerAll(builtinHandlers);
  if (opts.testHandlers) registry.registerAll(testHandlers);
  if (ops && deps.docker) {
    const docker = new Docker({ socketPath: ops.socketPath });
    const operations = createOperations({ docker, runDirectory: ops.runDirectory, host: ops.host, log: deps.log, onChange: ops.onChange });
    registry.registerAll(operationHandlers(operations, { onMutation: ops.onMutation }));
  } else if (ops) {
    deps.log.warn('no Docker socket on this host; container operations are not served', { socket: ops.socketPath });
  }
  return registry;
}
