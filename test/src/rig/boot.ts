import { spawn } from 'node:child_process';
import { openSync, closeSync, readFileSync } from 'node:fs';
import { run, waitFor } from './exec.js';

// A rig host that boots systemd, for what only a service manager can show: units installed, started,
// restarted after a crash, stopped. systemd runs as PID 1 of its own PID namespace, in a mount namespace
// whose root is an overlay of the machine's root with a tmpfs on top: what it and the units write (and
// its boot-time cleanup of /tmp, which on a shared root wiped the machine's) stays in that tmpfs. It keeps
// the host's network namespace and uses the host's dockerd, whose socket is bound in.

/** The unit systemd starts instead of the default target: the journal and nothing else of the machine's. */
export const BOOT_TARGET = 'drover-rig-boot.target';

/** Units of the machine's own that a rig host must not start: its dockerd is the host's (bound in). */
const MASKED_UNITS = ['docker.socket', 'containerd.service'];
/** Stands in for Docker's unit, so units that want it (as the agent's does) see it active as on a server. */
const DOCKER_UNIT = [
  '[Unit]',
  'Description=Docker: the rig host dockerd, started by the rig',
  '[Service]',
  'Type=oneshot',
  'ExecStart=/bin/true',
  'RemainAfterExit=yes',
];

/**
 * The script that runs in the host's network and mount namespaces: it moves into `cgroup` (so the rig's
 * cleanup finds systemd and its units), then in new mount, PID, UTS and cgroup namespaces builds the root
 * and executes systemd as PID 1. `$1` is a scratch directory for the overlay; the other arguments are
 * directories bound read-only at the same paths (the root's /tmp is a fresh one, and a checkout may be there).
 */
export function bootScript(o: { hostname: string; cgroup: string }): string {
  const unitDir = '$R/etc/systemd/system';
  const inside = [
    'B=$1; R=$B/root; shift',
    'mount -t tmpfs -o mode=755 tmpfs "$B"',
    'mkdir "$B/upper" "$B/work" "$R"',
    'mount -t overlay overlay -o "lowerdir=/,upperdir=$B/upper,workdir=$B/work" "$R"',
    'mount -t proc proc "$R/proc"',
    // Read-only, so systemd starts no udev on the machine's devices.
    'mount -t sysfs -o ro sysfs "$R/sys"',
    'mount -t tmpfs -o mode=755 tmpfs "$R/sys/fs/cgroup"',
    'mkdir "$R/sys/fs/cgroup/systemd"',
    'mount -t cgroup -o none,name=systemd cgroup "$R/sys/fs/cgroup/systemd"',
    'mount --rbind /dev "$R/dev"',
    'mount -t tmpfs -o mode=755 tmpfs "$R/run"',
    'mount -t tmpfs -o mode=1777 tmpfs "$R/tmp"',
    'touch "$R/run/docker.sock" && mount --bind /run/docker.sock "$R/run/docker.sock"',
    'for p in "$@"; do mkdir -p "$R$p" && mount --bind "$p" "$R$p" && mount -o remount,bind,ro "$R$p"; done',
    `echo ${o.hostname} >"$R/etc/hostname" && hostname ${o.hostname}`,
    `mkdir -p ${unitDir}`,
    `printf '[Unit]\\nDescription=Rig host boot: the journal only\\nWants=systemd-journald.service systemd-journald.socket docker.service\\n' >${unitDir}/${BOOT_TARGET}`,
    ...MASKED_UNITS.map((u) => `ln -sf /dev/null ${unitDir}/${u}`),
    `printf '%s\\n' '${DOCKER_UNIT.join("' '")}' >${unitDir}/docker.service`,
    'mkdir "$R/.oldroot" && cd "$R" && pivot_root . .oldroot && umount -l /.oldroot && rmdir /.oldroot',
    `exec env -i container=drover-rig PATH=/usr/sbin:/usr/bin:/sbin:/bin /lib/systemd/systemd --unit=${BOOT_TARGET}`,
  ].join('\n');
  return [
    'set -e',
    ...['systemd', 'pids'].map((h) => `mkdir -p /sys/fs/cgroup/${h}/${o.cgroup} && echo $$ >/sys/fs/cgroup/${h}/${o.cgroup}/cgroup.procs`),
    `exec unshare --mount --pid --fork --uts --cgroup --propagation private sh -ec '${inside.replace(/'/g, `'\\''`)}' boot "$@"`,
  ].join('\n');
}

/** Boots systemd on a host (entered with `enterArgs`); resolves with its pid once it reports running. */
export async function bootSystemd(o: {
  enterArgs: string[]; hostname: string; cgroup: string; scratch: string; logFile: string; binds: readonly string[];
}): Promise<number> {
  const log = openSync(o.logFile, 'a');
  const [nsenter, ...rest] = o.enterArgs;
  const child = spawn(nsenter!, [...rest, 'sh', '-c', bootScript(o), 'boot', o.scratch, ...o.binds], { stdio: ['ignore', log, log], detached: true });
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
