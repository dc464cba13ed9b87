/** Command dispatch with cobra's behaviour: `Error: <msg>` on stderr and exit 1 for any failure. */
import { checkRequired, formatUsage, parseFlags, UsageError } from './flags.js';
import type { IO, ProxyCommand } from './command.js';
import { runCommand } from './run.js';
import { deployCommand } from './deploy.js';
import { listCommand, pauseCommand, removeCommand, resumeCommand, stopCommand } from './service_commands.js';
import { rolloutCommand } from './rollout.js';

export const PROXY_VERSION = 'v0.9.2';

const COMMANDS: ProxyCommand[] = [deployCommand, listCommand, pauseCommand, removeCommand, resumeCommand, rolloutCommand, runCommand, stopCommand];

const ROOT_HELP = `HTTP proxy for zero downtime deployments (Drover's kamal-proxy-compatible implementation, ${PROXY_VERSION} CLI)

Automatic certificates (ACME / Let's Encrypt, --tls without a custom certificate,
--tls-on-demand-url) and HTTP/3 are not supported; custom certificates are.

Usage:
  kamal-proxy [command]

Available Commands:
${COMMANDS.map((c) => `  ${c.name.padEnd(12)} ${c.summary}`).join('\n')}

Flags:
  -h, --help   help for kamal-proxy

Use "kamal-proxy [command] --help" for more information about a command.
`;

function commandHelp(command: ProxyCommand): string {
  let text = `${command.summary}\n\nUsage:\n  kamal-proxy ${command.use}${command.subcommands ? ' [command]' : ' [flags]'}\n`;
  if (command.aliases?.length) text += `\nAliases:\n  ${[command.name, ...command.aliases].join(', ')}\n`;
  if (command.subcommands) {
    text += `\nAvailable Commands:\n${command.subcommands.map((c) => `  ${c.name.padEnd(12)} ${c.summary}`).join('\n')}\n`;
  }
  const flags = formatUsage(command.flags);
  text += `\nFlags:\n${flags ? flags + '\n' : ''}  -h, --help   help for ${command.name}\n`;
  return text;
}

function find(list: ProxyCommand[], name: string): ProxyCommand | undefined {
  return list.find((c) => c.name === name || c.aliases?.includes(name));
}

export async function runCli(argv: string[], io: IO): Promise<number> {
  try {
    return await dispatch(argv, io);
  } catch (err) {
    io.err(`Error: ${err instanceof Error ? err.message : String(err)}\n`);
    return 1;
  }
}

async function dispatch(argv: string[], io: IO): Promise<number> {
  const [first, ...rest] = argv;
  if (first === undefined || first === '-h' || first === '--help' || first === 'help') {
    io.out(ROOT_HELP);
    return 0;
  }
  if (first === '--version' || first === 'version') {
    io.out(`kamal-proxy ${PROXY_VERSION} (drover)\n`);
    return 0;
  }
  let command = find(COMMANDS, first);
  if (!command) {
    if (first.startsWith('-')) throw new UsageError(`unknown flag: ${first.split('=')[0]}`);
    throw new UsageError(`unknown command "${first}" for "kamal-proxy"\nRun 'kamal-proxy --help' for usage.`);
  }
  let args = rest;
  if (command.subcommands) {
    const sub = args[0] !== undefined ? find(command.subcommands, args[0]) : undefined;
    if (!sub) {
      if (args[0] !== undefined && !args[0].startsWith('-')) {
        throw new UsageError(`unknown command "${args[0]}" for "kamal-proxy ${command.name}"`);
      }
      io.out(commandHelp(command));
      return 0;
    }
    command = sub;
    args = args.slice(1);
  }
  const flags = parseFlags(args, command.flags);
  if (flags.help) {
    io.out(commandHelp(command));
    return 0;
  }
  if (command.exactArgs !== undefined && flags.args.length !== command.exactArgs) {
    if (command.exactArgs === 0) throw new UsageError(`unknown command "${flags.args[0]}" for "kamal-proxy ${command.name}"`);
    throw new UsageError(`accepts ${command.exactArgs} arg(s), received ${flags.args.length}`);
  }
  checkRequired(flags, command.flags);
  return command.run!(flags, io);
}
