import Database from 'better-sqlite3';
import { X509Certificate } from 'node:crypto';
import { chmodSync, closeSync, existsSync, fsyncSync, openSync, readdirSync, readFileSync, renameSync, rmSync, statSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { UserError } from '@drover/shared';
import { fingerprintOfKey } from '@drover/shared/protocol';
import { loadSigningKey } from '../auth/controller-identity.js';
import { lockDataDir } from './data-dir-lock.js';
import { ensurePrivateDir } from './secure-file.js';
import { copyTarEntry, readTarEntries, readTarEntry, TarWriter, type TarEntry } from './tar-file.js';

/**
 * `drover controller backup|restore`: one tar file (mode 0600) holding a manifest, a consistent
 * snapshot of controller.db taken with SQLite's online backup API (the controller keeps running and
 * writing), and the key files, which never change once made. Uploaded image archives (`images/`)
 * are left out: they are a cache the next `drover deploy` uploads again.
 */
export const MANIFEST = 'drover-backup.json';
const DATABASE = 'controller.db';
/** Written once at first start; the identity agents and operators pinned, and the key of sealed secrets. */
const KEY_FILES = ['controller-key.pem', 'secrets.key', 'tls/cert.pem', 'tls/key.pem'];
const REQUIRED = [DATABASE, 'controller-key.pem'];
/** What lockDataDir leaves in a data dir: not controller state. */
const LOCK_FILES = new Set(['controller.lock', 'controller.lock-journal', 'controller.lock.holder']);

export interface BackupManifest {
  format: 1;
  createdAt: string;
  controllerId: string;
  /** The self-signed certificate's key fingerprint; null when the controller runs with --tls-cert. */
  fingerprint: string | null;
  schemaVersion: number;
  files: string[];
}

export async function backupDataDir(dataDir: string, file: string): Promise<BackupManifest> {
  for (const name of REQUIRED) {
    if (!existsSync(join(dataDir, name))) throw new UserError(`${dataDir} holds no controller state (no ${name})`);
  }
  const out = resolve(file);
  if (!existsSync(dirname(out))) throw new UserError(`cannot write ${file}: no directory ${dirname(out)}`);
  if (existsSync(out) && statSync(out).isDirectory()) throw new UserError(`cannot write ${file}: it is a directory; name the backup file`);
  const snapshot = `${out}.${process.pid}.db.tmp`;
  const partial = `${out}.${process.pid}.tmp`;
  try {
    const schemaVersion = await snapshotDatabase(join(dataDir, DATABASE), snapshot);
    const keyFiles = KEY_FILES.filter((name) => existsSync(join(dataDir, name)));
    const manifest: BackupManifest = {
      format: 1, createdAt: new Date().toISOString(), controllerId: loadSigningKey(dataDir).controllerId,
      fingerprint: selfSignedFingerprint(dataDir), schemaVersion, files: [DATABASE, ...keyFiles],
    };
    const fd = openSync(partial, 'w', 0o600);
    try {
      const tar = new TarWriter(fd);
      tar.addBuffer(MANIFEST, Buffer.from(`${JSON.stringify(manifest, null, 2)}\n`));
      tar.addFile(DATABASE, snapshot);
      for (const name of keyFiles) tar.addFile(name, join(dataDir, name));
      tar.finish();
      fsyncSync(fd);
    } finally {
      closeSync(fd);
    }
    chmodSync(partial, 0o600);
    renameSync(partial, out);
    return manifest;
  } catch (err) {
    throw fileError(err, `cannot write ${file}`);
  } finally {
    for (const f of [partial, snapshot, `${snapshot}-journal`, `${snapshot}-wal`, `${snapshot}-shm`]) rmSync(f, { force: true });
  }
}

/** Copies the live database in one step (one read transaction: writers go on), then makes the copy a self-contained file. */
async function snapshotDatabase(source: string, target: string): Promise<number> {
  closeSync(openSync(target, 'w', 0o600));
  const live = new Database(source, { fileMustExist: true });
  try {
    live.pragma('busy_timeout = 5000');
    await live.backup(target, { progress: () => 0x7fffffff });
  } finally {
    live.close();
  }
  const copy = new Database(target, { fileMustExist: true });
  try {
    copy.pragma('journal_mode = DELETE');
    const check = copy.pragma('quick_check', { simple: true });
    if (check !== 'ok') throw new Error(`${source}: the snapshot fails SQLite's check (${String(check)})`);
    return Number((copy.prepare('SELECT MAX(version) AS v FROM schema_migrations').get() as { v: number | null }).v ?? 0);
  } finally {
    copy.close();
  }
}

function selfSignedFingerprint(dataDir: string): string | null {
  const cert = join(dataDir, 'tls', 'cert.pem');
  if (!existsSync(cert)) return null;
  return fingerprintOfKey(new X509Certificate(readFileSync(cert)).publicKey);
}

export interface RestoreOptions {
  force: boolean;
}

/** Unpacks a backup into `dataDir` while holding its lock, so no controller starts on a half-restored dir. */
export function restoreDataDir(file: string, dataDir: string, opts: RestoreOptions): BackupManifest {
  let fd: number;
  try {
    fd = openSync(file, 'r');
  } catch (err) {
    throw new UserError(`cannot read ${file}: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}`);
  }
  try {
    const { manifest, entries } = readBackup(fd, file);
    refuseNonEmpty(dataDir, opts.force);
    const lock = lockDataDir(dataDir);
    try {
      unpack(fd, entries, dataDir);
    } catch (err) {
      throw fileError(err, `cannot restore into ${dataDir}`);
    } finally {
      lock.release();
    }
    const restoredId = loadSigningKey(dataDir).controllerId;
    if (restoredId !== manifest.controllerId) throw new UserError(`${file}: its key is controller ${restoredId}, but its manifest says ${manifest.controllerId}; the backup is damaged`);
    return manifest;
  } finally {
    closeSync(fd);
  }
}

function readBackup(fd: number, file: string): { manifest: BackupManifest; entries: TarEntry[] } {
  let entries: TarEntry[];
  try {
    entries = readTarEntries(fd, file);
  } catch (err) {
    throw new UserError(`${(err as Error).message}; not a drover controller backup`);
  }
  const manifestEntry = entries.find((e) => e.name === MANIFEST);
  if (!manifestEntry) throw new UserError(`${file}: not a drover controller backup (no ${MANIFEST})`);
  let manifest: BackupManifest;
  try {
    manifest = JSON.parse(readTarEntry(fd, manifestEntry).toString('utf8')) as BackupManifest;
  } catch {
    throw new UserError(`${file}: ${MANIFEST} is not JSON`);
  }
  if (manifest.format !== 1) throw new UserError(`${file}: backup format ${String(manifest.format)} is not one this drover reads (1)`);
  const allowed = new Set([MANIFEST, DATABASE, ...KEY_FILES]);
  const stray = entries.find((e) => !allowed.has(e.name));
  if (stray) throw new UserError(`${file}: unexpected file "${stray.name}" in a controller backup`);
  const missing = REQUIRED.find((name) => !entries.some((e) => e.name === name));
  if (missing) throw new UserError(`${file}: the backup has no ${missing}`);
  return { manifest, entries: entries.filter((e) => e !== manifestEntry) };
}

function refuseNonEmpty(dataDir: string, force: boolean): void {
  if (!existsSync(dataDir) || force) return;
  const present = readdirSync(dataDir).filter((name) => !LOCK_FILES.has(name));
  if (present.length > 0) throw new UserError(`data dir ${dataDir} is not empty (${present.slice(0, 4).join(', ')}${present.length > 4 ? ', …' : ''}); --force replaces its controller state`);
}

/** Writes every file beside its place first, then swaps them in; a stale WAL must never meet the restored database. */
function unpack(fd: number, entries: TarEntry[], dataDir: string): void {
  ensurePrivateDir(dataDir);
  ensurePrivateDir(join(dataDir, 'tls'));
  const staged: [string, string][] = [];
  try {
    for (const entry of entries) {
      const target = join(dataDir, entry.name);
      const tmp = `${target}.restore.tmp`;
      const out = openSync(tmp, 'w', 0o600);
      staged.push([tmp, target]);
      try {
        copyTarEntry(fd, entry, out);
        fsyncSync(out);
      } finally {
        closeSync(out);
      }
    }
    const restored = new Set(entries.map((e) => e.name));
    for (const name of [...KEY_FILES.filter((n) => !restored.has(n)), `${DATABASE}-wal`, `${DATABASE}-shm`, `${DATABASE}-journal`]) rmSync(join(dataDir, name), { force: true });
    for (const [tmp, target] of staged) renameSync(tmp, target);
    syncDir(join(dataDir, 'tls'));
    syncDir(dataDir);
  } finally {
    for (const [tmp] of staged) rmSync(tmp, { force: true });
  }
}

/** A file system failure (no space, no permission) as one line; anything else as it was. */
function fileError(err: unknown, what: string): unknown {
  const code = (err as NodeJS.ErrnoException).code;
  return typeof code === 'string' && /^E[A-Z]+$/.test(code) ? new UserError(`${what}: ${code} (${(err as Error).message})`) : err;
}

function syncDir(dir: string): void {
  const fd = openSync(dir, 'r');
  try { fsyncSync(fd); } finally { closeSync(fd); }
}
