import { run } from './exec.js';
import { createNetns, netnsPath } from './namespaces.js';
import { gatewayFirewallRules, INBOUND_DROP_COMMENT, type SlotTopology } from './topology.js';

/** Creates the NAT gateway ("the office router") between the operator side and the rig's hosts. */
export async function createGateway(t: SlotTopology): Promise<void> {
  const gw = t.gatewayNetns;
  await createNetns(gw);
  await run(['ip', 'link', 'add', t.wanRootIf, 'type', 'veth', 'peer', 'name', t.wanGatewayIf]);
  await run(['ip', 'link', 'set', t.wanGatewayIf, 'netns', gw]);
  await run(['ip', '-n', gw, 'link', 'set', t.wanGatewayIf, 'name', 'wan0']);
  await run(['ip', 'addr', 'add', `${t.wanRootAddress}/24`, 'dev', t.wanRootIf]);
  await run(['ip', 'link', 'set', t.wanRootIf, 'up']);
  await run(['ip', '-n', gw, 'addr', 'add', `${t.wanGatewayAddress}/24`, 'dev', 'wan0']);
  await run(['ip', '-n', gw, 'link', 'set', 'wan0', 'up']);
  await run(['ip', '-n', gw, 'link', 'add', 'lan0', 'type', 'bridge']);
  await run(['ip', '-n', gw, 'addr', 'add', `${t.lanGatewayAddress}/24`, 'dev', 'lan0']);
  await run(['ip', '-n', gw, 'link', 'set', 'lan0', 'up']);
  await run(['ip', '-n', gw, 'route', 'add', 'default', 'via', t.wanRootAddress]);
  await inGateway(t, ['sysctl', '-qw', 'net.ipv4.ip_forward=1']);
  for (const rule of gatewayFirewallRules(t)) await inGateway(t, ['iptables', ...rule]);
  // The operator side knows the way to the LAN, so an inbound attempt really reaches the
  // gateway and is refused by its firewall rather than by a missing route.
  await run(['ip', 'route', 'add', t.lanSubnet, 'via', t.wanGatewayAddress]);
}

function inGateway(t: SlotTopology, argv: string[]) {
  return run(['nsenter', `--net=${netnsPath(t.gatewayNetns)}`, ...argv]);
}

/** Test-only: deletes the inbound-drop rule, to show that the NAT test depends on it. */
export async function removeInboundDrop(t: SlotTopology): Promise<void> {
  await inGateway(t, ['iptables', '-D', 'FORWARD', '-i', 'wan0', '-o', 'lan0', '-m', 'comment', '--comment', INBOUND_DROP_COMMENT, '-j', 'DROP']);
}
