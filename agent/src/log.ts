import { isoTime } from '@drover/shared/utc-time';

/** Minimal structured logger for the agent: one line per event on stderr, secrets never passed in. */
export interface AgentLogger {
  info(msg: string, fields?: Record<string, unknown>): void;
  warn(msg: string, fields?: Record<string, unknown>): void;
  error(msg: string, fields?: Record<string, unknown>): void;
}

export function createLogger(write: (line: string) => void = (l) => process.stderr.write(l + '\n')): AgentLogger {
  const emit = (level: string, msg: string, fields?: Record<string, unknown>) => {
    const extra = fields ? ' ' + Object.entries(fields).map(([k, v]) => `${k}=${typeof v === 'string' ? v : JSON.stringify(v)}`).join(' ') : '';
    write(`${isoTime()} ${level} ${msg}${extra}`);
  };
  return {
    info: (m, f) => emit('info', m, f),
    warn: (m, f) => emit('warn', m, f),
    error: (m, f) => emit('error', m, f),
  };
}
