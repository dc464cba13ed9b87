import { existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import Docker from 'dockerode';
import { run } from './exec.js';
import { dockerdPaths, startDockerd } from './dockerd.js';
import { ensureBaseImages } from './images.js';
import { withLock, processAlive } from './lock.js';
import { createMountNs, killAll, mountNsPin, processesInCgroup, processesInNamespace, removeCgroup, removeMountNs } from './namespaces.js';
import { OPERATOR_ADDRESS, REGISTRY_PORT, RIG_DATA_DIR, RIG_PREFIX, RIG_RUN_DIR } from './paths.js';
import { ensurePki } from './pki.js';
import { ensureRegistry, type RegistryInfo } from './registry.js';

/** The operator side: the root namespace, where the CLI, the controller, a build dockerd and the registry live. */
export interface OperatorSide {
  address: string;
  docker: Docker;
  dockerSocketPath: string;
  registry: RegistryInfo;
}

const OPERATOR = `${RIG_PREFIX}-op`;
const operatorDir = join(RIG_DATA_DIR, 'operator');
// Not under /run: the daemon's mount namespace has a private /run.
const dockerStateDir = join(operatorDir, 'daemon');

// On loopback (this kernel has no dummy interfaces), labelled so it is recognisably the rig's.
const ADDRESS_LABEL = `lo:${RIG_PREFIX}`;

async function ensureOperatorAddress(): Promise<void> {
  const { stdout } = await run(['ip', '-o', 'addr', 'show', 'dev', 'lo'], { check: false });
  if (!stdout.includes(`${OPERATOR_ADDRESS}/32`)) {
    await run(['ip', 'addr', 'add', `${OPERATOR_ADDRESS}/32`, 'dev', 'lo', 'label', ADDRESS_LABEL]);
  }
}

async function dockerAnswers(socketPath: string): Promise<boolean> {
  if (!existsSync(socketPath)) return false;
  try {
    await new Docker({ socketPath }).ping();
    return true;
  } catch {
    return false;
  }
}

/** Brings the shared operator side up (once per machine), or returns the running one. */
export async function ensureOperator(): Promise<OperatorSide> {
  mkdirSync(RIG_RUN_DIR, { recursive: true });
  return withLock(join(RIG_RUN_DIR, 'operator.lock'), async () => {
    await ensureOperatorAddress();
    const pki = await ensurePki(join(operatorDir, 'pki'), [OPERATOR_ADDRESS, '127.0.0.1'], ['registry.drover.test', 'localhost']);
    const registry = await ensureRegistry(join(operatorDir, 'registry'), OPERATOR_ADDRESS, REGISTRY_PORT, pki);

    const { socketPath } = dockerdPaths(dockerStateDir);
    if (!(await dockerAnswers(socketPath))) {
      await stopOperatorDockerd();
      const etcDocker = join(operatorDir, 'etc-docker');
      const certsDir = join(etcDocker, 'certs.d', registry.server);
      mkdirSync(certsDir, { recursive: true });
      writeFileSync(join(certsDir, 'ca.crt'), readFileSync(pki.caCert));
      await createMountNs(OPERATOR, {
        binds: [
          [etcDocker, '/etc/docker'],
          [join(operatorDir, 'docker'), '/var/lib/docker'],
        ],
        privateRun: true,
      });
      // Builds only: no bridge and no iptables, so it never touches the root namespace's firewall.
      await startDockerd({
        mountNs: mountNsPin(OPERATOR),
        stateDir: dockerStateDir,
        cgroupParent: OPERATOR,
        extraArgs: ['--bridge=none', '--iptables=false', '--ip-masq=false'],
      });
    }
    const docker = new Docker({ socketPath });
    await ensureBaseImages(docker, join(operatorDir, 'work'));
    return { address: OPERATOR_ADDRESS, docker, dockerSocketPath: socketPath, registry };
  });
}

async function stopOperatorDockerd(): Promise<void> {
  killAll([...processesInNamespace(mountNsPin(OPERATOR), 'mnt'), ...processesInCgroup(OPERATOR)]);
  await removeMountNs(OPERATOR);
  await removeCgroup(OPERATOR);
}

/** Stops the operator side's daemons; its data (images, registry storage, CA) stays for the next run. */
export async function stopOperator(): Promise<void> {
  await stopOperatorDockerd();
  const pidFile = join(operatorDir, 'registry', 'registry.pid');
  if (existsSync(pidFile)) {
    const pid = Number(readFileSync(pidFile, 'utf8'));
    if (processAlive(pid)) process.kill(pid, 'SIGKILL');
    rmSync(pidFile, { force: true });
  }
  rmSync(dockerStateDir, { recursive: true, force: true });
  await run(['ip', 'addr', 'del', `${OPERATOR_ADDRESS}/32`, 'dev', 'lo'], { check: false });
}
