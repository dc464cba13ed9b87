import { UserError } from '@drover/shared';

/** `drover controller install`: what it writes, as pure functions of its options (tested to the byte). */
export const CONTROLLER_UNIT_NAME = 'drover-controller.service';
export const SYSTEMD_UNIT_DIR = '/etc/systemd/system';
export const DEFAULT_LISTEN = '0.0.0.0:7443';
export const DEFAULT_DATA_DIR = '/var/lib/drover';

export interface ControllerServiceOptions {
  /** Absolute path of the node binary that runs the controller. */
  node: string;
  /** Absolute path of the `drover` script (dist/drover/main.js). */
  drover: string;
  listen: string;
  dataDir: string;
  publicUrl: string | null;
}

/** `drover controller serve …` as argv; the unit runs exactly this, and hosts without systemd are told to. */
export function serveArgv(o: ControllerServiceOptions): string[] {
  return [o.node, o.drover, 'controller', 'serve', '--listen', o.listen, '--data-dir', o.dataDir, ...(o.publicUrl ? ['--public-url', o.publicUrl] : [])];
}

const PLAIN_WORD = /^[A-Za-z0-9_@+=:,./-]+$/;

/** One ExecStart word as systemd reads it: double quotes, backslash escapes, and specifiers (%) and variables ($) doubled. */
export function systemdWord(word: string): string {
  if (/[\0-\x1f\x7f]/.test(word)) throw new UserError(`cannot put ${JSON.stringify(word)} in a systemd unit: it holds a control character`);
  if (PLAIN_WORD.test(word)) return word;
  return `"${word.replace(/[\\"]/g, (c) => `\\${c}`).replace(/%/g, '%%').replace(/\$/g, '$$$$')}"`;
}

/** A POSIX shell word, for the command printed to people without systemd. */
export function shellWord(word: string): string {
  return PLAIN_WORD.test(word) ? word : `'${word.replace(/'/g, `'\\''`)}'`;
}

/**
 * The unit. Root runs it (the data dir is root's, 0700, and the controller may listen on 443);
 * the hardening below keeps it from writing outside its data dir and /tmp, which it never needs.
 */
export function controllerUnit(o: ControllerServiceOptions): string {
  return [
    '# Written by `drover controller install`; run it again to change these options.',
    '[Unit]',
    'Description=Drover controller',
    'Wants=network-online.target',
    'After=network-online.target',
    '',
    '[Service]',
    'Type=simple',
    `ExecStart=${serveArgv(o).map(systemdWord).join(' ')}`,
    'Restart=always',
    'RestartSec=2',
    'TimeoutStopSec=30',
    'UMask=0077',
    'LimitNOFILE=65536',
    'NoNewPrivileges=yes',
    'PrivateTmp=yes',
    'ProtectSystem=strict',
    `ReadWritePaths=${systemdWord(o.dataDir)}`,
    '',
    '[Install]',
    'WantedBy=multi-user.target',
    '',
  ].join('\n');
}
