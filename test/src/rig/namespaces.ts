import { closeSync, existsSync, mkdirSync, openSync, readFileSync, readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { run } from './exec.js';
import { RIG_RUN_DIR } from './paths.js';

export const netnsPath = (name: string) => `/run/netns/${name}`;

export async function createNetns(name: string): Promise<void> {
  await run(['ip', 'netns', 'add', name]);
  await run(['ip', '-n', name, 'link', 'set', 'lo', 'up']);
}

export async function listNetns(): Promise<string[]> {
  const { stdout } = await run(['ip', 'netns', 'list'], { check: false });
  return stdout.split('\n').map((l) => l.split(' ')[0] ?? '').filter(Boolean);
}

/** Pins of mount namespaces live here; the directory must be a private mount for `unshare --mount=FILE`. */
const MOUNT_PIN_DIR = join(RIG_RUN_DIR, 'mnt');

async function ensurePrivatePinDir(): Promise<void> {
  mkdirSync(MOUNT_PIN_DIR, { recursive: true });
  const mounts = readFileSync('/proc/self/mountinfo', 'utf8');
  if (mounts.split('\n').some((l) => l.split(' ')[4] === MOUNT_PIN_DIR)) return;
  await run(['mount', '--bind', MOUNT_PIN_DIR, MOUNT_PIN_DIR]);
  await run(['mount', '--make-private', MOUNT_PIN_DIR]);
}

export const mountNsPin = (name: string) => join(MOUNT_PIN_DIR, name);

export interface MountPlan {
  /** Host directories bound over these paths inside the namespace, e.g. [dir, '/root']. */
  binds: Array<[source: string, target: string]>;
  /** A fresh tmpfs on /run, so /var/run/docker.sock inside is this namespace's own. */
  privateRun: boolean;
}

/**
 * Creates a persistent mount namespace, pinned at mountNsPin(name), in which the
 * given directories replace /root, /etc/docker, /var/lib/docker and so on.
 */
export async function createMountNs(name: string, plan: MountPlan): Promise<string> {
  await ensurePrivatePinDir();
  const pin = mountNsPin(name);
  closeSync(openSync(pin, 'a'));
  const steps: string[] = [];
  for (const [source, target] of plan.binds) {
    mkdirSync(source, { recursive: true });
    mkdirSync(target, { recursive: true });
    steps.push(`mount --bind '${source}' '${target}'`);
  }
  if (plan.privateRun) steps.push('mount -t tmpfs -o mode=755 tmpfs /run');
  await run(['unshare', `--mount=${pin}`, '--propagation', 'private', 'sh', '-ec', steps.join('\n')]);
  return pin;
}

export async function removeMountNs(name: string): Promise<void> {
  const pin = mountNsPin(name);
  if (!existsSync(pin)) return;
  await run(['umount', pin], { check: false });
  await run(['rm', '-f', pin], { check: false });
}

/** The inode identifying a namespace, from its pin file or from /proc/PID/ns/*. */
function nsInode(path: string): number | undefined {
  try {
    return statSync(path).ino;
  } catch {
    return undefined;
  }
}

/** Every process whose namespace of `kind` is the one pinned at `pin`. */
export function processesInNamespace(pin: string, kind: 'mnt' | 'net'): number[] {
  const target = nsInode(pin);
  if (target === undefined) return [];
  const pids: number[] = [];
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    if (nsInode(`/proc/${entry}/ns/${kind}`) === target) pids.push(Number(entry));
  }
  return pids;
}

/** Every process in a cgroup-v1 hierarchy subtree (containers started with --cgroup-parent). */
export function processesInCgroup(name: string): number[] {
  const root = `/sys/fs/cgroup/pids/${name}`;
  const pids: number[] = [];
  const walk = (dir: string) => {
    let entries: string[];
    try {
      entries = readdirSync(dir);
    } catch {
      return;
    }
    try {
      for (const line of readFileSync(join(dir, 'cgroup.procs'), 'utf8').split('\n')) if (line) pids.push(Number(line));
    } catch {
      /* vanished */
    }
    for (const e of entries) if (statSync(join(dir, e), { throwIfNoEntry: false })?.isDirectory()) walk(join(dir, e));
  };
  walk(root);
  return pids;
}

/** Removes a cgroup subtree from every v1 hierarchy (empty directories only, deepest first). */
export async function removeCgroup(name: string): Promise<void> {
  await run(['sh', '-c', `for c in /sys/fs/cgroup/*/${name}; do [ -d "$c" ] && find "$c" -depth -type d -exec rmdir {} + 2>/dev/null; done; true`], { check: false });
}

export function killAll(pids: number[]): void {
  for (const pid of pids) {
    try {
      process.kill(pid, 'SIGKILL');
    } catch {
      /* already gone */
    }
  }
}
