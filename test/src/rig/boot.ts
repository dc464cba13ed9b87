import { spawn } from 'node:child_process';
import { openSync, closeSync, readFileSync } from 'node:fs';
import { run, waitFor } from './exec.js';

// A rig host that boots systemd, for what only a service manager can show: units installed, started,
// restarted after a crash, stopped; Docker installed from the distribution's packages. systemd runs as PID 1
// of its own PID namespace, in a mount namespace whose root is an overlay of the machine's root with a tmpfs
// on top: what it, the units and apt write (and its boot-time cleanup of /tmp, which on a shared root wiped
// the machine's) stays in that tmpfs. It keeps the host's network namespace.

/** The unit systemd starts instead of the default target: the journal (and the rig's Docker), nothing else of the machine's. */
export const BOOT_TARGET = 'drover-rig-boot.target';

const UNIT_DIR = '$R/etc/systemd/system';
/** Stands in for Docker's unit, so units that want it (as the agent's does) see it active as on a server. */
const DOCKER_STAND_IN = [
  '[Unit]',
  'Description=Docker: the rig host dockerd, started by the rig',
  '[Service]',
  'Type=oneshot',
  'ExecStart=/bin/true',
  'RemainAfterExit=yes',
];

/** A cgroup-v1 hierarchy of the machine: where it is mounted and the option that names it. */
interface Hierarchy { dir: string; option: string }

function cgroupHierarchies(): Hierarchy[] {
  return readFileSync('/proc/self/mounts', 'utf8').split('\n')
    .map((line) => line.split(' '))
    .filter((f) => f[2] === 'cgroup' && f[1]?.startsWith('/sys/fs/cgroup/'))
    .map((f) => ({ dir: f[1]!, option: f[3]!.split(',').find((o) => o !== 'rw' && o !== 'ro' && o !== 'relatime' && !o.startsWith('no'))! }));
}

/** The host's dockerd (started by the rig) is the booted host's: its socket bound in, Docker's units replaced. */
export function rigDocker(): string[] {
  return [
    'touch "$R/run/docker.sock" && mount --bind /run/docker.sock "$R/run/docker.sock"',
    ...['docker.socket', 'containerd.service'].map((u) => `ln -sf /dev/null ${UNIT_DIR}/${u}`),
    `printf '%s\\n' '${DOCKER_STAND_IN.join("' '")}' >${UNIT_DIR}/docker.service`,
    `echo Wants=docker.service >>${UNIT_DIR}/${BOOT_TARGET}`,
  ];
}

/** No Docker of the rig's: whatever the host installs keeps its state in these directories (not on the overlay). */
export function ownDocker(dirs: { etcDocker: string; varLibDocker: string; varLibContainerd: string }): string[] {
  return ([[dirs.etcDocker, '/etc/docker'], [dirs.varLibDocker, '/var/lib/docker'], [dirs.varLibContainerd, '/var/lib/containerd']] as const)
    .map(([source, target]) => `mkdir -p '${source}' "$R${target}" && mount --bind '${source}' "$R${target}"`);
}

/** apt on the booted host knows one archive, the rig's local one (packages.ts), and never Debian's mirrors. */
export function localAptSource(archive: string): string[] {
  // Bound where apt's unprivileged fetcher can read it (the rig's data directory is root's alone).
  const seen = '/srv/drover-rig-apt';
  return [
    `mkdir -p "$R${seen}" && mount --bind '${archive}' "$R${seen}" && mount -o remount,bind,ro "$R${seen}"`,
    'rm -rf "$R/etc/apt/sources.list.d" && mkdir "$R/etc/apt/sources.list.d"',
    `echo 'deb [trusted=yes] file:${seen} ./' >"$R/etc/apt/sources.list"`,
  ];
}

/**
 * The script that runs in the host's network and mount namespaces: it moves into `cgroup` in every
 * hierarchy (so the rig's cleanup finds systemd, its units and their containers), then in new mount, PID,
 * UTS and cgroup namespaces builds the root, runs `setup` on it ($R) and executes systemd as PID 1. `$1` is
 * a scratch directory for the overlay; the other arguments are pairs of a machine's directory and where the
 * booted root sees it, read-only (its /tmp is a fresh one, and a checkout may be there).
 */
export function bootScript(o: { hostname: string; cgroup: string; setup: string[] }): string {
  const hierarchies = cgroupHierarchies();
  const inside = [
    'B=$1; R=$B/root; shift',
    'mount -t tmpfs -o mode=755 tmpfs "$B"',
    'mkdir "$B/upper" "$B/work" "$R"',
    'mount -t overlay overlay -o "lowerdir=/,upperdir=$B/upper,workdir=$B/work" "$R"',
    'mount -t proc proc "$R/proc"',
    // Read-only, so systemd starts no udev on the machine's devices.
    'mount -t sysfs -o ro sysfs "$R/sys"',
    'mount -t tmpfs -o mode=755 tmpfs "$R/sys/fs/cgroup"',
    ...hierarchies.map((h) => `mkdir "$R${h.dir}" && mount -t cgroup -o ${h.option === 'name=systemd' ? 'none,name=systemd' : h.option} cgroup "$R${h.dir}"`),
    'mount --rbind /dev "$R/dev"',
    'mount -t tmpfs -o mode=755 tmpfs "$R/run"',
    'mount -t tmpfs -o mode=1777 tmpfs "$R/tmp"',
    'while [ $# -gt 0 ]; do mkdir -p "$R$2" && mount --bind "$1" "$R$2" && mount -o remount,bind,ro "$R$2"; shift 2; done',
    `echo ${o.hostname} >"$R/etc/hostname" && hostname ${o.hostname}`,
    `mkdir -p ${UNIT_DIR}`,
    `printf '[Unit]\\nDescription=Rig host boot\\nWants=systemd-journald.service systemd-journald.socket\\n' >${UNIT_DIR}/${BOOT_TARGET}`,
    ...o.setup,
    'mkdir "$R/.oldroot" && cd "$R" && pivot_root . .oldroot && umount -l /.oldroot && rmdir /.oldroot',
    `exec env -i container=drover-rig PATH=/usr/sbin:/usr/bin:/sbin:/bin /lib/systemd/systemd --unit=${BOOT_TARGET}`,
  ];
  return [
    'set -e',
    // A new cpuset group has no CPUs or memory nodes until given its parent's.
    ...hierarchies.map((h) => {
      const dir = `${h.dir}/${o.cgroup}`;
      const cpuset = h.option === 'cpuset' ? ` && cat ${h.dir}/cpuset.cpus >${dir}/cpuset.cpus && cat ${h.dir}/cpuset.mems >${dir}/cpuset.mems` : '';
      return `mkdir -p ${dir}${cpuset} && echo $$ >${dir}/cgroup.procs`;
    }),
    `exec unshare --mount --pid --fork --uts --cgroup --propagation private sh -ec '${inside.join('\n').replace(/'/g, `'\\''`)}' boot "$@"`,
  ].join('\n');
}

/** Boots systemd on a host (entered with `enterArgs`); resolves with its pid once it reports running. */
export async function bootSystemd(o: {
  enterArgs: string[]; hostname: string; cgroup: string; scratch: string; logFile: string; binds: ReadonlyArray<readonly [string, string]>; setup: string[];
}): Promise<number> {
  const log = openSync(o.logFile, 'a');
  const [nsenter, ...rest] = o.enterArgs;
  const child = spawn(nsenter!, [...rest, 'sh', '-c', bootScript(o), 'boot', o.scratch, ...o.binds.flat()], { stdio: ['ignore', log, log], detached: true });
  closeSync(log);
  child.unref();
  // nsenter becomes unshare (same pid); unshare's one child is the new namespace's PID 1, systemd.
  const unsharePid = child.pid!;
  const systemdPid = await waitFor(`systemd to start on ${o.hostname}`, async () => {
    if (child.exitCode !== null) throw new Error(`booting systemd on ${o.hostname} failed (exit ${child.exitCode}): ${readFileSync(o.logFile, 'utf8').trim()}`);
    const children = readFileSync(`/proc/${unsharePid}/task/${unsharePid}/children`, 'utf8').trim();
    const pid = Number(children.split(' ')[0]);
    return pid > 0 && readFileSync(`/proc/${pid}/comm`, 'utf8').trim() === 'systemd' ? pid : undefined;
  }, 20_000);
  await waitFor(`systemd on ${o.hostname} to finish booting`, async () => {
    const state = await run(['nsenter', '-t', String(systemdPid), '-m', '-p', '--', 'systemctl', 'is-system-running'], { check: false });
    return ['running', 'degraded'].includes(state.stdout.trim()) ? true : undefined;
  }, 30_000);
  return systemdPid;
}
