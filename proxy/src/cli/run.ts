/** `kamal-proxy run`: the server, until SIGTERM/SIGINT, then a graceful stop. */
import { ProxyServer } from '../server.js';
import { socketPath, statePath, dataDir } from '../paths.js';
import { mkdirSync } from 'node:fs';
import cluster from 'node:cluster';
import { availableParallelism } from 'node:os';
import { ClusterPrimary } from '../cluster_primary.js';
import { runWorker } from '../cluster_worker.js';
import { workerCount } from '../cluster_messages.js';
import type { ProxyCommand, IO } from './command.js';
import type { FlagSpecs } from './flags.js';

/** KAMAL_PROXY_<X> wins over <X>; unparseable values fall back to the default, like kamal-proxy. */
function envInt(env: IO['env'], name: string, fallback: number): number {
  const raw = env[`KAMAL_PROXY_${name}`] ?? env[name];
  if (raw === undefined || !/^\d+$/.test(raw)) return fallback;
  return Number(raw);
}

function envBool(env: IO['env'], name: string, fallback: boolean): boolean {
  const raw = env[`KAMAL_PROXY_${name}`] ?? env[name];
  if (raw === undefined) return fallback;
  if (['1', 't', 'T', 'TRUE', 'true', 'True'].includes(raw)) return true;
  if (['0', 'f', 'F', 'FALSE', 'false', 'False'].includes(raw)) return false;
  return fallback;
}

function runFlags(env: IO['env']): FlagSpecs {
  return {
    debug: { type: 'bool', default: envBool(env, 'DEBUG', false), usage: 'Include debugging logs' },
    'http-port': { type: 'int', default: envInt(env, 'HTTP_PORT', 80), usage: 'Port to serve HTTP traffic on' },
    'https-port': { type: 'int', default: envInt(env, 'HTTPS_PORT', 443), usage: 'Port to serve HTTPS traffic on' },
    'metrics-port': { type: 'int', default: envInt(env, 'METRICS_PORT', 0), usage: 'Publish metrics on the specified port (default zero to disable)' },
    http3: { type: 'bool', default: false, usage: 'Enable HTTP/3 (not supported by this implementation; accepted and ignored)' },
  };
}

export const runCommand: ProxyCommand = {
  name: 'run',
  summary: 'Run the server',
  use: 'run',
  exactArgs: 0,
  get flags() {
    return runFlags(process.env);
  },
  async run(flags, io) {
    const v = flags.values;
    try {
      mkdirSync(dataDir(io.env), { recursive: true, mode: 0o700 });
    } catch {
      // kamal-proxy falls back to a temp dir; the state simply won't persist.
    }
    const config = {
      // Not a kamal-proxy setting: lets tests keep the listeners on loopback.
      bind: io.env.KAMAL_PROXY_BIND ?? '',
      httpPort: v['http-port'] as number,
      httpsPort: v['https-port'] as number,
      metricsPort: v['metrics-port'] as number,
      socketPath: socketPath(io.env),
      statePath: statePath(io.env),
      debug: v.debug as boolean,
    };
    if (cluster.isWorker) {
      await runWorker(config);
      // Runs until the primary tells it to stop (runWorker exits the process then).
      return new Promise<number>(() => {});
    }
    // Not a kamal-proxy setting: the number of processes serving traffic (default: one per CPU).
    const workers = workerCount(io.env.KAMAL_PROXY_WORKERS, availableParallelism());
    const server = workers > 1 ? new ClusterPrimary(config, workers) : new ProxyServer(config);
    if (v.http3) server.logger.warn('HTTP/3 is not supported by this implementation; serving HTTP/1.1 only');
    await server.start();
    await new Promise<void>((resolve) => {
      const onSignal = (): void => {
        process.off('SIGTERM', onSignal);
        process.off('SIGINT', onSignal);
        resolve();
      };
      process.on('SIGTERM', onSignal);
      process.on('SIGINT', onSignal);
    });
    await server.stop();
    return 0;
  },
};
