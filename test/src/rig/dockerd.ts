import { spawn } from 'node:child_process';
import { closeSync, mkdirSync, openSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import Docker from 'dockerode';
import { waitFor } from './exec.js';

export interface DockerdSpec {
  /** Network namespace file; undefined runs in the root namespace (the operator side). */
  netns?: string;
  /** Pinned mount namespace in which /var/run, /var/lib/docker and /etc/docker are this daemon's own. */
  mountNs: string;
  /** Root-visible directory for the daemon's second socket, pidfile and log. */
  stateDir: string;
  cgroupParent: string;
  extraArgs?: string[];
}

export interface RunningDockerd {
  /** Socket reachable from the root namespace (the daemon also listens on /var/run/docker.sock inside its namespace). */
  socketPath: string;
  pidFile: string;
  logFile: string;
  docker: Docker;
}

export function dockerdPaths(stateDir: string) {
  return {
    socketPath: join(stateDir, 'docker.sock'),
    pidFile: join(stateDir, 'dockerd.pid'),
    logFile: join(stateDir, 'dockerd.log'),
  };
}

export async function startDockerd(spec: DockerdSpec): Promise<RunningDockerd> {
  mkdirSync(spec.stateDir, { recursive: true });
  const paths = dockerdPaths(spec.stateDir);
  const nsArgs = [...(spec.netns ? [`--net=${spec.netns}`] : []), `--mount=${spec.mountNs}`];
  const log = openSync(paths.logFile, 'a');
  const child = spawn(
    'nsenter',
    [
      ...nsArgs, '--',
      'dockerd',
      '--host', 'unix:///var/run/docker.sock',
      '--host', `unix://${paths.socketPath}`,
      '--data-root', '/var/lib/docker',
      '--exec-root', '/var/run/docker',
      '--pidfile', paths.pidFile,
      '--cgroup-parent', `/${spec.cgroupParent}`,
      ...(spec.extraArgs ?? []),
    ],
    { detached: true, stdio: ['ignore', log, log] },
  );
  closeSync(log);
  child.unref();
  let exited: string | undefined;
  child.on('exit', (code) => { exited = `dockerd exited with ${code}`; });
  const docker = new Docker({ socketPath: paths.socketPath });
  await waitFor(`dockerd (${spec.stateDir})`, async () => {
    if (exited) throw new Error(`${exited}; log: ${tail(paths.logFile)}`);
    await docker.ping();
    return true;
  }, 60_000, 100).catch((e: Error) => {
    throw new Error(`${e.message}\nlast dockerd log lines:\n${tail(paths.logFile)}`);
  });
  return { ...paths, docker };
}

function tail(file: string, lines = 15): string {
  try {
    return readFileSync(file, 'utf8').trimEnd().split('\n').slice(-lines).join('\n');
  } catch {
    return '(no log)';
  }
}
