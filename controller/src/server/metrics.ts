import { OPERATION_FAILED } from '@drover/shared/operations/failure';
import { RpcError, RpcErrorCode } from '@drover/shared/protocol';

/**
 * The `outcome` label values of drover_rpcs_total. The error code of a failed RPC comes from the agent,
 * so a code outside this set counts as `other`: a hostile agent cannot grow the label set.
 */
export const RPC_OUTCOMES: ReadonlySet<string> = new Set(['ok', 'error', 'other', OPERATION_FAILED, ...Object.values(RpcErrorCode)]);

/** A failed RPC's outcome label: its code when it is a known one, `other` when not, `error` for a non-RPC error. */
export function rpcFailureOutcome(err: unknown): string {
  if (!(err instanceof RpcError)) return 'error';
  return RPC_OUTCOMES.has(err.code) && err.code !== 'ok' ? err.code : 'other';
}

/** Counters and gauges for `/metrics`, in Prometheus text format; no client library needed. */
export class Metrics {
  agentsOnline = 0;
  connectionsOpen = 0;
  connectionsTotal = 0;
  handshakesOk = 0;
  readonly handshakeFailures = new Map<string, number>();
  readonly rpcs = new Map<string, number>();
  protocolErrors = 0;
  enrollments = 0;
  enrollmentFailures = 0;
  heartbeatTimeouts = 0;

  inc(map: Map<string, number>, key: string): void {
    map.set(key, (map.get(key) ?? 0) + 1);
  }

  rpcSucceeded(): void {
    this.inc(this.rpcs, 'ok');
  }

  rpcFailed(err: unknown): void {
    this.inc(this.rpcs, rpcFailureOutcome(err));
  }

  render(extra: { agentsEnrolled: number }): string {
    const lines: string[] = [];
    const gauge = (name: string, help: string, v: number) => lines.push(`# HELP ${name} ${help}`, `# TYPE ${name} gauge`, `${name} ${v}`);
    const counter = (name: string, help: string, v: number | Map<string, number>, label?: string) => {
      lines.push(`# HELP ${name} ${help}`, `# TYPE ${name} counter`);
      if (typeof v === 'number') lines.push(`${name} ${v}`);
      else for (const [k, n] of v) lines.push(`${name}{${label}="${k.replace(/["\\\n]/g, '_')}"} ${n}`);
    };
    gauge('drover_agents_online', 'Agents with an authenticated connection.', this.agentsOnline);
    gauge('drover_agents_enrolled', 'Enrolled, not revoked agents.', extra.agentsEnrolled);
    gauge('drover_agent_connections_open', 'Open agent websockets, authenticated or not.', this.connectionsOpen);
    counter('drover_agent_connections_total', 'Agent websockets accepted.', this.connectionsTotal);
    counter('drover_agent_handshakes_total', 'Successful agent authentications.', this.handshakesOk);
    counter('drover_agent_handshake_failures_total', 'Rejected agent connections by reason.', this.handshakeFailures, 'reason');
    counter('drover_rpcs_total', 'RPCs to agents by outcome.', this.rpcs, 'outcome');
    counter('drover_protocol_errors_total', 'Malformed frames received from agents.', this.protocolErrors);
    counter('drover_enrollments_total', 'Successful enrollments.', this.enrollments);
    counter('drover_enrollment_failures_total', 'Refused enrollments.', this.enrollmentFailures);
    counter('drover_heartbeat_timeouts_total', 'Connections closed after missing pongs.', this.heartbeatTimeouts);
    return lines.join('\n') + '\n';
  }
}
