import type { KeyObject } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';
import { UserError } from '@drover/shared';
import { FATAL_CLOSE_CODES, describeCloseCode, plainHttpRefusal } from '@drover/shared/protocol';
import { loadIdentity, type AgentIdentity } from '../state/agent-state.js';
import type { HandlerRegistry } from '../rpc/registry.js';
import type { InventoryInput } from '@drover/shared/protocol';
import { buildHandlers, defaultRunDirectory } from '../rpc/handlers.js';
import { dockerClient, dockerSocketPath } from '../host/docker-info.js';
import type { AgentLogger } from '../log.js';
import { backoffDelay } from './backoff.js';
import { connectOnce } from './agent-connection.js';
import { hostFacts, hostInventory, InventoryPusher } from './inventory-push.js';
import { watchDockerEvents } from './docker-events.js';

export interface RunOptions {
  dataDir: string;
  log: AgentLogger;
  signal: AbortSignal;
  backoff?: { baseMs: number; capMs: number };
  /** Kamal's run directory on this host; default `$DROVER_AGENT_RUN_DIR`, else `~/.kamal`. */
  runDirectory?: string;
  /** Serve the `test.*` methods (transport tests only; `$DROVER_AGENT_TEST_HANDLERS=1`). */
  testHandlers?: boolean;
}

/**
 * Keeps this host connected: reconnects with exponential backoff and full
 * jitter until stopped, or until the controller says retrying is pointless
 * (agent unknown or revoked).
 */
export async function runAgent(opts: RunOptions): Promise<void> {
  const { identity, privateKey } = loadIdentity(opts.dataDir);
  const refusal = plainHttpRefusal(new URL(identity.controllerUrl));
  if (refusal) throw new UserError(`${refusal}; enroll again with an https:// controller URL`, { exitCode: 3 });
  const docker = dockerClient();
  const facts = hostFacts(docker);
  const inventory = () => hostInventory(docker, identity.name, opts.log, facts.fresh());
  const pusher = new InventoryPusher(() => hostInventory(docker, identity.name, opts.log, facts.recent()), opts.log);
  const runDirectory = opts.runDirectory ?? defaultRunDirectory();
  const handlers = buildHandlers({ log: opts.log, docker }, { runDirectory, host: identity.name, socketPath: dockerSocketPath(), onChange: () => pusher.changed(), onMutation: () => pusher.hold() }, { testHandlers: opts.testHandlers });
  // Ends with this function, however it ends, so the event stream never keeps the process alive.
  const lifetime = new AbortController();
  const endLifetime = () => lifetime.abort();
  opts.signal.addEventListener('abort', endLifetime, { once: true });
  if (docker) watchDockerEvents(dockerSocketPath(), () => pusher.changed(), lifetime.signal, opts.log);
  opts.log.info('starting', { name: identity.name, controller: identity.controllerUrl, runDirectory, methods: handlers.methods().length });
  try {
    await keepConnected(opts, identity, privateKey, handlers, inventory, pusher);
  } finally {
    opts.signal.removeEventListener('abort', endLifetime);
    lifetime.abort();
    pusher.stop();
  }
}

async function keepConnected(
  opts: RunOptions, identity: AgentIdentity, privateKey: KeyObject, handlers: HandlerRegistry,
  inventory: () => Promise<InventoryInput>, pusher: InventoryPusher,
): Promise<void> {
  const backoff = opts.backoff ?? { baseMs: 500, capMs: 30_000 };
  let attempt = 0;
  while (!opts.signal.aborted) {
    const outcome = await connectOnce({ identity, privateKey, handlers, log: opts.log, inventory, onReady: (s) => pusher.attach(s) }, opts.signal);
    pusher.attach(null);
    if (opts.signal.aborted) break;
    if (FATAL_CLOSE_CODES.has(outcome.code)) {
      throw new UserError(`the controller refused this agent: ${describeCloseCode(outcome.code)}${outcome.reason ? ` (${outcome.reason})` : ''}; enroll again`, { exitCode: 3 });
    }
    attempt = outcome.welcomed ? 0 : attempt + 1;
    const delay = backoffDelay(attempt, backoff);
    await sleep(delay, undefined, { signal: opts.signal }).catch(() => undefined);
  }
}
