import { Readable } from 'node:stream';
import type { CliIO } from './spec.js';

/** In-process I/O for command tests: captured output, a given environment and directory. */
export function bufferIO(opts: { cwd?: string; env?: NodeJS.ProcessEnv; stdin?: string } = {}): CliIO & { stdout(): string; stderr(): string } {
  let stdout = '';
  let stderr = '';
  return {
    out: (text) => { stdout += `${text}\n`; },
    err: (text) => { stderr += `${text}\n`; },
    write: (chunk) => { stdout += chunk.toString(); },
    env: opts.env ?? { PATH: process.env.PATH },
    cwd: opts.cwd ?? process.cwd(),
    stdin: Readable.from(opts.stdin === undefined ? [] : [Buffer.from(opts.stdin)]),
    terminal: null,
    stdout: () => stdout,
    stderr: () => stderr,
  };
}
