import { existsSync, mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { run } from './exec.js';
import { destroyHostNamespaces } from './host.js';
import { processAlive, withLock } from './lock.js';
import { listNetns, mountNsPin } from './namespaces.js';
import { stopOperator } from './operator.js';
import { MAX_SLOTS, RIG_DATA_DIR, RIG_PREFIX, RIG_RUN_DIR } from './paths.js';
import { slotTopology } from './topology.js';

const SLOTS_DIR = join(RIG_RUN_DIR, 'slots');
const ownerFile = (slot: number) => join(SLOTS_DIR, String(slot), 'owner');

/** 'keep' marks a rig left running on purpose (the demo) until `rig down`. */
type Owner = { kind: 'pid'; pid: number } | { kind: 'keep' } | { kind: 'none' };

function slotOwner(slot: number): Owner {
  try {
    const text = readFileSync(ownerFile(slot), 'utf8').trim();
    if (text === 'keep') return { kind: 'keep' };
    return { kind: 'pid', pid: Number(text) };
  } catch {
    return { kind: 'none' };
  }
}

function slotIsLive(slot: number): boolean {
  const owner = slotOwner(slot);
  return owner.kind === 'keep' || (owner.kind === 'pid' && processAlive(owner.pid));
}

/** Slots with something of theirs on the machine: a slot directory, a namespace or a veth. */
async function slotsInUse(): Promise<Set<number>> {
  const found = new Set<number>();
  mkdirSync(SLOTS_DIR, { recursive: true });
  for (const entry of readdirSync(SLOTS_DIR)) if (/^\d+$/.test(entry)) found.add(Number(entry));
  const pattern = new RegExp(`^${RIG_PREFIX}(\\d+)[-wh]`);
  for (const ns of await listNetns()) {
    const m = ns.match(pattern);
    if (m) found.add(Number(m[1]));
  }
  const { stdout } = await run(['ip', '-o', 'link', 'show'], { check: false });
  for (const line of stdout.split('\n')) {
    const m = line.split(': ')[1]?.split('@')[0]?.match(pattern);
    if (m) found.add(Number(m[1]));
  }
  if (existsSync(RIG_DATA_DIR)) {
    for (const entry of readdirSync(RIG_DATA_DIR)) {
      const m = entry.match(new RegExp(`^${RIG_PREFIX}(\\d+)$`));
      if (m) found.add(Number(m[1]));
    }
  }
  return found;
}

/** Removes everything a slot's rig created: processes, namespaces, veths (and with them routes and firewall rules), data. */
export async function teardownSlot(slot: number): Promise<void> {
  const t = slotTopology(slot);
  const namespaces = (await listNetns()).filter((ns) => ns.startsWith(`${t.prefix}-`));
  const pins = existsSync(mountNsPin('')) ? readdirSync(mountNsPin('')).filter((p) => p.startsWith(`${t.prefix}-`) && !p.endsWith('.uts')) : [];
  for (const name of new Set([...namespaces, ...pins])) await destroyHostNamespaces(name);
  const { stdout } = await run(['ip', '-o', 'link', 'show'], { check: false });
  const vethPattern = new RegExp(`^${t.prefix}[wh]`);
  for (const line of stdout.split('\n')) {
    const ifname = line.split(': ')[1]?.split('@')[0];
    if (ifname && vethPattern.test(ifname)) await run(['ip', 'link', 'del', ifname], { check: false });
  }
  rmSync(join(RIG_DATA_DIR, t.prefix), { recursive: true, force: true });
  rmSync(join(RIG_RUN_DIR, t.prefix), { recursive: true, force: true });
  rmSync(join(SLOTS_DIR, String(slot)), { recursive: true, force: true });
}

/** Tears down the rigs whose owner died (a crashed or killed run); returns their slots. */
export async function sweepStale(): Promise<number[]> {
  const swept: number[] = [];
  for (const slot of await slotsInUse()) {
    if (slot < 1 || slot > MAX_SLOTS || slotIsLive(slot)) continue;
    await teardownSlot(slot);
    swept.push(slot);
  }
  return swept;
}

export async function liveSlots(): Promise<number[]> {
  return [...(await slotsInUse())].filter(slotIsLive).sort((a, b) => a - b);
}

/** Claims the lowest free slot for this process (or for `keep`). */
export async function allocateSlot(keep: boolean): Promise<number> {
  mkdirSync(SLOTS_DIR, { recursive: true });
  return withLock(join(RIG_RUN_DIR, 'slots.lock'), async () => {
    await sweepStale();
    const used = await slotsInUse();
    for (let slot = 1; slot <= MAX_SLOTS; slot++) {
      if (used.has(slot)) continue;
      mkdirSync(join(SLOTS_DIR, String(slot)));
      writeFileSync(ownerFile(slot), keep ? 'keep' : String(process.pid));
      return slot;
    }
    throw new Error(`rig: all ${MAX_SLOTS} slots are in use`);
  });
}

export interface OperatorRelease {
  liveSlots: () => Promise<number[]>;
  stop: () => Promise<void>;
  lockDir: string;
}

/**
 * Stops the shared operator side (build dockerd, registry) unless a rig still uses it: the demo's `down`
 * and the test suite's final `rig down` end it, a test run in progress keeps it. Decided under the lock
 * `ensureOperator` takes, and a rig claims its slot before it ensures the operator, so a run starting
 * now either counts as live here or brings the operator up again after.
 */
export async function stopOperatorUnlessShared(release: Partial<OperatorRelease> = {}): Promise<{ stopped: boolean; live: number[] }> {
  const { liveSlots: live = liveSlots, stop = stopOperator, lockDir = join(RIG_RUN_DIR, 'operator.lock') } = release;
  mkdirSync(RIG_RUN_DIR, { recursive: true });
  return withLock(lockDir, async () => {
    const slots = await live();
    if (slots.length > 0) return { stopped: false, live: slots };
    await stop();
    return { stopped: true, live: slots };
  });
}
