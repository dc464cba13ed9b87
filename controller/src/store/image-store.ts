import { createReadStream, createWriteStream, existsSync, fsyncSync, mkdirSync, openSync, closeSync, readdirSync, renameSync, rmSync, statSync } from 'node:fs';
import { join } from 'node:path';
import type { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { Transform } from 'node:stream';
import { UserError } from '@drover/shared';

const NAME = /^[A-Za-z0-9][A-Za-z0-9_.-]{0,127}$/;

/**
 * Images of Kamal's local registry (`registry: localhost:PORT`), uploaded by the operator as `docker save`
 * archives and streamed to the agents, since hosts behind NAT cannot reach the operator's machine.
 * `<data dir>/images/<service>/<version>.tar`, written atomically; the newest `keep` versions stay.
 */
export class ImageStore {
  private readonly root: string;

  constructor(dataDir: string, private readonly keep = 2) {
    this.root = join(dataDir, 'images');
  }

  private path(service: string, version: string): string {
    if (!NAME.test(service) || !NAME.test(version)) throw new UserError(`image archive: ${service}/${version} is not a plain service and version`);
    return join(this.root, service, `${version}.tar`);
  }

  has(service: string, version: string): boolean {
    return existsSync(this.path(service, version));
  }

  open(service: string, version: string): Readable {
    return createReadStream(this.path(service, version), { highWaterMark: 256 * 1024 });
  }

  /** Writes an archive (at most `maxBytes`), replacing the same version; then drops all but the newest versions. */
  async put(service: string, version: string, body: Readable, maxBytes: number): Promise<number> {
    const target = this.path(service, version);
    mkdirSync(join(this.root, service), { recursive: true, mode: 0o700 });
    const tmp = `${target}.${process.pid}.${Date.now()}.part`;
    let bytes = 0;
    const limit = new Transform({
      transform(chunk: Buffer, _enc, done) {
        bytes += chunk.length;
        if (bytes > maxBytes) done(new UserError(`image archive: larger than ${Math.round(maxBytes / 1024 / 1024)} MiB`));
        else done(null, chunk);
      },
    });
    try {
      await pipeline(body, limit, createWriteStream(tmp, { mode: 0o600 }));
      const fd = openSync(tmp, 'r');
      try { fsyncSync(fd); } finally { closeSync(fd); }
      renameSync(tmp, target);
    } catch (err) {
      rmSync(tmp, { force: true });
      throw err;
    }
    this.prune(service);
    return bytes;
  }

  private prune(service: string): void {
    const dir = join(this.root, service);
    const archives = readdirSync(dir).filter((f) => f.endsWith('.tar')).map((f) => ({ f, t: statSync(join(dir, f)).mtimeMs })).sort((a, b) => b.t - a.t);
    for (const { f } of archives.slice(this.keep)) rmSync(join(dir, f), { force: true });
  }
}
