/** JSON lines on stdout, shaped like Go's slog JSON handler. */

export type Fields = Record<string, unknown>;

/** Lines written in one go per event-loop turn: one write syscall instead of one per request. */
function batchedStdout(): (line: string) => void {
  let pending = '';
  const flush = (): void => {
    const text = pending;
    pending = '';
    process.stdout.write(text);
  };
  process.once('exit', () => { if (pending) flush(); });
  return (line) => {
    if (pending === '') setImmediate(flush);
    pending += line;
    if (pending.length > 1 << 16) flush();
  };
}

export class Logger {
  constructor(private readonly debugEnabled: boolean, private readonly out: (line: string) => void = batchedStdout()) {}

  private write(level: string, msg: string, fields: Fields): void {
    this.out(JSON.stringify({ time: new Date().toISOString(), level, msg, ...fields }) + '\n');
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
