import { RIG_PREFIX } from './paths.js';

/**
 * Addresses and names of one rig (a slot), computed without touching the system.
 *
 *   root namespace (operator side, OPERATOR_ADDRESS)
 *     └─ <p>w0 10.210.S.1/24 ── wan0 10.210.S.2/24  gateway namespace  <p>-gw
 *                                   (MASQUERADE out, new inbound dropped, chosen ports forwarded)
 *                               lan0 10.211.S.1/24 (bridge)
 *                                 ├─ eth0 10.211.S.10  host namespace <p>-<host-1>
 *                                 └─ eth0 10.211.S.11  host namespace <p>-<host-2>
 * A host's public address (for forwarded ports) is 10.210.S.(100+i) on the gateway's WAN side.
 */
export interface SlotTopology {
  slot: number;
  /** Name prefix for everything this rig creates: namespaces, veths, cgroups. */
  prefix: string;
  gatewayNetns: string;
  wanRootIf: string;
  wanGatewayIf: string;
  wanRootAddress: string;
  wanGatewayAddress: string;
  lanSubnet: string;
  lanGatewayAddress: string;
}

export interface HostTopology {
  name: string;
  index: number;
  netns: string;
  /** Host-side end of the veth, created in the root namespace then moved. */
  vethHost: string;
  /** Gateway-side end, attached to the gateway's LAN bridge. */
  vethGateway: string;
  lanAddress: string;
  publicAddress: string;
}

export const MAX_HOSTS_PER_RIG = 80;

export function slotTopology(slot: number): SlotTopology {
  if (!Number.isInteger(slot) || slot < 1 || slot > 250) throw new Error(`rig slot out of range: ${slot}`);
  const prefix = `${RIG_PREFIX}${slot}`;
  return {
    slot,
    prefix,
    gatewayNetns: `${prefix}-gw`,
    wanRootIf: `${prefix}w0`,
    wanGatewayIf: `${prefix}w1`,
    wanRootAddress: `10.210.${slot}.1`,
    wanGatewayAddress: `10.210.${slot}.2`,
    lanSubnet: `10.211.${slot}.0/24`,
    lanGatewayAddress: `10.211.${slot}.1`,
  };
}

const HOST_NAME = /^[a-z0-9][a-z0-9-]{0,30}$/;

export function hostTopology(slot: SlotTopology, name: string, index: number): HostTopology {
  if (!HOST_NAME.test(name)) throw new Error(`rig host name "${name}": use lowercase letters, digits and dashes (at most 31)`);
  if (index < 0 || index >= MAX_HOSTS_PER_RIG) throw new Error(`rig: at most ${MAX_HOSTS_PER_RIG} hosts per rig`);
  return {
    name,
    index,
    netns: `${slot.prefix}-${name}`,
    vethHost: `${slot.prefix}h${index}a`,
    vethGateway: `${slot.prefix}h${index}b`,
    lanAddress: `10.211.${slot.slot}.${10 + index}`,
    publicAddress: `10.210.${slot.slot}.${100 + index}`,
  };
}

/** The comment tagged on the gateway's inbound-drop rule, so a test can find and remove it. */
export const INBOUND_DROP_COMMENT = 'drover-rig: no inbound connections';

/** iptables rules of the gateway namespace, in order. */
export function gatewayFirewallRules(t: SlotTopology): string[][] {
  return [
    ['-t', 'nat', '-A', 'POSTROUTING', '-s', t.lanSubnet, '-o', 'wan0', '-j', 'MASQUERADE'],
    ['-A', 'FORWARD', '-i', 'lan0', '-o', 'wan0', '-j', 'ACCEPT'],
    ['-A', 'FORWARD', '-i', 'wan0', '-o', 'lan0', '-m', 'conntrack', '--ctstate', 'ESTABLISHED,RELATED', '-j', 'ACCEPT'],
    // Ports the operator of the "router" chose to forward (see publishRules) are DNAT'ed in PREROUTING.
    ['-A', 'FORWARD', '-i', 'wan0', '-o', 'lan0', '-m', 'conntrack', '--ctstate', 'DNAT', '-j', 'ACCEPT'],
    ['-A', 'FORWARD', '-i', 'wan0', '-o', 'lan0', '-m', 'comment', '--comment', INBOUND_DROP_COMMENT, '-j', 'DROP'],
    // Nothing on the WAN side may open connections to the gateway itself either.
    ['-A', 'INPUT', '-i', 'wan0', '-m', 'conntrack', '--ctstate', 'ESTABLISHED,RELATED', '-j', 'ACCEPT'],
    ['-A', 'INPUT', '-i', 'wan0', '-j', 'DROP'],
  ];
}

/** DNAT rules forwarding the host's public address and ports to its LAN address. */
export function publishRules(host: HostTopology, ports: readonly number[]): string[][] {
  return ports.map((port) => [
    '-t', 'nat', '-A', 'PREROUTING', '-i', 'wan0', '-d', host.publicAddress, '-p', 'tcp', '--dport', String(port),
    '-j', 'DNAT', '--to-destination', `${host.lanAddress}:${port}`,
  ]);
}
