/** JSON lines on stdout, shaped like Go's slog JSON handler. */

export type Fields = Record<string, unknown>;

/**
 * Writes of at most this many bytes to a pipe are atomic (PIPE_BUF), so the lines of several
 * cluster workers sharing one stdout never interleave.
 */
const ATOMIC_WRITE = 4096;

/** Lines written together once per event-loop turn: one write syscall instead of one per request. */
function batchedStdout(): (line: string) => void {
  let pending = '';
  let scheduled = false;
  const flush = (): void => {
    scheduled = false;
    if (pending === '') return;
    const text = pending;
    pending = '';
    process.stdout.write(text);
  };
  process.once('exit', flush);
  return (line) => {
    if (pending !== '' && pending.length + line.length > ATOMIC_WRITE) flush();
    pending += line;
    if (!scheduled) {
      scheduled = true;
      setImmediate(flush);
    }
  };
}

export class Logger {
  constructor(private readonly debugEnabled: boolean, private readonly out: (line: string) => void = batchedStdout()) {}

  private write(level: string, msg: string, fields: Fields): void {
    // Same line as JSON.stringify({ time, level, msg, ...fields }), without copying the fields.
    const rest = JSON.stringify(fields);
    const head = `{"time":"${new Date().toISOString()}","level":"${level}","msg":${JSON.stringify(msg)}`;
    this.out(rest === '{}' ? `${head}}\n` : `${head},${rest.slice(1)}\n`);
  }

  debug(msg: string, fields: Fields = {}): void {
    if (this.debugEnabled) this.write('DEBUG', msg, fields);
  }

  info(msg: string, fields: Fields = {}): void {
    this.write('INFO', msg, fields);
  }

  warn(msg: string, fields: Fields = {}): void {
    this.write('WARN', msg, fields);
  }

  error(msg: string, fields: Fields = {}): void {
    this.write('ERROR', msg, fields);
  }
}
