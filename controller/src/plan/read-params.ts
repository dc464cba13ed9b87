// Pure builders for the operations behind Kamal's read and exec commands (`app logs`, `app exec`, …),
// which the CLI calls host by host rather than as a recorded rollout.
import type { ResolvedAccessory, ResolvedConfig, ResolvedRole } from '@drover/shared/config';
import type { OperationParams } from '@drover/shared/operations';
import { accessoryExecContainer, accessoryScope, appBootParams, registryAuth, type Secrets } from './op-params.js';

const NO_ASSETS = { errorPages: null, accessoryFiles: {} };

/** Kamal's log options: `-n` defaults to 100 (10 when following) unless `--since` or `--grep` narrows the logs. */
export interface LogOptions {
  follow: boolean;
  since: string | null;
  lines: number | null;
  grep: string | null;
  grepOptions: string | null;
  timestamps: boolean;
}

export function logSelection(o: LogOptions) {
  const lines = o.lines ?? (o.follow ? 10 : o.since || o.grep ? null : 100);
  return { follow: o.follow, since: o.since, lines, grep: o.grep, grepOptions: o.grepOptions, timestamps: o.timestamps };
}

export function listParams(config: ResolvedConfig, role: ResolvedRole | null = null): OperationParams<'containers.list'> {
  return { service: config.service, destination: config.destination, role: role?.name ?? null };
}

export function appLogsParams(config: ResolvedConfig, role: ResolvedRole, o: LogOptions, containerId: string | null): OperationParams<'containers.logs'> {
  return containerId
    ? { ...logSelection(o), container: containerId }
    : { ...logSelection(o), service: config.service, role: role.name, destination: config.destination };
}

export interface ExecOptions {
  command: string[];
  reuse: boolean;
  interactive: boolean;
  env: Record<string, string>;
  detach: boolean;
}

/** `app exec`: a new container of the role's image (with the role's env, volumes and options), or `--reuse` the running one. */
export function appExecParams(config: ResolvedConfig, role: ResolvedRole, host: string, secrets: Secrets, performer: string, o: ExecOptions): OperationParams<'app.exec'> {
  const boot = appBootParams(config, role, host, secrets, NO_ASSETS, performer);
  return {
    service: config.service, destination: config.destination, performer, role: role.name,
    version: config.version, image: config.image.ref, command: o.command, reuse: o.reuse,
    interactive: o.interactive, tty: o.interactive, env: o.env, roleEnv: boot.env, host,
    logging: boot.logging, volumes: boot.volumes, options: boot.options, detach: o.detach,
    registry: registryAuth(config.registry, secrets),
    audit: `Executed cmd '${o.command.join(' ')}' on app version ${config.version}`,
  };
}

export function accessoryLogsParams(config: ResolvedConfig, acc: ResolvedAccessory, o: LogOptions, performer: string): OperationParams<'accessory.logs'> {
  return { ...accessoryScope(config, acc, performer), ...logSelection(o) };
}

export interface AccessoryExecOptions {
  command: string[];
  interactive: boolean;
  /** In the running accessory container; otherwise a new one built from the accessory's config on `host`. */
  reuse: boolean;
  host: string;
}

export function accessoryExecParams(config: ResolvedConfig, acc: ResolvedAccessory, secrets: Secrets, performer: string, o: AccessoryExecOptions): OperationParams<'accessory.exec'> {
  return {
    ...accessoryScope(config, acc, performer), command: o.command, interactive: o.interactive, tty: o.interactive, reuse: o.reuse,
    container: o.reuse ? null : accessoryExecContainer(config, acc, o.host, secrets),
    audit: `Executed cmd '${o.command.join(' ')}' on ${acc.name} accessory`,
  };
}
