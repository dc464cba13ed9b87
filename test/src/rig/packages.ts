import { existsSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { run } from './exec.js';
import { withLock } from './lock.js';
import { RIG_RUN_DIR } from './paths.js';

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
  // and the systemd unit it writes with systemd-analyze (no systemd needs to run for that)
  { pkg: 'systemd', file: '/usr/bin/systemd-analyze' },
];

export function missingPackages(): string[] {
  return REQUIRED.filter((r) => !existsSync(r.file)).map((r) => r.pkg);
}

/** Installs what is missing from Debian's archive; silent when everything is there. */
export async function ensurePackages(log: (line: string) => void = () => {}): Promise<void> {
  if (missingPackages().length === 0) return;
  mkdirSync(RIG_RUN_DIR, { recursive: true });
  await withLock(join(RIG_RUN_DIR, 'apt.lock'), async () => {
    const missing = missingPackages();
    if (missing.length === 0) return;
    log(`rig: installing ${missing.join(' ')} from Debian's archive`);
    const env = { ...process.env, DEBIAN_FRONTEND: 'noninteractive' };
    await run(['apt-get', 'update', '-qq'], { env });
    await run(['apt-get', 'install', '-y', '-qq', '--no-install-recommends', ...missing], { env });
  });
}
