import { UserError } from '@drover/shared';
import type { Command } from '../command.js';
import { parseOrUsage, usageError } from '../args/parse.js';

const USAGE = `Usage:
  drover context [list] [--json]
  drover context use NAME
  drover context remove NAME
  drover context show [NAME] [--json]

  list     the saved contexts (logins to controllers); * marks the current one
  use      make NAME the current context
  remove   forget NAME's controller URL, token and pin
  show     NAME's controller URL and pinned TLS key (default: the context in use)

\`drover login URL --token T --context NAME\` saves a context. Commands that talk
to a controller use the context named by DROVER_CONTEXT, else the current one;
DROVER_CONTROLLER, DROVER_TOKEN and DROVER_FINGERPRINT override its values.
Tokens are never printed.`;

const REDACTED = '[REDACTED]';

type Config = typeof import('../../client/operator-config.js');
const config = (): Promise<Config> => import('../../client/operator-config.js');

/** A note on stderr when DROVER_CONTEXT makes this shell use another context than the file's current one. */
function envNote(current: string | null): void {
  const name = process.env.DROVER_CONTEXT;
  if (name && name !== current) process.stderr.write(`note: DROVER_CONTEXT=${name} selects context "${name}" in this shell\n`);
}

function table(rows: string[][]): string {
  const widths = rows[0]!.map((_, i) => Math.max(...rows.map((r) => r[i]!.length)));
  return rows.map((r) => r.map((c, i) => (i === r.length - 1 ? c : c.padEnd(widths[i]!))).join('  ')).join('\n');
}

async function list(argv: string[]): Promise<number> {
  const { values, positionals } = parseOrUsage(argv, { json: { type: 'boolean' } }, USAGE);
  if (values.help) return (console.log(USAGE), 0);
  if (positionals.length) throw usageError(`unexpected argument "${positionals[0]}"`, USAGE);
  const { contextNames, readCredentialsFile, selectContext } = await config();
  const file = readCredentialsFile();
  const names = contextNames(file);
  if (values.json) {
    const contexts = names.map((name) => {
      const c = file.contexts[name]!;
      return { name, current: name === file.current, controller: c.controller, fingerprint: c.fingerprint };
    });
    console.log(JSON.stringify({ current: file.current, selected: selectContext(file)?.name ?? null, contexts }, null, 2));
    envNote(file.current);
    return 0;
  }
  if (names.length === 0) {
    console.log('no contexts; log in with `drover login URL --token T [--context NAME]`');
    return 0;
  }
  console.log(table([['CURRENT', 'NAME', 'CONTROLLER'], ...names.map((n) => [n === file.current ? '*' : '', n, file.contexts[n]!.controller])]));
  if (file.current === null) process.stderr.write('no context is current: choose one with `drover context use NAME`\n');
  envNote(file.current);
  return 0;
}

async function use(argv: string[]): Promise<number> {
  const { values, positionals } = parseOrUsage(argv, {}, USAGE);
  if (values.help) return (console.log(USAGE), 0);
  if (positionals.length !== 1) throw usageError('expected exactly one context NAME', USAGE);
  const name = positionals[0]!;
  const { useContext } = await config();
  const creds = useContext(name);
  console.log(`switched to context "${name}" (${creds.controller})`);
  envNote(name);
  return 0;
}

async function remove(argv: string[]): Promise<number> {
  const { values, positionals } = parseOrUsage(argv, {}, USAGE);
  if (values.help) return (console.log(USAGE), 0);
  if (positionals.length !== 1) throw usageError('expected exactly one context NAME', USAGE);
  const { removeContext } = await config();
  const r = removeContext(positionals[0]!);
  let after: string;
  if (r.remaining.length === 0) after = 'no contexts are left; log in with `drover login URL --token T`';
  else if (r.current === null) after = `no context is current now: choose one with \`drover context use NAME\` (contexts: ${r.remaining.join(', ')})`;
  else if (r.wasCurrent) after = `"${r.current}", the only context left, is now current`;
  else after = `the current context is "${r.current}"`;
  console.log(`removed context "${r.removed}"${r.wasCurrent ? ', which was current' : ''}; ${after}`);
  return 0;
}

async function show(argv: string[]): Promise<number> {
  const { values, positionals } = parseOrUsage(argv, { json: { type: 'boolean' } }, USAGE);
  if (values.help) return (console.log(USAGE), 0);
  if (positionals.length > 1) throw usageError(`unexpected argument "${positionals[1]}"`, USAGE);
  const { contextNames, readCredentialsFile, requireContext, selectContext } = await config();
  const file = readCredentialsFile();
  const selected = positionals[0] !== undefined ? null : selectContext(file);
  const name = positionals[0] ?? selected?.name;
  if (name === undefined) {
    const names = contextNames(file);
    throw new UserError(names.length
      ? `no context is current (contexts: ${names.join(', ')}): name one, \`drover context show NAME\`, or choose one with \`drover context use NAME\``
      : 'no contexts; log in with `drover login URL --token T [--context NAME]`');
  }
  const creds = requireContext(file, name, selected?.source);
  const view = { name, current: name === file.current, controller: creds.controller, fingerprint: creds.fingerprint, token: REDACTED };
  if (values.json) {
    console.log(JSON.stringify(view, null, 2));
  } else {
    console.log([
      `context:     ${name}${view.current ? ' (current)' : ''}`,
      `controller:  ${creds.controller}`,
      `fingerprint: ${creds.fingerprint ?? 'none (ordinary CA verification)'}`,
      `token:       ${REDACTED}`,
    ].join('\n'));
  }
  const overridden = ['DROVER_CONTROLLER', 'DROVER_TOKEN', 'DROVER_FINGERPRINT'].filter((v) => process.env[v]);
  if (overridden.length) process.stderr.write(`note: ${overridden.join(', ')} override${overridden.length === 1 ? 's' : ''} these values in this shell\n`);
  return 0;
}

export const command: Command = {
  summary: 'list, switch, show and remove saved controller logins (contexts)',
  async run(argv) {
    const [sub, ...rest] = argv;
    if (sub === undefined || sub === '--json') return list(argv);
    if (sub === 'list' || sub === 'ls') return list(rest);
    if (sub === 'use') return use(rest);
    if (sub === 'remove' || sub === 'rm') return remove(rest);
    if (sub === 'show') return show(rest);
    if (sub === '--help' || sub === '-h' || sub === 'help') return (console.log(USAGE), 0);
    throw new UserError(`unknown subcommand "${sub}"\n\n${USAGE}`, { exitCode: 64 });
  },
};
