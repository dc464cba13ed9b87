import { test } from 'node:test';
import assert from 'node:assert/strict';
import { gatewayFirewallRules, hostTopology, INBOUND_DROP_COMMENT, publishRules, slotTopology } from './topology.js';

test('slots get disjoint subnets and prefixed names', () => {
  const a = slotTopology(3);
  const b = slotTopology(13);
  assert.equal(a.prefix, 'drvrig3');
  assert.equal(a.lanSubnet, '10.211.3.0/24');
  assert.notEqual(a.lanSubnet, b.lanSubnet);
  assert.throws(() => slotTopology(0), /out of range/);
});

test('host names are validated and interface names fit the kernel limit', () => {
  const slot = slotTopology(200);
  const h = hostTopology(slot, 'web-1', 79);
  assert.ok(h.vethHost.length <= 15 && h.vethGateway.length <= 15);
  assert.equal(h.lanAddress, '10.211.200.89');
  assert.throws(() => hostTopology(slot, 'Web_1', 0), /lowercase/);
  assert.throws(() => hostTopology(slot, 'a', 80), /at most/);
});

test('the gateway drops new inbound connections after allowing replies and forwarded ports', () => {
  const rules = gatewayFirewallRules(slotTopology(1)).map((r) => r.join(' '));
  const drop = rules.findIndex((r) => r.includes(INBOUND_DROP_COMMENT));
  const established = rules.findIndex((r) => r.includes('ESTABLISHED,RELATED') && r.includes('FORWARD'));
  const dnat = rules.findIndex((r) => r.includes('--ctstate DNAT'));
  assert.ok(established >= 0 && dnat >= 0 && drop > established && drop > dnat);
  assert.ok(rules.some((r) => r.includes('MASQUERADE') && r.includes('10.211.1.0/24')));
});

test('publishing forwards only the chosen ports of the host\'s public address', () => {
  const slot = slotTopology(2);
  const rules = publishRules(hostTopology(slot, 'web-1', 0), [80, 443]).map((r) => r.join(' '));
  assert.deepEqual(rules, [
    '-t nat -A PREROUTING -i wan0 -d 10.210.2.100 -p tcp --dport 80 -j DNAT --to-destination 10.211.2.10:80',
    '-t nat -A PREROUTING -i wan0 -d 10.210.2.100 -p tcp --dport 443 -j DNAT --to-destination 10.211.2.10:443',
  ]);
});
