import { chmod, chown, mkdir, rm, writeFile } from 'node:fs/promises';
import { dirname, isAbsolute, resolve } from 'node:path';
import { UserError } from '@drover/shared';

/** Writes a file (creating its directory), with the mode applied even when the file existed. */
export async function writeHostFile(path: string, content: string | Buffer, mode: number, what: string): Promise<void> {
  try {
    await mkdir(dirname(path), { recursive: true });
    await writeFile(path, content, { mode });
    await chmod(path, mode);
  } catch (e) {
    throw new UserError(`cannot write ${what} ${path}: ${(e as Error).message}`, { cause: e });
  }
}

export async function makeDirectory(path: string, what: string): Promise<void> {
  try {
    await mkdir(path, { recursive: true });
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
