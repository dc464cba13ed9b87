import type { CliIO } from './spec.js';

/** The real process's I/O. */
export function processIO(): CliIO {
  return {
    out: (text) => process.stdout.write(`${text}\n`),
    err: (text) => process.stderr.write(`${text}\n`),
    write: (chunk) => process.stdout.write(chunk),
    env: process.env,
    cwd: process.cwd(),
    // Created on first use: most commands never read it.
    get stdin() { return process.stdin; },
    terminal: process.stdout.isTTY
      ? {
          get columns() { return process.stdout.columns; },
          get rows() { return process.stdout.rows; },
          onResize(listener) {
            process.stdout.on('resize', listener);
            return () => process.stdout.off('resize', listener);
          },
        }
      : null,
  };
}
