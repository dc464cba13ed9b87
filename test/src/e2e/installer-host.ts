// Helpers for the installer's rig tests: the agent artifact (built on demand, like the rig's images), and a
// rig host made to look like a fresh Docker-only server whose install paths are its own.
import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { RigHost } from '../rig/index.js';

const REPO = resolve(fileURLToPath(new URL('.', import.meta.url)), '../../..');
export const INSTALL_SH = join(REPO, 'installer', 'install.sh');
export const ARTIFACTS_DIR = join(REPO, 'agent', 'dist', 'artifacts');
/** What install.sh writes, each a private tmpfs on a test host (the rest of a rig host's filesystem is the machine's). */
export const INSTALL_PATHS = ['/opt/drover-agent', '/etc/drover-agent', '/var/lib/drover-agent'];
const SHIMS = '/root/installer-shims';
const BASE_PATH = '/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin';

function newestMtime(dir: string, skip: Set<string>): number {
  let newest = 0;
  for (const name of readdirSync(dir)) {
    const path = join(dir, name);
    if (skip.has(path)) continue;
    const st = statSync(path);
    newest = Math.max(newest, st.isDirectory() ? newestMtime(path, skip) : st.mtimeMs);
  }
  return newest;
}

/** The agent artifact for `arch` (default this machine's, x64), rebuilt when the compiled agent or shared code is newer. */
export function ensureAgentArtifact(arch: 'x64' | 'arm64' = 'x64'): string {
  const artifact = join(ARTIFACTS_DIR, `drover-agent-linux-${arch}`);
  const skip = new Set([ARTIFACTS_DIR, join(REPO, 'agent', 'dist', 'sea')]);
  const sources = Math.max(newestMtime(join(REPO, 'agent', 'dist'), skip), newestMtime(join(REPO, 'shared', 'dist'), skip));
  if (!existsSync(artifact) || statSync(artifact).mtimeMs < sources) {
    execFileSync(process.execPath, [join(REPO, 'agent', 'scripts', 'build-artifacts.mjs'), '--arch', arch], { stdio: ['ignore', 'ignore', 'inherit'] });
  }
  return artifact;
}

/** Commands that make a host look otherwise, each set a directory put first on PATH by `runOnHost`. */
const SHIM_SETS = {
  /** `sudo` as a pass-through, since the test is root (in every set). */
  'sudo-only': {},
  mips: { uname: '[ "$1" = -m ] && { echo mips64; exit 0; }\nexec /bin/uname "$@"' },
  /** apt whose archive cannot be reached, as behind a firewall. */
  'apt-unreachable': { 'apt-get': 'echo "E: Failed to fetch http://deb.debian.org/debian/dists/bookworm/InRelease" >&2\nexit 100' },
} as const;
export type Machine = Exclude<keyof typeof SHIM_SETS, 'sudo-only'>;

/**
 * Makes `host` a fresh server for the installer: private tmpfs on the install paths, no node (a bind of
 * /dev/null over it, in this host's mount namespace only), and the shim sets of SHIM_SETS.
 */
export async function prepareHost(host: RigHost): Promise<void> {
  const node = process.execPath;
  const shims = Object.entries(SHIM_SETS).flatMap(([set, commands]) => [
    `mkdir -p ${SHIMS}/${set}`,
    `printf '#!/bin/sh\\nexec "$@"\\n' >${SHIMS}/${set}/sudo`,
    ...Object.entries(commands).map(([name, body]) => `printf '%s\\n' '#!/bin/sh' '${body}' >${SHIMS}/${set}/${name}`),
  ]);
  const script = [
    ...INSTALL_PATHS.map((p) => `mkdir -p ${p} && mount -t tmpfs -o mode=755 tmpfs ${p}`),
    `mount --bind /dev/null ${node}`,
    ...shims,
    `chmod 755 ${SHIMS}/*/*`,
  ].join(' && ');
  await host.exec(['sh', '-ec', script]);
}

export interface LineResult { code: number; out: string; err: string }

/** Runs a shell line on the host as an operator pastes it: a login-like environment, nothing of the test's. */
export async function runOnHost(host: RigHost, line: string, o: { machine?: Machine; env?: NodeJS.ProcessEnv } = {}): Promise<LineResult> {
  const path = `${SHIMS}/${o.machine ?? 'sudo-only'}:${BASE_PATH}`;
  const r = await host.exec(['sh', '-c', line], { check: false, timeoutMs: 180_000, env: { PATH: path, HOME: '/root', ...o.env } });
  return { code: r.code, out: r.stdout, err: r.stderr };
}

/** The pid of the one `drover-agent run` on the host whose executable is the installed artifact (not node), from /proc. */
export async function agentPid(host: RigHost): Promise<number | null> {
  const r = await host.exec(['sh', '-c', 'for p in /proc/[0-9]*; do [ "$(readlink $p/exe 2>/dev/null)" = /opt/drover-agent/drover-agent ] && echo ${p#/proc/}; done; true']);
  const pids = r.stdout.trim().split('\n').filter(Boolean).map(Number);
  if (pids.length > 1) throw new Error(`${pids.length} agents run on ${host.name}: ${pids.join(', ')}`);
  return pids[0] ?? null;
}

/**
 * Runs `commands` (`$1` is `dir`) in sh after sourcing install.sh's functions: the script without its last
 * line, the call to main. Returns why it could not, or null.
 */
function runInstallerFunctions(dir: string, commands: string): string | null {
  const text = readFileSync(INSTALL_SH, 'utf8');
  const functions = text.replace(/\nmain "\$@"\n$/, '\n');
  if (functions === text) return 'install.sh does not end with main "$@"';
  writeFileSync(join(dir, 'functions.sh'), functions);
  execFileSync('sh', ['-c', `. "$1/functions.sh"; ${commands}`, 'sh', dir]);
  return null;
}

/**
 * The systemd unit install.sh writes (its own `write_systemd_unit`, paths in a temporary directory), with
 * what `systemd-analyze verify` says of it: nothing when systemd would load it as written.
 */
export function verifySystemdUnit(): { unit: string; problems: string } {
  const dir = mkdtempSync(join(tmpdir(), 'drover-unit-'));
  try {
    // ExecStart must name an executable file for systemd to accept the unit.
    writeFileSync(join(dir, 'drover-agent'), '#!/bin/sh\n', { mode: 0o755 });
    writeFileSync(join(dir, 'agent.env'), '', { mode: 0o600 });
    const missingMain = runInstallerFunctions(dir, 'UNIT_FILE="$1/drover-agent.service"; INSTALL_DIR="$1"; CONFIG_DIR="$1"; write_systemd_unit');
    if (missingMain) return { unit: '', problems: missingMain };
    const r = spawnSync('systemd-analyze', ['verify', '--man=no', join(dir, 'drover-agent.service')], { encoding: 'utf8' });
    // A key systemd ignores is only a warning (exit 0): any output counts.
    const problems = r.error ? `systemd-analyze: ${r.error.message}` : `${r.stdout}${r.stderr}${r.status === 0 ? '' : `(exit ${r.status})`}`;
    return { unit: readFileSync(join(dir, 'drover-agent.service'), 'utf8'), problems };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

/** shellcheck's findings (empty when clean) on install.sh and on the supervisor script it writes for hosts without systemd. */
export function shellcheckInstaller(): string {
  const dir = mkdtempSync(join(tmpdir(), 'drover-install-sh-'));
  try {
    const missingMain = runInstallerFunctions(dir, 'INSTALL_DIR="$1"; write_supervisor');
    if (missingMain) return missingMain;
    const r = spawnSync('shellcheck', ['-s', 'sh', INSTALL_SH, join(dir, 'supervise')], { encoding: 'utf8' });
    if (r.error) return `shellcheck: ${r.error.message}`;
    return r.status === 0 ? '' : r.stdout + r.stderr;
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
