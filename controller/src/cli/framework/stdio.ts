import type { CliIO } from './spec.js';

/** The real process's I/O. */
export function processIO(): CliIO {
  // `drover … | head`: a reader that goes away ends the output, not with a stack trace.
  for (const stream of [process.stdout, process.stderr]) {
    stream.on('error', (err: NodeJS.ErrnoException) => {
      if (err.code === 'EPIPE') process.exit(process.exitCode ?? 0);
      throw err;
    });
  }
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

/**
 * Ends the process once stdout and stderr have taken everything written to them (at once where, as on
 * Linux, writes to files, pipes and terminals are synchronous). Letting the event loop run dry instead
 * has node tear down its environment and V8's heap before it exits: ≈ 20 ms after the last line of
 * `drover version`, measured (ARCHITECTURE.md, "A short process starts fast").
 */
export function exitWhenFlushed(code: number): void {
  let pending = 2;
  const flushed = () => {
    if (--pending === 0) process.exit(code);
  };
  // An empty write's callback runs after every earlier write to the stream; an error (reader gone) ends it too.
  process.stdout.write('', flushed);
  process.stderr.write('', flushed);
}
