// Automatic rollback (`x-drover/auto_rollback`, issue 12): after a boot group failed its health gate, the
// containers that had already switched go back to the version they ran before. Pure, like the planner:
// the runner says which containers switched, this says what to call.
import { UserError } from '@drover/shared';
import type { ResolvedConfig } from '@drover/shared/config';
import * as P from './op-params.js';
import type { HostTask, PlanCommand, SubmittedAssets } from './types.js';

/** Commands that boot a new version over a running one: their failures can be rolled back, and they take a canary. */
export const NEW_VERSION_COMMANDS: ReadonlySet<PlanCommand> = new Set<PlanCommand>(['deploy', 'redeploy', 'setup']);

/** One role's container that became healthy at the new version, and the version that ran before on that host. */
export interface SwitchedContainer {
  host: string;
  role: string;
  previousVersion: string;
}

export interface RollbackInput {
  /** The deployment's config (same files and destination) at another version. */
  configAt(version: string): ResolvedConfig;
  /** The secret values that version was deployed with. */
  secretsFor(version: string): P.Secrets;
  assets: SubmittedAssets;
  performer: string;
}

/**
 * Kamal's `rollback` on exactly the containers that switched: a boot of the previous version per role
 * (its container comes back and is registered with kamal-proxy again, then the new one is stopped),
 * hosts in parallel, each host's roles in Kamal's order (the primary role first). No hooks run.
 */
export function planAutomaticRollback(input: RollbackInput, switched: SwitchedContainer[]): HostTask[] {
  const configs = new Map<string, ResolvedConfig>();
  const configAt = (version: string) => configs.get(version) ?? configs.set(version, input.configAt(version)).get(version)!;
  const hosts = [...new Set(switched.map((s) => s.host))];
  return hosts.map((host) => ({
    host,
    calls: switched
      .filter((s) => s.host === host)
      .sort((a, b) => roleRank(configAt(a.previousVersion), a.role) - roleRank(configAt(b.previousVersion), b.role))
      .map((s) => {
        const config = configAt(s.previousVersion);
        const role = config.roles.find((r) => r.name === s.role);
        if (!role) throw new UserError(`servers/${s.role}: no such role at version ${s.previousVersion}`);
        return { op: 'app.boot', params: P.appBootParams(config, role, host, input.secretsFor(s.previousVersion), input.assets, input.performer) } as const;
      }),
  }));
}

/** Kamal's role order: the primary role first, then by name. */
function roleRank(config: ResolvedConfig, role: string): number {
  const names = config.roles.map((r) => r.name).sort();
  return role === config.primaryRole ? -1 : names.indexOf(role);
}
