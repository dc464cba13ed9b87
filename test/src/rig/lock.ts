import { mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { sleep } from './exec.js';

/** True when a process with this pid exists (signal 0 probes without touching it). */
export function processAlive(pid: number): boolean {
  if (!Number.isInteger(pid) || pid <= 0) return false;
  try {
    process.kill(pid, 0);
    return true;
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === 'EPERM';
  }
}

export function readOwner(dir: string): number | undefined {
  try {
    return Number(readFileSync(join(dir, 'owner'), 'utf8').trim());
  } catch {
    return undefined;
  }
}

/**
 * Claims `dir` for this process: mkdir is atomic, and a directory whose owner died
 * is taken over, so a crashed run never blocks the next one.
 * Returns false if a live process holds it.
 */
export function tryClaim(dir: string): boolean {
  try {
    mkdirSync(dir);
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code !== 'EEXIST') throw e;
    const owner = readOwner(dir);
    if (owner !== undefined && !Number.isNaN(owner) && processAlive(owner)) return false;
    // Owner file missing means another process is between mkdir and write: give it a moment.
    if (owner === undefined) return false;
    rmSync(dir, { recursive: true, force: true });
    return tryClaim(dir);
  }
  writeFileSync(join(dir, 'owner'), String(process.pid));
  return true;
}

/** Runs `fn` while holding a machine-wide lock directory. */
export async function withLock<T>(dir: string, fn: () => Promise<T>, timeoutMs = 600_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let emptyOwnerSince: number | undefined;
  while (!tryClaim(dir)) {
    if (readOwner(dir) === undefined) {
      emptyOwnerSince ??= Date.now();
      if (Date.now() - emptyOwnerSince > 5_000) rmSync(dir, { recursive: true, force: true });
    } else emptyOwnerSince = undefined;
    if (Date.now() > deadline) throw new Error(`timed out waiting for lock ${dir}`);
    await sleep(100);
  }
  try {
    return await fn();
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
