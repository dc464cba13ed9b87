import { PassThrough } from 'node:stream';
import type Dockerode from 'dockerode';
import type { LogSelection } from '@drover/shared/operations';
import { dockerFailure } from './docker-errors.js';
import { demuxBuffer } from './containers.js';
import type { Chunk } from './types.js';

/** The docker CLI's `--since`: a Go duration before now (`5m`, `1h30m`), an RFC 3339 date, or Unix seconds. */
export function parseSince(since: string, now = Date.now()): number {
  if (/^\d+(\.\d+)?$/.test(since)) return Math.floor(Number(since));
  const units: Record<string, number> = { ms: 0.001, s: 1, m: 60, h: 3600 };
  const parts = [...since.matchAll(/(\d+(?:\.\d+)?)(ms|s|m|h)/g)];
  if (parts.length > 0 && parts.map((m) => m[0]).join('') === since) {
    const seconds = parts.reduce((sum, m) => sum + Number(m[1]) * units[m[2]!]!, 0);
    return Math.floor(now / 1000 - seconds);
  }
  const date = Date.parse(since);
  if (Number.isNaN(date)) throw new Error(`--since ${since}: expected a duration (5m), a date (2024-01-02T03:04:05Z) or Unix seconds`);
  return Math.floor(date / 1000);
}

/** Kamal's `| grep [options] 'x'`: plain text, `-i` ignores case, `-v` inverts, `-E` regexp. */
export function lineFilter(grep: string | null, options: string | null): (line: string) => boolean {
  if (grep === null) return () => true;
  const flags = options ?? '';
  const ignoreCase = /(^|\s)-\w*i/.test(flags);
  const invert = /(^|\s)-\w*v/.test(flags);
  const regex = /(^|\s)-\w*E/.test(flags) ? new RegExp(grep, ignoreCase ? 'i' : '') : null;
  const needle = ignoreCase ? grep.toLowerCase() : grep;
  return (line) => {
    const hit = regex ? regex.test(line) : (ignoreCase ? line.toLowerCase() : line).includes(needle);
    return hit !== invert;
  };
}

/**
 * `docker logs <container> [--since] [--tail] [--timestamps] [--follow] 2>&1 [| grep]`, one emitted chunk
 * per line. Following stops when the caller aborts.
 */
export async function streamLogs(docker: Dockerode, container: string, sel: LogSelection, host: string, emit: (c: Chunk) => void | Promise<void>, signal: AbortSignal): Promise<number> {
  const keep = lineFilter(sel.grep, sel.grepOptions);
  const base = { stdout: true, stderr: true, timestamps: sel.timestamps, ...(sel.since ? { since: parseSince(sel.since) } : {}), ...(sel.lines !== null ? { tail: sel.lines } : {}) };
  const c = docker.getContainer(container);
  let tty = false;
  try {
    tty = (await c.inspect()).Config.Tty;
  } catch (e) {
    throw dockerFailure(`docker logs ${container}`, host, e);
  }
  let count = 0;
  let partial = '';
  const onText = async (text: string, final = false) => {
    const lines = (partial + text).split('\n');
    partial = final ? '' : lines.pop()!;
    for (const line of lines) {
      if (line === '' && final) continue;
      if (keep(line)) { count++; await emit(`${line}\n`); }
    }
  };
  if (!sel.follow) {
    const buf = (await c.logs({ ...base, follow: false })) as unknown as Buffer;
    await onText((tty ? buf : demuxBuffer(buf)).toString('utf8'), true);
    return count;
  }
  const stream = (await c.logs({ ...base, follow: true, abortSignal: signal })) as unknown as NodeJS.ReadableStream;
  const merged = new PassThrough();
  if (tty) stream.pipe(merged);
  else docker.modem.demuxStream(stream, merged, merged);
  await new Promise<void>((resolve, reject) => {
    const finish = () => resolve();
    signal.addEventListener('abort', () => { (stream as unknown as { destroy?: () => void }).destroy?.(); finish(); }, { once: true });
    let chain = Promise.resolve();
    merged.on('data', (b: Buffer) => { chain = chain.then(() => onText(b.toString('utf8'))); });
    stream.on('end', () => { void chain.then(() => onText('', true)).then(finish, reject); });
    stream.on('error', (e: Error) => (signal.aborted ? finish() : reject(e)));
  });
  return count;
}
