#!/usr/bin/env node
import { parseArgs } from 'node:util';
import { describeError, DROVER_VERSION, UserError } from '@drover/shared';
import { defaultAgentDataDir } from '../state/agent-state.js';
import { createLogger } from '../log.js';

const USAGE = `Usage:
  drover-agent enroll --token TOKEN [--controller URL] [--name NAME] [--data-dir DIR] [--force]
  drover-agent run [--data-dir DIR] [--run-dir DIR]
  drover-agent version

  enroll   generate this host's key pair and register it with the controller
           named in the join token (its TLS key is pinned from the token)
  run      stay connected to the controller and serve its requests

  --data-dir defaults to $DROVER_AGENT_DATA_DIR or /var/lib/drover-agent.
  --run-dir (Kamal's run directory on this host) defaults to $DROVER_AGENT_RUN_DIR or ~/.kamal.
  The token may also come from $DROVER_JOIN_TOKEN (keeps it out of argv).`;

function parse(argv: string[], options: Record<string, { type: 'string' | 'boolean' }>) {
  try {
    return parseArgs({ args: argv, options, strict: true, allowPositionals: false });
  } catch (err) {
    throw new UserError(`${(err as Error).message}\n\n${USAGE}`, { exitCode: 64 });
  }
}

function envNumber(name: string, fallback: number): number {
  const v = Number(process.env[name]);
  return Number.isFinite(v) && v > 0 ? v : fallback;
}

async function main(argv: string[]): Promise<number> {
  const [name, ...rest] = argv;
  if (name === 'version' || name === '--version') {
    console.log(DROVER_VERSION);
    return 0;
  }
  if (rest.includes('--help') || rest.includes('-h')) {
    console.log(USAGE);
    return 0;
  }
  if (name === 'enroll') {
    const { values } = parse(rest, { token: { type: 'string' }, controller: { type: 'string' }, name: { type: 'string' }, 'data-dir': { type: 'string' }, force: { type: 'boolean' } });
    const token = (values.token as string | undefined) ?? process.env.DROVER_JOIN_TOKEN;
    if (!token) throw new UserError(`--token is required\n\n${USAGE}`, { exitCode: 64 });
    const { enroll } = await import('../connection/enroll.js');
    const dataDir = (values['data-dir'] as string | undefined) ?? defaultAgentDataDir();
    const identity = await enroll({ dataDir, token, controllerUrl: values.controller as string | undefined, name: values.name as string | undefined, force: values.force as boolean | undefined });
    console.log(`enrolled as ${identity.name} (${identity.agentId}) with controller ${identity.controllerUrl}; start with: drover-agent run`);
    return 0;
  }
  if (name === 'run') {
    const { values } = parse(rest, { 'data-dir': { type: 'string' }, 'run-dir': { type: 'string' } });
    const { runAgent } = await import('../connection/run-agent.js');
    const { testHandlersEnabled } = await import('../rpc/handlers.js');
    const stop = new AbortController();
    process.once('SIGTERM', () => stop.abort());
    process.once('SIGINT', () => stop.abort());
    await runAgent({
      dataDir: (values['data-dir'] as string | undefined) ?? defaultAgentDataDir(),
      runDirectory: values['run-dir'] as string | undefined,
      testHandlers: testHandlersEnabled(),
      log: createLogger(),
      signal: stop.signal,
      // Tests shorten the reconnect backoff; production uses 0.5 s doubling up to 30 s.
      backoff: { baseMs: envNumber('DROVER_AGENT_BACKOFF_BASE_MS', 500), capMs: envNumber('DROVER_AGENT_BACKOFF_CAP_MS', 30_000) },
    });
    return 0;
  }
  if (name === '--help' || name === '-h' || name === 'help') {
    console.log(USAGE);
    return 0;
  }
  console.error(name ? `drover-agent: unknown command "${name}"\n\n${USAGE}` : USAGE);
  return 64;
}

main(process.argv.slice(2)).then(
  (code) => { process.exitCode = code; },
  (err: unknown) => {
    console.error(`drover-agent: ${describeError(err)}`);
    process.exitCode = (err as { exitCode?: number }).exitCode ?? 1;
  },
);
