import { existsSync, mkdirSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { run } from './exec.js';
import { withLock } from './lock.js';
import { RIG_DATA_DIR, RIG_RUN_DIR } from './paths.js';

/** Debian packages the rig needs, with a file that shows each is installed. */
const REQUIRED: ReadonlyArray<{ pkg: string; file: string }> = [
  { pkg: 'docker.io', file: '/usr/sbin/dockerd' },
  { pkg: 'docker-registry', file: '/usr/bin/docker-registry' },
  { pkg: 'busybox-static', file: '/bin/busybox' },
  { pkg: 'iproute2', file: '/usr/sbin/ip' },
  { pkg: 'iptables', file: '/usr/sbin/iptables' },
  // htpasswd, for the registry's bcrypt password file
  { pkg: 'apache2-utils', file: '/usr/bin/htpasswd' },
  { pkg: 'openssl', file: '/usr/bin/openssl' },
  // the operator's build clones the project's git repository, as Kamal does
  { pkg: 'git', file: '/usr/bin/git' },
  // the installer's test checks install.sh with it
  { pkg: 'shellcheck', file: '/usr/bin/shellcheck' },
  // and the systemd unit it writes with systemd-analyze; hosts that boot systemd run it (boot.ts)
  { pkg: 'systemd', file: '/usr/bin/systemd-analyze' },
  // runs the arm64 agent artifact on this machine, under user-mode emulation (with foreignSysroot)
  { pkg: 'qemu-user-static', file: '/usr/bin/qemu-aarch64-static' },
  // indexes the rig's local apt archive
  { pkg: 'dpkg-dev', file: '/usr/bin/dpkg-scanpackages' },
];

export function missingPackages(): string[] {
  return REQUIRED.filter((r) => !existsSync(r.file)).map((r) => r.pkg);
}

/**
 * Runs `work` under the machine-wide apt lock unless `done()` says it is not needed, before taking the lock
 * or after (another test run may have done it meanwhile).
 */
async function onceUnderAptLock(done: () => boolean, work: () => Promise<void>): Promise<void> {
  if (done()) return;
  mkdirSync(RIG_RUN_DIR, { recursive: true });
  await withLock(join(RIG_RUN_DIR, 'apt.lock'), async () => {
    if (!done()) await work();
  });
}

/** Installs what is missing from Debian's archive; silent when everything is there. */
export async function ensurePackages(log: (line: string) => void = () => {}): Promise<void> {
  await onceUnderAptLock(() => missingPackages().length === 0, async () => {
    const missing = missingPackages();
    log(`rig: installing ${missing.join(' ')} from Debian's archive`);
    const env = { ...process.env, DEBIAN_FRONTEND: 'noninteractive' };
    await run(['apt-get', 'update', '-qq'], { env });
    await run(['apt-get', 'install', '-y', '-qq', '--no-install-recommends', ...missing], { env });
  });
}

/** The C and C++ runtime libraries a foreign architecture's dynamically linked programs load (node's). */
const FOREIGN_RUNTIME = ['libc6', 'libgcc-s1', 'libstdc++6'];

/**
 * A directory with Debian's runtime libraries for `arch` (e.g. arm64), for `qemu-<arch>-static -L DIR`:
 * downloaded once and unpacked, without adding the architecture to dpkg (nothing of it is installed).
 */
export async function foreignSysroot(arch: 'arm64', log: (line: string) => void = () => {}): Promise<string> {
  const root = join(RIG_DATA_DIR, `sysroot-${arch}`);
  const done = join(root, '.complete');
  await onceUnderAptLock(() => existsSync(done), async () => {
    log(`rig: fetching Debian's ${arch} runtime libraries (${FOREIGN_RUNTIME.join(' ')}) into ${root}`);
    const debs = join(RIG_DATA_DIR, `sysroot-${arch}.debs`);
    rmSync(root, { recursive: true, force: true });
    rmSync(debs, { recursive: true, force: true });
    mkdirSync(debs, { recursive: true });
    const archs = ['-o', `APT::Architectures::=${(await run(['dpkg', '--print-architecture'])).stdout.trim()}`, '-o', `APT::Architectures::=${arch}`];
    await run(['apt-get', ...archs, 'update', '-qq']);
    // As root into a directory _apt cannot write: apt says so and downloads unsandboxed.
    await run(['apt-get', ...archs, '-qq', 'download', ...FOREIGN_RUNTIME.map((p) => `${p}:${arch}`)], { cwd: debs });
    for (const deb of readdirSync(debs)) await run(['dpkg-deb', '-x', join(debs, deb), root]);
    rmSync(debs, { recursive: true, force: true });
    writeFileSync(done, '');
  });
  return root;
}

/** The rig's own apt archive, the only one booted hosts know (boot.ts): Debian's packages, downloaded beforehand. */
export const LOCAL_ARCHIVE = join(RIG_DATA_DIR, 'apt-archive');

/**
 * Puts `packages` in LOCAL_ARCHIVE at the versions this machine has installed (so their dependencies are
 * already satisfied on a booted host's root, which is this machine's), with a Packages index. Downloading
 * is setup, like ensurePackages; a host then installs from the archive with no network beyond the rig.
 */
export async function ensureLocalArchive(packages: string[], log: (line: string) => void = () => {}): Promise<string> {
  const index = join(LOCAL_ARCHIVE, 'Packages');
  const has = () => existsSync(index) && packages.every((p) => readdirSync(LOCAL_ARCHIVE).some((f) => f.startsWith(`${p}_`)));
  await onceUnderAptLock(has, async () => {
    mkdirSync(LOCAL_ARCHIVE, { recursive: true });
    if (packages.length === 0) return writeFileSync(index, '');
    log(`rig: downloading ${packages.join(' ')} into the rig's apt archive ${LOCAL_ARCHIVE}`);
    const pinned: string[] = [];
    for (const p of packages) pinned.push(`${p}=${(await run(['dpkg-query', '-W', '-f=${Version}', p])).stdout.trim()}`);
    await run(['apt-get', 'update', '-qq']);
    await run(['apt-get', '-qq', 'download', ...pinned], { cwd: LOCAL_ARCHIVE });
    // Indexes what an earlier call downloaded too.
    const scan = await run(['dpkg-scanpackages', '--multiversion', '.'], { cwd: LOCAL_ARCHIVE });
    writeFileSync(index, scan.stdout);
  });
  return LOCAL_ARCHIVE;
}
