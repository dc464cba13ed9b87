import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { AgentRecord } from '../store/store.js';
import { agentNamed } from './agent-lookup.js';

const record = (id: string, name: string): AgentRecord => ({
  id, name, publicKey: 'pk', labels: {}, enrolledAt: 1, hostname: null, agentVersion: null,
  revokedAt: null, lastSeen: null, lastAddress: null, dockerVersion: null,
});

test('an id finds the agent with that id, even where an older agent was named after it', () => {
  const victim = record('agt-0123456789abcdef01234567', 'victim');
  // Enrolled before names were checked: its name is the victim's id.
  const impostor = record('agt-fedcba9876543210fedcba98', victim.id);
  const agents = [victim, impostor];
  const store = {
    getAgent: (id: string) => agents.find((a) => a.id === id) ?? null,
    getAgentByName: (name: string) => agents.find((a) => a.name === name) ?? null,
  };
  assert.equal(agentNamed(store, victim.id), victim);
  assert.equal(agentNamed(store, 'victim'), victim);
  assert.equal(agentNamed(store, 'nobody'), null);
});
