import { UserError } from '@drover/shared';
import type { CliIO, CommandSpec, Invocation } from '../framework/spec.js';
import { table } from '../table.js';

const REDACTED = '[REDACTED]';

type Config = typeof import('../../client/operator-config.js');
const config = (): Promise<Config> => import('../../client/operator-config.js');

/** A note on stderr when DROVER_CONTEXT makes this shell use another context than the file's current one. */
function envNote(io: CliIO, current: string | null): void {
  const name = io.env.DROVER_CONTEXT;
  if (name && name !== current) io.err(`note: DROVER_CONTEXT=${name} selects context "${name}" in this shell`);
}

async function list(inv: Invocation): Promise<number> {
  const { contextNames, readCredentialsFile, selectContext } = await config();
  const { io } = inv;
  const file = readCredentialsFile(io.env);
  const names = contextNames(file);
  if (inv.globals.json) {
    const contexts = names.map((name) => {
      const c = file.contexts[name]!;
      return { name, current: name === file.current, controller: c.controller, fingerprint: c.fingerprint };
    });
    io.out(JSON.stringify({ current: file.current, selected: selectContext(file, io.env)?.name ?? null, contexts }, null, 2));
    envNote(io, file.current);
    return 0;
  }
  if (names.length === 0) {
    io.out('no contexts; log in with `drover login URL --token T [--context NAME]`');
    return 0;
  }
  io.out(table([['CURRENT', 'NAME', 'CONTROLLER'], ...names.map((n) => [n === file.current ? '*' : '', n, file.contexts[n]!.controller])]));
  if (file.current === null) io.err('no context is current: choose one with `drover context use NAME`');
  envNote(io, file.current);
  return 0;
}

async function use(inv: Invocation): Promise<number> {
  const name = inv.args[0]!;
  const { useContext } = await config();
  const creds = useContext(name, inv.io.env);
  inv.io.out(`switched to context "${name}" (${creds.controller})`);
  envNote(inv.io, name);
  return 0;
}

async function remove(inv: Invocation): Promise<number> {
  const { removeContext } = await config();
  const r = removeContext(inv.args[0]!, inv.io.env);
  let after: string;
  if (r.remaining.length === 0) after = 'no contexts are left; log in with `drover login URL --token T`';
  else if (r.current === null) after = `no context is current now: choose one with \`drover context use NAME\` (contexts: ${r.remaining.join(', ')})`;
  else if (r.wasCurrent) after = `"${r.current}", the only context left, is now current`;
  else after = `the current context is "${r.current}"`;
  inv.io.out(`removed context "${r.removed}"${r.wasCurrent ? ', which was current' : ''}; ${after}`);
  return 0;
}

async function show(inv: Invocation): Promise<number> {
  const { io } = inv;
  const { contextNames, readCredentialsFile, requireContext, selectContext } = await config();
  const file = readCredentialsFile(io.env);
  const given = inv.args[0] ?? inv.globals.context;
  const selected = given !== undefined ? null : selectContext(file, io.env);
  const name = given ?? selected?.name;
  if (name === undefined) {
    const names = contextNames(file);
    throw new UserError(names.length
      ? `no context is current (contexts: ${names.join(', ')}): name one, \`drover context show NAME\`, or choose one with \`drover context use NAME\``
      : 'no contexts; log in with `drover login URL --token T [--context NAME]`');
  }
  const creds = requireContext(file, name, selected?.source);
  const view = { name, current: name === file.current, controller: creds.controller, fingerprint: creds.fingerprint, token: REDACTED };
  if (inv.globals.json) {
    io.out(JSON.stringify(view, null, 2));
  } else {
    io.out([
      `context:     ${name}${view.current ? ' (current)' : ''}`,
      `controller:  ${creds.controller}`,
      `fingerprint: ${creds.fingerprint ?? 'none (ordinary CA verification)'}`,
      `token:       ${REDACTED}`,
    ].join('\n'));
  }
  const overridden = ['DROVER_CONTROLLER', 'DROVER_TOKEN', 'DROVER_FINGERPRINT'].filter((v) => io.env[v]);
  if (overridden.length) io.err(`note: ${overridden.join(', ')} override${overridden.length === 1 ? 's' : ''} these values in this shell`);
  return 0;
}

export const contextCommand: CommandSpec = {
  name: 'context',
  summary: 'List, switch, show and remove saved controller logins (contexts)',
  description: `Saved logins to controllers ("contexts"). \`drover login URL --token T --context NAME\` saves one.
Commands that talk to a controller use --context NAME, else DROVER_CONTEXT, else the current one;
DROVER_CONTROLLER, DROVER_TOKEN and DROVER_FINGERPRINT override its values. Tokens are never printed.`,
  defaultSubcommand: 'list',
  subcommands: [
    { name: 'list', aliases: ['ls'], summary: 'The saved contexts; * marks the current one', run: list },
    { name: 'use', summary: 'Make NAME the current context', usage: 'NAME', args: { min: 1, max: 1 }, run: use },
    { name: 'remove', aliases: ['rm'], summary: "Forget NAME's controller URL, token and pin", usage: 'NAME', args: { min: 1, max: 1 }, run: remove },
    { name: 'show', summary: "A context's controller URL and pinned TLS key (default: the one in use)", usage: '[NAME]', args: { min: 0, max: 1 }, run: show },
  ],
};
