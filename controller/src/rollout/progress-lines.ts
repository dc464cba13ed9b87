// The per-host progress lines of a rollout (`web-1: sample-app-web-V healthy, stopped …`), from an operation and its result.
import type { OperationName } from '@drover/shared/operations';
import type { OpCall } from '../plan/types.js';

/** The per-host progress line for a finished operation. */
export function describe(call: OpCall, result: unknown): string {
  const r = result as Record<string, unknown> | null;
  switch (call.op) {
    case 'registry.login': return `logged in to ${call.params.registry.server ?? 'Docker Hub'}`;
    case 'image.pull': return `pulled ${call.params.image}`;
    case 'image.load': return `loaded ${call.params.image} (sent through the controller)`;
    case 'proxy.boot': return `kamal-proxy ${String(r?.action ?? 'running')}`;
    case 'app.stale_containers': {
      const stopped = (r?.stopped as string[] | undefined) ?? [];
      const found = (r?.containers as string[] | undefined) ?? [];
      if (stopped.length) return `stopped stale ${stopped.join(', ')}`;
      return found.length ? `detected stale ${found.join(', ')} (use \`drover app stale_containers --stop\` to stop)` : `no stale ${call.params.role} containers`;
    }
    case 'app.boot': {
      const name = (r?.container as { name?: string } | undefined)?.name ?? call.params.role;
      const stopped = (r?.stopped as string[] | undefined) ?? [];
      return `${name} ${String(r?.status ?? 'booted')}${stopped.length ? `, stopped ${stopped.join(', ')}` : ''}`;
    }
    case 'image.tag': return `tagged ${call.params.tag}`;
    // A skipped boot is also reported once for all hosts (Kamal's `Skipping booting …` line).
    case 'accessory.boot': return `${call.params.accessoryService} ${r?.action === 'skipped' ? 'already exists, skipped' : 'booted'}`;
    case 'accessory.reboot': return `${call.params.accessoryService} rebooted`;
    case 'proxy.reboot': return 'kamal-proxy rebooted';
    case 'prune.containers': case 'prune.images': {
      const removed = (r?.removed as string[] | undefined) ?? [];
      return `${call.op === 'prune.images' ? 'pruned images' : 'pruned containers'}${removed.length ? `: ${removed.length} removed` : ''}`;
    }
    case 'prune.all': {
      const removed = [...((r?.containers as string[] | undefined) ?? []), ...((r?.images as string[] | undefined) ?? [])];
      return `pruned containers and images${removed.length ? `: ${removed.length} removed` : ''}`;
    }
    default: return describeChange(call.op, r);
  }
}

const CHANGED: Partial<Record<OperationName, string>> = {
  'app.start': 'started', 'app.stop': 'stopped', 'app.remove': 'removed',
  'proxy.start': 'started', 'proxy.stop': 'stopped', 'proxy.remove': 'removed',
  'accessory.start': 'started', 'accessory.stop': 'stopped', 'accessory.restart': 'restarted', 'accessory.remove': 'removed',
};

/** Operations answering with changed containers and the agent's messages (`app.stop`, `proxy.remove`, `app.live`, …). */
function describeChange(op: OperationName, r: Record<string, unknown> | null): string {
  const containers = (r?.containers as string[] | undefined) ?? [];
  const messages = (r?.messages as string[] | undefined) ?? [];
  const verb = CHANGED[op];
  if (!verb) return messages.join('; ') || `${op} done`;
  const changed = containers.length ? `${verb} ${containers.join(', ')}` : messages.length ? null : `nothing ${verb}`;
  return [changed, ...messages].filter((x) => x !== null).join('; ');
}
