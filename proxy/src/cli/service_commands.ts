/** `remove`, `pause`, `resume`, `stop`, `list`: one RPC each. */
import type { ProxyCommand } from './command.js';
import { call } from './client.js';

export const removeCommand: ProxyCommand = {
  name: 'remove', aliases: ['rm'], summary: 'Remove the service', use: 'remove <service>', exactArgs: 1, flags: {},
  async run(flags, io) {
    await call(io, 'Remove', { service: flags.args[0] });
    return 0;
  },
};

export const pauseCommand: ProxyCommand = {
  name: 'pause', summary: 'Pause a service', use: 'pause <service>', exactArgs: 1,
  flags: {
    'drain-timeout': { type: 'duration', default: 30_000, usage: 'How long to allow in-flight requests to complete' },
    'max-pause': { type: 'duration', default: 30_000, usage: 'Maximum time to pause for' },
  },
  async run(flags, io) {
    await call(io, 'Pause', { service: flags.args[0], drainTimeoutMs: flags.values['drain-timeout'], pauseTimeoutMs: flags.values['max-pause'] });
    return 0;
  },
};

export const resumeCommand: ProxyCommand = {
  name: 'resume', summary: 'Resume a service', use: 'resume <service>', exactArgs: 1, flags: {},
  async run(flags, io) {
    await call(io, 'Resume', { service: flags.args[0] });
    return 0;
  },
};

export const stopCommand: ProxyCommand = {
  name: 'stop', summary: 'Stop a service', use: 'stop <service>', exactArgs: 1,
  flags: {
    'drain-timeout': { type: 'duration', default: 30_000, usage: 'How long to allow in-flight requests to complete' },
    message: { type: 'string', default: '', usage: 'Message to display to clients while stopped' },
  },
  async run(flags, io) {
    await call(io, 'Stop', { service: flags.args[0], drainTimeoutMs: flags.values['drain-timeout'], message: flags.values.message });
    return 0;
  },
};

interface Listed {
  host: string;
  path: string;
  tls: boolean;
  target: string;
  state: string;
}

export function formatServiceTable(services: Record<string, Listed>): string {
  const rows = [['Service', 'Host', 'Path', 'Target', 'State', 'TLS']];
  for (const name of Object.keys(services).sort()) {
    const s = services[name]!;
    rows.push([name, s.host, s.path, s.target, s.state, s.tls ? 'yes' : 'no']);
  }
  const widths = rows[0]!.map((_, i) => Math.max(...rows.map((r) => r[i]!.length)));
  return rows.map((r) => r.map((cell, i) => (i === r.length - 1 ? cell : cell.padEnd(widths[i]!))).join('  ').trimEnd()).join('\n') + '\n';
}

export const listCommand: ProxyCommand = {
  name: 'list', aliases: ['ls'], summary: 'List the services currently running', use: 'list', exactArgs: 0, flags: {},
  async run(_flags, io) {
    const reply = (await call(io, 'List', {})) as { services?: Record<string, Listed> } | null;
    io.out(formatServiceTable(reply?.services ?? {}));
    return 0;
  },
};
