import { test } from 'node:test';
import assert from 'node:assert/strict';
import { parseDotenv, type DotenvContext } from './dotenv.js';
import { shellEscape, shellSplit } from './shellwords.js';

function ctx(env: Record<string, string> = {}, commands: string[] = []): DotenvContext {
  return {
    env,
    runShell: async (c) => {
      commands.push(c);
      return `<${c}>\n`;
    },
    runInline: async (c) => `inline(${c})`,
  };
}

/** [what, file text, env, expected hash] — Ruby dotenv 3 rules plus Kamal's command substitution. */
const cases: [string, string, Record<string, string>, Record<string, string>][] = [
  ['plain, export and colon forms', 'A=1\nexport B=2\nC: 3\n', {}, { A: '1', B: '2', C: '3' }],
  ['comments and blank lines', '# c\n\nA=1 # trailing\n  B = two  \n', {}, { A: '1', B: 'two' }],
  ['single quotes are literal', "A='$HOME \\n $(echo x)'\n", { HOME: '/h' }, { A: '$HOME \\n $(echo x)' }],
  ['double quotes expand \\n and variables', 'A="x\\ny $B"\n', { B: 'b' }, { A: 'x\ny b' }],
  ['multi-line double-quoted value', 'A="line1\nline2"\nB=2\n', {}, { A: 'line1\nline2', B: '2' }],
  ['$VAR and ${VAR} from earlier keys first, then env', 'X=file\nA=$X-${X}-$Y\n', { X: 'env', Y: 'y' }, { X: 'file', A: 'file-file-y' }],
  ['unset variable is empty', 'A=[$NOPE]\n', {}, { A: '[]' }],
  ['escaped \\$VAR stays literal', 'A=\\$HOME\n', { HOME: '/h' }, { A: '$HOME' }],
  ['later keys override earlier ones', 'A=1\nA=2\n', {}, { A: '2' }],
  ['empty value', 'A=\nB=""\n', {}, { A: '', B: '' }],
  ['$(command) output is chomped', 'A=$(echo hi)\n', {}, { A: '<echo hi>' }],
  ['variables expand inside commands first', 'T=tok\nA=$(use $T)\n', {}, { T: 'tok', A: '<use tok>' }],
  ['nested parentheses in a command', 'A=$(echo $(inner) (x))\n', {}, { A: '<echo $(inner) (x)>' }],
  ['escaped \\$(…) stays literal', 'A=\\$(echo hi)\n', {}, { A: '$(echo hi)' }],
  ['kamal secrets commands run in-process', 'A=$(kamal secrets extract A ${S})\n', { S: 'json' }, { A: 'inline(kamal secrets extract A json)' }],
  ['drover secrets commands run in-process too', 'A=$(drover secrets fetch -a test --account x B)\n', {}, { A: 'inline(drover secrets fetch -a test --account x B)' }],
  ['CRLF line endings', 'A=1\r\nB=2\r\n', {}, { A: '1', B: '2' }],
];

for (const [what, text, env, expected] of cases) {
  test(`dotenv: ${what}`, async () => assert.deepEqual(await parseDotenv(text, ctx(env)), expected));
}

test('dotenv: export of an unset variable is an error', async () => {
  await assert.rejects(parseDotenv('export NOPE\n', ctx()), /Line "export NOPE" has an unset variable/);
});

test('shellwords: escape and split round-trip the fetched JSON', () => {
  const json = JSON.stringify({ 'Vault/Item/A': 'p@ss w"rd $x', B: "it's\nok" });
  assert.deepEqual(shellSplit(`kamal secrets extract A ${shellEscape(json)}`), ['kamal', 'secrets', 'extract', 'A', json]);
  assert.deepEqual(shellSplit(`a 'b c' "d \\"e\\"" f\\ g`), ['a', 'b c', 'd "e"', 'f g']);
});
