import { chmodSync, mkdirSync, writeFileSync } from 'node:fs';
import { chown, realpath, rm } from 'node:fs/promises';
import { dirname, isAbsolute, resolve } from 'node:path';
import { UserError } from '@drover/shared';

/*
 * Host files (env files, error pages, certificates, accessory files, the audit log) are small and never
 * fsynced, so they are written with synchronous calls: microseconds each, where every thread-pool round trip
 * of fs/promises waits for the event loop to be scheduled again, milliseconds on a host whose CPUs a deploy
 * keeps busy (a boot's env file and audit line took 2–49 ms that way on the rig at 6 hosts).
 */

/** Writes a file (creating its directory), with the mode applied even when the file existed. */
export async function writeHostFile(path: string, content: string | Buffer, mode: number, what: string): Promise<void> {
  try {
    mkdirSync(dirname(path), { recursive: true });
    writeFileSync(path, content, { mode });
    chmodSync(path, mode);
  } catch (e) {
    throw new UserError(`cannot write ${what} ${path}: ${(e as Error).message}`, { cause: e });
  }
}

export async function makeDirectory(path: string, what: string): Promise<void> {
  try {
    mkdirSync(path, { recursive: true });
  } catch (e) {
    throw new UserError(`cannot create ${what} ${path}: ${(e as Error).message}`, { cause: e });
  }
}

export async function removePath(path: string): Promise<void> {
  await rm(path, { recursive: true, force: true });
}

/** `uid[:gid]` ownership, as Kamal's `chown -R`. */
export async function applyOwner(path: string, owner: string | null): Promise<void> {
  if (!owner) return;
  const [uid, gid = uid] = owner.split(':').map(Number);
  await chown(path, uid!, gid!);
}

/** A host path from the controller: relative paths are under the home (Kamal's `$PWD`); `..` may not climb out of it. */
export function homePath(home: string, path: string): string {
  const expanded = path.replace(/^\$\{?PWD\}?(?=\/|$)/, home);
  if (isAbsolute(expanded)) return expanded;
  const full = resolve(home, expanded);
  if (!full.startsWith(`${resolve(home)}/`)) throw new UserError(`path ${path} leaves the deploy directory ${home}`);
  return full;
}

const isWithin = (root: string, path: string): boolean => path === root || path.startsWith(`${root}/`);

/**
 * What `accessory.remove` may delete for `removePaths`: the accessory's own directory under the home
 * (Kamal's `rm -rf <accessory service>`, where its files and directories live) or something inside it.
 * Anything else, absolute or climbing out with `..`, is refused before anything is removed.
 */
export function accessoryOwnPath(home: string, accessoryService: string, path: string): string {
  if (!/^[A-Za-z0-9][A-Za-z0-9_.-]*$/.test(accessoryService)) throw new UserError(`accessory.remove: ${JSON.stringify(accessoryService)} is not an accessory service name`);
  const root = resolve(home, accessoryService);
  const full = resolve(home, path.replace(/^\$\{?PWD\}?(?=\/|$)/, home));
  if (!isWithin(root, full)) throw new UserError(`accessory.remove: refusing to remove ${path}: only the accessory's own directory ${root} and what is under it may be removed`);
  return full;
}

/**
 * Removes `removePaths` of an accessory, each checked by accessoryOwnPath first. A symlink inside the
 * accessory's directory that leads out of it is refused rather than followed.
 */
export async function removeAccessoryPaths(home: string, accessoryService: string, paths: readonly string[]): Promise<void> {
  const targets = paths.map((path) => accessoryOwnPath(home, accessoryService, path));
  const root = resolve(home, accessoryService);
  // Where the directory really is when no link is involved; the home itself may be a link (e.g. /root → /data/root).
  const realRoot = resolve(await realpath(home).catch(() => home), accessoryService);
  for (const target of targets) {
    const realParent = target === root ? null : await realpath(dirname(target)).catch(() => null);
    if (realParent !== null && !isWithin(realRoot, realParent)) throw new UserError(`accessory.remove: refusing to remove ${target}: it is reached through a link out of ${root}`);
  }
  for (const target of targets) await removePath(target);
}
