import { createCipheriv, createDecipheriv, createSecretKey, randomBytes, type KeyObject } from 'node:crypto';
import { closeSync, fsyncSync, linkSync, openSync, readFileSync, statSync, unlinkSync, type Stats } from 'node:fs';
import { join } from 'node:path';
import { z } from 'zod';
import { ensurePrivateDir, writeSecretFile } from './secure-file.js';

const KEY_FILE = 'secrets.key';
const KEY_BYTES = 32;
const IV_BYTES = 12;
const TAG_BYTES = 16;
/** Sealed layout, format 1: [0x01][12-byte IV][16-byte GCM tag][ciphertext of the JSON object]; the header byte is authenticated (AAD). */
const FORMAT_V1 = 0x01;
const HEADER_BYTES = 1 + IV_BYTES + TAG_BYTES;

const Values = z.record(z.string());

/** One message for every failure, so nothing about the data (or how close a guess came) leaks. */
const CANNOT_DECRYPT = 'secrets: cannot decrypt (wrong key or corrupted data)';

function errno(err: unknown): string | undefined {
  return (err as NodeJS.ErrnoException | null)?.code;
}

/** Reads and checks the key file; `undefined` when it does not exist. */
function readKey(path: string): Buffer | undefined {
  let st: Stats;
  try {
    st = statSync(path);
  } catch (err) {
    if (errno(err) === 'ENOENT') return undefined;
    throw err;
  }
  if (!st.isFile()) throw new Error(`${path}: secrets key is not a regular file`);
  if ((st.mode & 0o077) !== 0) {
    throw new Error(`${path}: secrets key is readable by others (mode ${(st.mode & 0o777).toString(8).padStart(4, '0')}); it must be 0600 (chmod 600 ${path})`);
  }
  const key = readFileSync(path);
  if (key.length !== KEY_BYTES) throw new Error(`${path}: secrets key must be ${KEY_BYTES} bytes, found ${key.length}; restore the original file`);
  return key;
}

/** Creates the key file once: a racing process that wins keeps its key, and we read that one. */
function createKey(path: string, dir: string): void {
  const tmp = `${path}.${process.pid}.${randomBytes(6).toString('hex')}.new`;
  writeSecretFile(tmp, randomBytes(KEY_BYTES));
  try {
    linkSync(tmp, path); // unlike rename, never replaces an existing key
  } catch (err) {
    if (errno(err) !== 'EEXIST') throw err;
  } finally {
    unlinkSync(tmp);
  }
  // The new directory entry must survive a crash too.
  const fd = openSync(dir, 'r');
  try {
    fsyncSync(fd);
  } finally {
    closeSync(fd);
  }
}

/**
 * Secrets at rest: AES-256-GCM with a random IV per seal, under a 32-byte key
 * kept in `<dataDir>/secrets.key` (0600, created on first open). Losing the key
 * file makes every sealed value unreadable.
 */
export class SecretBox {
  private constructor(private readonly key: KeyObject) {}

  static open(dataDir: string): SecretBox {
    ensurePrivateDir(dataDir);
    const path = join(dataDir, KEY_FILE);
    let key = readKey(path);
    if (key === undefined) {
      createKey(path, dataDir);
      key = readKey(path);
      if (key === undefined) throw new Error(`${path}: secrets key vanished right after it was created`);
    }
    const box = new SecretBox(createSecretKey(key));
    key.fill(0);
    return box;
  }

  seal(values: Record<string, string>): Buffer {
    const checked = Values.safeParse(values);
    if (!checked.success) throw new Error('secrets: can only seal an object of string values');
    const iv = randomBytes(IV_BYTES);
    const header = Buffer.of(FORMAT_V1);
    const cipher = createCipheriv('aes-256-gcm', this.key, iv, { authTagLength: TAG_BYTES });
    cipher.setAAD(header);
    const body = Buffer.concat([cipher.update(JSON.stringify(checked.data), 'utf8'), cipher.final()]);
    return Buffer.concat([header, iv, cipher.getAuthTag(), body]);
  }

  unseal(sealed: Buffer): Record<string, string> {
    if (!Buffer.isBuffer(sealed) || sealed.length < HEADER_BYTES || sealed[0] !== FORMAT_V1) throw new Error(CANNOT_DECRYPT);
    const iv = sealed.subarray(1, 1 + IV_BYTES);
    const tag = sealed.subarray(1 + IV_BYTES, HEADER_BYTES);
    let plain: Buffer;
    try {
      const decipher = createDecipheriv('aes-256-gcm', this.key, iv, { authTagLength: TAG_BYTES });
      decipher.setAAD(sealed.subarray(0, 1));
      decipher.setAuthTag(tag);
      plain = Buffer.concat([decipher.update(sealed.subarray(HEADER_BYTES)), decipher.final()]);
    } catch {
      throw new Error(CANNOT_DECRYPT);
    }
    try {
      const parsed = Values.safeParse(JSON.parse(plain.toString('utf8')));
      if (parsed.success) return parsed.data;
    } catch {
      // fall through: authenticated but not ours (cannot happen without the key)
    } finally {
      plain.fill(0);
    }
    throw new Error(CANNOT_DECRYPT);
  }
}
