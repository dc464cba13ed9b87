import { test } from 'node:test';
import assert from 'node:assert/strict';
import { allCommands } from './help.js';
import { runCli } from './run.js';
import type { CommandSpec, Invocation } from './spec.js';
import { bufferIO } from './test-io.js';
import { DROVER } from '../tree.js';

// The framework on a small tree: dispatch, parsing, help, errors, aliases.

let seen: Invocation | null = null;
const record = async (inv: Invocation) => ((seen = inv), 0);

const TREE: CommandSpec = {
  name: 'drover',
  summary: 'test tree',
  subcommands: [
    {
      name: 'app',
      summary: 'The app',
      subcommands: [
        { name: 'logs', summary: 'Logs', options: { follow: { type: 'boolean', short: 'f', description: 'Follow' }, since: { type: 'string', short: 's', value: 'T', description: 'Since' } }, run: record },
        { name: 'exec', summary: 'Exec', usage: 'CMD...', args: { min: 1, max: null }, commandLine: true, options: { env: { type: 'string', short: 'e', multiple: true, value: 'K=V', description: 'Env' } }, run: record },
        { name: 'stale_containers', summary: 'Stale', options: { stop: { type: 'boolean', short: 's', description: 'Stop' } }, run: record },
        { name: 'secret', summary: 'Hidden', hidden: true, run: record },
      ],
    },
    { name: 'fail', summary: 'Throws', run: async () => { throw new Error('boom'); } },
  ],
};

async function cli(argv: string[], tree = TREE, aliases: Record<string, string[]> = {}) {
  seen = null;
  const io = bufferIO();
  const code = await runCli(tree, argv, io, { expandAlias: async (name, rest) => (aliases[name] ? [...aliases[name]!, ...rest] : null) });
  return { code, out: io.stdout(), err: io.stderr(), inv: seen as Invocation | null };
}

test('dispatches by words; Kamal globals and the command\'s options parse; -h is --hosts', async () => {
  const r = await cli(['app', 'logs', '-f', '-s', '1h', '-h', 'web-1,web-2', '-h', 'web-3', '-r', 'web', '-d', 'staging', '-q']);
  assert.equal(r.code, 0, r.err);
  assert.deepEqual(r.inv!.path, ['app', 'logs']);
  assert.equal(r.inv!.options.follow, true);
  assert.equal(r.inv!.options.since, '1h');
  assert.deepEqual(r.inv!.globals.selection, { roles: ['web'], hosts: ['web-1', 'web-2', 'web-3'], primary: false });
  assert.equal(r.inv!.globals.destination, 'staging');
  assert.equal(r.inv!.globals.verbosity, 'quiet');
});

test('thor spellings: stale-containers and --foo_bar', async () => {
  const r = await cli(['app', 'stale-containers', '--skip_hooks', '--stop']);
  assert.equal(r.code, 0, r.err);
  assert.deepEqual(r.inv!.path, ['app', 'stale_containers']);
  assert.equal(r.inv!.globals.skipHooks, true);
});

test('a command line: known options anywhere (as Thor), unknown ones stay in the command', async () => {
  const r = await cli(['app', 'exec', '-e', 'A=1', '-p', 'ps', '-o', 'pid', '--reuse']);
  assert.equal(r.code, 0, r.err);
  assert.deepEqual(r.inv!.args, ['ps', '-o', 'pid', '--reuse']);
  assert.deepEqual(r.inv!.options.env, ['A=1']);
  assert.equal(r.inv!.globals.selection.primary, true);
  const dashdash = await cli(['app', 'exec', '--', '-weird']);
  assert.deepEqual(dashdash.inv!.args, ['-weird']);
});

test('mistakes exit 64 with the command\'s help; errors print one line, no stack', async () => {
  const unknownOption = await cli(['app', 'logs', '--frobnicate']);
  assert.equal(unknownOption.code, 64);
  assert.match(unknownOption.err, /Unknown option '--frobnicate'[\s\S]*Usage: drover app logs \[options\]/);
  const unknownCommand = await cli(['app', 'frob']);
  assert.equal(unknownCommand.code, 64);
  assert.match(unknownCommand.err, /unknown command "app frob"[\s\S]*Commands:\n {2}logs/);
  const missing = await cli(['app', 'exec']);
  assert.equal(missing.code, 64);
  assert.match(missing.err, /missing CMD\.\.\./);
  const extra = await cli(['app', 'logs', 'x']);
  assert.match(extra.err, /unexpected argument "x"/);
  const vq = await cli(['app', 'logs', '-v', '-q']);
  assert.equal(vq.code, 64);
  const boom = await cli(['fail']);
  assert.equal(boom.code, 1);
  assert.equal(boom.err, 'drover: internal error: boom\n');
});

test('help: generated from the spec, hidden commands left out, `help WORDS` and groups', async () => {
  const group = await cli(['app']);
  assert.equal(group.code, 0);
  assert.match(group.out, /^Usage: drover app <command> \[options\]/);
  assert.ok(!group.out.includes('secret'));
  const logs = await cli(['help', 'app', 'logs']);
  assert.equal(logs.code, 0);
  assert.match(logs.out, /Options:\n {2}-f, --follow +Follow\n {2}-s, --since T +Since\n/);
  assert.match(logs.out, /Global options \(as Kamal's\):[\s\S]*-h, --hosts HOSTS/);
  assert.equal((await cli(['help', 'nope'])).code, 64);
});

test('an unknown word is tried as an alias, with the rest of the line appended', async () => {
  const r = await cli(['console', '-q', '--sandbox'], TREE, { console: ['app', 'exec', '-p', 'bin/rails', 'console'] });
  assert.equal(r.code, 0, r.err);
  assert.deepEqual(r.inv!.args, ['bin/rails', 'console', '--sandbox']);
  assert.equal(r.inv!.globals.verbosity, 'quiet');
});

test('every drover command has a summary and a complete --help', async () => {
  for (const { spec, path } of allCommands(DROVER)) {
    assert.ok(spec.summary.length > 10, path.join(' '));
    const io = bufferIO();
    assert.equal(await runCli(DROVER, [...path, '--help'], io), 0, `${path.join(' ')}: ${io.stderr()}`);
    assert.match(io.stdout(), new RegExp(`^Usage: drover ${path.join(' ')}`), path.join(' '));
    assert.ok(spec.run || spec.subcommands?.length, `${path.join(' ')} does nothing`);
  }
});
