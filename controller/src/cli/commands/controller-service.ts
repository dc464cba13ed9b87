import { spawnSync } from 'node:child_process';
import { existsSync, realpathSync, writeFileSync } from 'node:fs';
import { hostname } from 'node:os';
import { join, resolve } from 'node:path';
import { UserError } from '@drover/shared';
import { parseListen } from '../args/values.js';
import { usageError } from '../framework/errors.js';
import type { CommandSpec, Invocation } from '../framework/spec.js';
import { parseAgentFacingUrl } from '../../server/agent-facing-url.js';
import {
  CONTROLLER_UNIT_NAME, DEFAULT_DATA_DIR, DEFAULT_LISTEN, SYSTEMD_UNIT_DIR, controllerUnit, serveArgv, shellWord, type ControllerServiceOptions,
} from '../../operator/controller-unit.js';
import { DATA_DIR, dataDirOf } from './controller-tokens.js';

/** The name of the admin token `install` mints; its presence is how a second run knows not to mint (and show) another. */
export const FIRST_ADMIN_TOKEN = 'first-admin';

/** What `install` needs from the machine, apart from the data dir (a fake in tests). */
export interface ServiceHost {
  node: string;
  drover: string;
  unitDir: string;
  /** Directories the unit's PrivateTmp=yes replaces for the service (and the system cleans). */
  privateTmpDirs: string[];
  hasSystemd(): boolean;
  isRoot(): boolean;
  writeUnit(path: string, text: string): void;
  /** Runs systemctl; a failure is a one-line UserError. */
  systemctl(args: string[]): void;
}

export const realServiceHost = (): ServiceHost => ({
  node: process.execPath,
  drover: realpathSync(process.argv[1] ?? ''),
  unitDir: SYSTEMD_UNIT_DIR,
  privateTmpDirs: ['/tmp', '/var/tmp'],
  // sd_booted(3): systemd is the init system exactly when this directory exists.
  hasSystemd: () => existsSync('/run/systemd/system'),
  isRoot: () => process.getuid?.() === 0,
  writeUnit: (path, text) => writeFileSync(path, text, { mode: 0o644 }),
  systemctl: (args) => {
    const r = spawnSync('systemctl', args, { encoding: 'utf8' });
    if (r.error) throw new UserError(`systemctl ${args.join(' ')}: ${r.error.message}`);
    if (r.status !== 0) throw new UserError(`systemctl ${args.join(' ')} failed: ${(r.stderr || r.stdout).trim().split('\n')[0] ?? `exit ${r.status}`}`);
  },
});

const text = (inv: Invocation, name: string): string | undefined => (typeof inv.options[name] === 'string' ? inv.options[name] as string : undefined);

function serviceOptions(inv: Invocation, host: ServiceHost): ControllerServiceOptions {
  const listen = text(inv, 'listen') ?? DEFAULT_LISTEN;
  parseListen(listen, inv.help);
  const publicUrl = text(inv, 'public-url') ?? null;
  if (publicUrl !== null && !parseAgentFacingUrl(publicUrl)) throw usageError(`--public-url: expected https://HOST[:PORT], got "${publicUrl}"`, inv.help);
  const dataDir = resolve(inv.io.cwd, dataDirOf(inv));
  if (!/^[A-Za-z0-9_@+=:,./-]+$/.test(dataDir)) throw usageError(`--data-dir: use a path of letters, digits and _@+=:,./- for a service, not "${dataDir}"`, inv.help);
  refuseHiddenPaths(host, dataDir, inv.help);
  return { node: host.node, drover: host.drover, listen, dataDir, publicUrl };
}

/** The service would not find what lies under a temporary directory: its PrivateTmp=yes hides the real one. */
function refuseHiddenPaths(host: ServiceHost, dataDir: string, help: string): void {
  const under = (path: string) => host.privateTmpDirs.find((dir) => path.startsWith(`${dir}/`));
  const why = (dir: string) => `${dir}, which the service does not see (its unit has PrivateTmp=yes) and which the system cleans`;
  const dataTmp = under(dataDir);
  if (dataTmp) throw usageError(`--data-dir: ${dataDir} is under ${why(dataTmp)}; choose another (default ${DEFAULT_DATA_DIR})`, help);
  for (const path of [host.node, host.drover]) {
    const tmp = under(path);
    if (tmp) throw new UserError(`${path} is under ${why(tmp)}: run \`drover controller install\` from an installation elsewhere (e.g. a checkout in /opt/drover, \`npm run install-cli\`)`);
  }
}

function loginUrl(o: ControllerServiceOptions): string {
  if (o.publicUrl) return o.publicUrl;
  const { host, port } = parseListen(o.listen, '');
  const reachable = host === '0.0.0.0' || host === '::' ? hostname() : host;
  return `https://${reachable.includes(':') ? `[${reachable}]` : reachable}:${port}`;
}

async function install(inv: Invocation, host: ServiceHost): Promise<number> {
  const o = serviceOptions(inv, host);
  const unit = controllerUnit(o);
  if (inv.options['dry-run'] === true) {
    inv.io.out(unit.trimEnd());
    return 0;
  }
  if (!host.hasSystemd()) {
    inv.io.err('drover: this host does not run systemd (no /run/systemd/system); nothing was installed. Run the controller under your service manager with:');
    inv.io.out(serveArgv(o).map(shellWord).join(' '));
    inv.io.err(`then mint the first admin token with: drover controller token create --scope admin --data-dir ${o.dataDir}`);
    return 1;
  }
  const unitPath = join(host.unitDir, CONTROLLER_UNIT_NAME);
  if (!host.isRoot()) throw new UserError(`writing ${unitPath} needs root: run it again with sudo`);

  const { ensurePrivateDir } = await import('../../store/secure-file.js');
  const { operatorFingerprint } = await import('../../auth/controller-identity.js');
  ensurePrivateDir(o.dataDir);
  // Made now rather than at the service's first start, so the fingerprint can be printed here.
  const fingerprint = operatorFingerprint(o.dataDir);
  if (fingerprint === null) throw new UserError(`the controller running on ${o.dataDir} serves --tls-cert; install manages self-signed controllers only`);
  const token = await mintFirstAdminToken(o.dataDir);
  host.writeUnit(unitPath, unit);
  host.systemctl(['daemon-reload']);
  host.systemctl(['enable', CONTROLLER_UNIT_NAME]);
  host.systemctl(['restart', CONTROLLER_UNIT_NAME]);

  inv.io.err(`wrote ${unitPath}; ${CONTROLLER_UNIT_NAME} is enabled and started (systemctl status drover-controller; journalctl -u drover-controller)`);
  inv.io.err(`TLS public-key fingerprint: ${fingerprint}`);
  if (token === null) {
    inv.io.err(`the first admin token was shown when the controller was installed; mint another with: drover controller token create --scope admin --data-dir ${o.dataDir}`);
    return 0;
  }
  inv.io.out(token);
  inv.io.err('that is the first admin token, shown only once. On your machine:');
  inv.io.err(`  drover login ${loginUrl(o)} --fingerprint ${fingerprint} --token <token>`);
  return 0;
}

/** An admin token named FIRST_ADMIN_TOKEN, unless one was minted before (then null: it is never shown twice). */
async function mintFirstAdminToken(dataDir: string): Promise<string | null> {
  const { SqliteStore } = await import('../../store/sqlite-store.js');
  const { createOperatorToken } = await import('../../auth/operator-token.js');
  const store = new SqliteStore(dataDir);
  try {
    if (store.listOperatorTokens().some((t) => t.name === FIRST_ADMIN_TOKEN)) return null;
    return createOperatorToken(store, { scope: 'admin', name: FIRST_ADMIN_TOKEN, ttlSeconds: null }).secret;
  } finally {
    store.close();
  }
}

async function backup(inv: Invocation): Promise<number> {
  const dataDir = dataDirOf(inv);
  const { backupDataDir } = await import('../../store/data-dir-backup.js');
  const m = await backupDataDir(dataDir, inv.args[0]!);
  inv.io.out(`backed up controller ${m.controllerId} (schema ${m.schemaVersion}: ${m.files.join(', ')}) from ${dataDir} to ${inv.args[0]!}`);
  return 0;
}

async function restore(inv: Invocation): Promise<number> {
  const dataDir = dataDirOf(inv);
  const { restoreDataDir } = await import('../../store/data-dir-backup.js');
  const m = restoreDataDir(inv.args[0]!, dataDir, { force: inv.options.force === true });
  inv.io.out(`restored controller ${m.controllerId}${m.fingerprint ? ` (TLS fingerprint ${m.fingerprint})` : ''}, backed up at ${m.createdAt}, into ${dataDir}`);
  inv.io.err(`start it: systemctl start drover-controller, or drover controller serve --data-dir ${dataDir}`);
  return 0;
}

const SERVICE_OPTIONS = {
  listen: { type: 'string', value: 'HOST:PORT', description: `Where the controller listens (default ${DEFAULT_LISTEN})` },
  'public-url': { type: 'string', value: 'URL', description: 'The URL agents and install scripts use to reach this controller' },
  'data-dir': DATA_DIR,
  'dry-run': { type: 'boolean', description: 'Print the systemd unit and change nothing' },
} as const;

export function controllerServiceCommands(host: () => ServiceHost = realServiceHost): CommandSpec[] {
  return [
    {
      name: 'install',
      summary: 'Run the controller as a systemd service (data dir 0700); prints its fingerprint and a first admin token once',
      kamalGlobals: false,
      options: { ...SERVICE_OPTIONS },
      run: (inv) => install(inv, host()),
    },
    {
      name: 'backup',
      summary: 'Write the controller state (a consistent database snapshot and the keys) to FILE (0600), while it runs',
      usage: 'FILE',
      args: { min: 1, max: 1 },
      kamalGlobals: false,
      options: { 'data-dir': DATA_DIR },
      run: backup,
    },
    {
      name: 'restore',
      summary: 'Unpack a backup into the data dir (stopped controller; an empty dir unless --force)',
      usage: 'FILE',
      args: { min: 1, max: 1 },
      kamalGlobals: false,
      options: { 'data-dir': DATA_DIR, force: { type: 'boolean', description: 'Replace the controller state already in the data dir' } },
      run: restore,
    },
  ];
}
