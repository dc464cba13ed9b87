import { BlockList, isIP, type Server, type Socket } from 'node:net';
import type { FastifyBaseLogger } from 'fastify';
import { AddressRateLimiter, type RateLimit } from './address-rate-limit.js';
import { FailureLog, type FailureKind } from './failure-log.js';

/** What the controller's listener allows a client; defaults below, a few are `controller serve` flags. */
export interface ListenerLimits {
  /** A new connection must complete its TLS handshake within this time (node's default is 120 s). */
  tlsHandshakeTimeoutMs: number;
  /** ...and send a complete request head within this time of starting it. */
  requestHeadTimeoutMs: number;
  /** Open connections from all addresses together, trusted ones included: what keeps the process alive. */
  maxConnections: number;
  /**
   * Open connections from one address that have not (yet) authenticated as an agent. An agent's
   * connection stops counting once it authenticates, so a fleet behind one NAT address is not capped,
   * while one address cannot hold more than this many silent or half-done connections.
   */
  maxConnectionsPerAddress: number;
  /** Enrollment attempts per address, successful or not (a NAT'd fleet enrolling at once fits in the burst). */
  enrollAttempts: RateLimit;
  /** Failed enrollments and agent or operator authentications per address; past it, its authentication attempts get 429. */
  failedAuth: RateLimit;
  /** Addresses or CIDR ranges exempt from the per-address limits (not from maxConnections). */
  trustedAddresses: readonly string[];
}

/**
 * Loopback is trusted by default: it is the controller's own host (the benchmark's 10,000 agents, a
 * TLS-terminating sidecar with --insecure-http), and its limits belong to whatever sits in front.
 */
export const DEFAULT_LISTENER_LIMITS: Readonly<ListenerLimits> = {
  // Not 10 s: in a 10,000-agent reconnect storm on two cores (~10 s, BENCHMARKS.md) handshakes wait their turn.
  tlsHandshakeTimeoutMs: 20_000,
  requestHeadTimeoutMs: 10_000,
  maxConnections: 20_000,
  maxConnectionsPerAddress: 256,
  enrollAttempts: { burst: 120, perMinute: 120 },
  failedAuth: { burst: 30, perMinute: 30 },
  trustedAddresses: ['127.0.0.0/8', '::1'],
};

/** A refused attempt: answered 429 with Retry-After. */
export interface Refusal {
  retryAfterSeconds: number;
  message: string;
}

/** `a.b.c.d`, `a.b.c.d/n`, IPv6 alike, comma-separated; `none` for no trusted address. Throws a one-line error. */
export function parseTrustedAddresses(text: string): string[] {
  if (text.trim() === 'none') return [];
  const entries = text.split(',').map((e) => e.trim()).filter((e) => e !== '');
  for (const entry of entries) toSubnet(entry);
  return entries;
}

function toSubnet(entry: string): { network: string; prefix: number; type: 'ipv4' | 'ipv6' } {
  const [network = '', prefixText, extra] = entry.split('/');
  const version = isIP(network);
  const bits = version === 6 ? 128 : 32;
  const prefix = prefixText === undefined ? bits : Number(prefixText);
  if (version === 0 || extra !== undefined || !Number.isInteger(prefix) || prefix < 0 || prefix > bits || prefixText === '') {
    throw new Error(`trusted address "${entry}": expected an IP address or CIDR range such as 10.0.0.0/8`);
  }
  return { network, prefix, type: version === 6 ? 'ipv6' : 'ipv4' };
}

/** `::ffff:10.0.0.1` (an IPv4 client on a dual-stack socket) is 10.0.0.1. */
export function normalizeAddress(address: string | undefined): string {
  if (!address) return 'unknown';
  return address.startsWith('::ffff:') && isIP(address.slice(7)) === 4 ? address.slice(7) : address;
}

/** node:https options that bound how long a connection may take before it is a request. */
export function listenerTimeouts(limits: ListenerLimits): { handshakeTimeout: number; headersTimeout: number; connectionsCheckingInterval: number } {
  return {
    handshakeTimeout: limits.tlsHandshakeTimeoutMs,
    headersTimeout: limits.requestHeadTimeoutMs,
    // node:http looks for expired heads every 30 s by default, which would triple the limit.
    connectionsCheckingInterval: Math.max(100, Math.min(1000, Math.floor(limits.requestHeadTimeoutMs / 10))),
  };
}

const peerKey = (address: string, port: number | undefined): string => `${address}|${port ?? ''}`;

/** Counts connections and attempts per address and says which to refuse. */
export class ConnectionLimits {
  readonly failures: FailureLog;
  private readonly trusted = new BlockList();
  private open = 0;
  private readonly unauthenticated = new Map<string, number>();
  private readonly peers = new Map<string, { address: string; counted: boolean }>();
  private readonly enrollAttempts: AddressRateLimiter;
  private readonly failedAuth: AddressRateLimiter;
  private readonly sweeper: NodeJS.Timeout;

  constructor(private readonly limits: ListenerLimits, log: FastifyBaseLogger) {
    for (const entry of limits.trustedAddresses) {
      const { network, prefix, type } = toSubnet(entry);
      this.trusted.addSubnet(network, prefix, type);
    }
    this.failures = new FailureLog(log);
    this.enrollAttempts = new AddressRateLimiter(limits.enrollAttempts);
    this.failedAuth = new AddressRateLimiter(limits.failedAuth);
    this.sweeper = setInterval(() => { this.enrollAttempts.sweep(); this.failedAuth.sweep(); }, 60_000);
    this.sweeper.unref();
  }

  /** Counts the server's connections; one over a limit is closed at once, before TLS: nothing can be answered yet. */
  attach(server: Server): void {
    server.on('connection', (socket: Socket) => this.onConnection(socket));
  }

  /** An agent authenticated on this socket: it no longer counts against its address. */
  markAuthenticated(socket: { remoteAddress?: string; remotePort?: number }): void {
    const peer = this.peers.get(peerKey(normalizeAddress(socket.remoteAddress), socket.remotePort));
    if (peer?.counted) this.uncount(peer);
  }

  /** An enrollment request: refused when the address is over its attempt or failure budget. */
  refuseEnrollment(rawAddress: string): Refusal | null {
    const address = normalizeAddress(rawAddress);
    if (this.isTrusted(address)) return null;
    const failed = this.refuseAuthentication(address);
    if (failed) return failed;
    if (this.enrollAttempts.take(address)) return null;
    return this.refused(address, `too many enrollment attempts from ${address}`, this.enrollAttempts);
  }

  /** An agent handshake or an operator request: refused while the address is over its failure budget. */
  refuseAuthentication(rawAddress: string): Refusal | null {
    const address = normalizeAddress(rawAddress);
    if (this.isTrusted(address) || this.failedAuth.allows(address)) return null;
    return this.refused(address, `too many failed authentication attempts from ${address}`, this.failedAuth);
  }

  /** A failed enrollment or authentication: spends the address's failure budget and is logged (rate-limited). */
  recordFailure(rawAddress: string, kind: FailureKind, reason: string): void {
    const address = normalizeAddress(rawAddress);
    const trusted = this.isTrusted(address);
    if (!trusted) this.failedAuth.take(address);
    // A trusted address (loopback by default) is where an operator debugs: every refusal is logged.
    this.failures.record(address, kind, reason, !trusted);
  }

  close(): void {
    clearInterval(this.sweeper);
    this.failures.close();
  }

  private refused(address: string, what: string, limiter: AddressRateLimiter): Refusal {
    const retryAfterSeconds = limiter.retryAfterSeconds(address);
    this.failures.record(address, 'rate limit', what);
    return { retryAfterSeconds, message: `${what}; retry in ${retryAfterSeconds} s` };
  }

  private onConnection(socket: Socket): void {
    const address = normalizeAddress(socket.remoteAddress);
    const counted = !this.isTrusted(address);
    const over = this.open >= this.limits.maxConnections
      ? `the controller holds its maximum of ${this.limits.maxConnections} connections`
      : counted && (this.unauthenticated.get(address) ?? 0) >= this.limits.maxConnectionsPerAddress
        ? `${address} holds its maximum of ${this.limits.maxConnectionsPerAddress} unauthenticated connections`
        : null;
    if (over) {
      this.failures.record(address, 'connection', over);
      socket.destroy();
      return;
    }
    const key = peerKey(address, socket.remotePort);
    const peer = { address, counted };
    this.open++;
    if (counted) this.unauthenticated.set(address, (this.unauthenticated.get(address) ?? 0) + 1);
    this.peers.set(key, peer);
    socket.once('close', () => {
      this.open--;
      if (peer.counted) this.uncount(peer);
      if (this.peers.get(key) === peer) this.peers.delete(key);
    });
  }

  private uncount(peer: { address: string; counted: boolean }): void {
    peer.counted = false;
    const left = (this.unauthenticated.get(peer.address) ?? 1) - 1;
    if (left > 0) this.unauthenticated.set(peer.address, left);
    else this.unauthenticated.delete(peer.address);
  }

  private isTrusted(address: string): boolean {
    const type = isIP(address);
    return type !== 0 && this.trusted.check(address, type === 6 ? 'ipv6' : 'ipv4');
  }
}
