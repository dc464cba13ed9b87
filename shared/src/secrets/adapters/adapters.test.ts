import { test } from 'node:test';
import assert from 'node:assert/strict';
import { chmod, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { processRunner } from '../run.js';
import { fetchWith } from './base.js';
import { lookupAdapter } from './index.js';

/** A canned reply of a fake CLI for one exact argument list (joined with spaces; `session ` first when BW_SESSION is set). */
type Replies = Record<string, { stdout?: string; stderr?: string; status?: number }>;

const sq = (s: string) => `'${s.replace(/'/g, `'\\''`)}'`;

/**
 * Puts recording scripts named like the real vault CLIs in a temp bin dir, runs the adapter
 * against them and returns what it fetched plus every argv the scripts received.
 */
async function runAdapter(
  adapter: string,
  clis: Record<string, Replies>,
  secrets: string[],
  options: { account?: string; from?: string },
  env: Record<string, string> = {},
): Promise<{ result?: Record<string, string>; error?: string; calls: string[] }> {
  const bin = await mkdtemp(join(tmpdir(), 'drover-fakecli-'));
  const record = join(bin, 'calls.log');
  try {
    for (const [name, replies] of Object.entries(clis)) {
      const cases = Object.entries(replies)
        .map(([args, r]) => `  ${sq(args)}) printf '%s' ${sq(r.stdout ?? '')}; printf '%s' ${sq(r.stderr ?? '')} >&2; exit ${r.status ?? 0};;`)
        .join('\n');
      const script = `#!/bin/sh\nout=""\nfor a in "$@"; do out="$out[$a]"; done\nprintf '%s %s\\n' ${sq(name)} "$out" >> "$RECORD"\nif [ -n "$BW_SESSION" ]; then printf 'BW_SESSION=%s\\n' "$BW_SESSION" >> "$RECORD"; fi\ncase "\${BW_SESSION:+session }$*" in\n  '--version') exit 0;;\n${cases}\n  *) exit 0;;\nesac\n`;
      await writeFile(join(bin, name), script);
      await chmod(join(bin, name), 0o755);
    }
    await writeFile(record, '');
    const runEnv = { PATH: bin, RECORD: record, ...env };
    try {
      const result = await fetchWith(lookupAdapter(adapter), secrets, options, { run: processRunner(runEnv), env: runEnv });
      return { result, calls: (await readFile(record, 'utf8')).trim().split('\n').filter(Boolean) };
    } catch (err) {
      return { error: (err as Error).message, calls: (await readFile(record, 'utf8')).trim().split('\n').filter(Boolean) };
    }
  } finally {
    await rm(bin, { recursive: true, force: true });
  }
}

test('1password: logged in, fields grouped per item, keys without /password', async () => {
  const r = await runAdapter('1password', {
    op: {
      'account get --account acct': {},
      'item get Item --vault Vault --format json --account acct --fields label=A,label=B': {
        stdout: JSON.stringify([{ reference: 'op://Vault/Item/A', value: 'a' }, { reference: 'op://Vault/Item/B', value: 'b' }]),
      },
      'item get Other --vault Vault --format json --account acct --fields label=password': { stdout: JSON.stringify({ reference: 'op://Vault/Other/password', value: 'p' }) },
    },
  }, ['Item/A', 'Item/B', 'Other'], { account: 'acct', from: 'Vault' });
  assert.deepEqual(r.result, { 'Vault/Item/A': 'a', 'Vault/Item/B': 'b', 'Vault/Other': 'p' });
  assert.deepEqual(r.calls, [
    'op [--version]',
    'op [account][get][--account][acct]',
    'op [item][get][Item][--vault][Vault][--format][json][--account][acct][--fields][label=A,label=B]',
    'op [item][get][Other][--vault][Vault][--format][json][--account][acct][--fields][label=password]',
  ]);
});

test('1password: signs in when needed and passes the session', async () => {
  const r = await runAdapter('1password', {
    op: {
      'account get --account acct': { status: 1 },
      'signin --account acct --force --raw': { stdout: 'SESSION\n' },
      'item get Item --vault Vault --format json --account acct --session SESSION --fields label=password': { stdout: JSON.stringify({ reference: 'op://Vault/Item/password', value: 'x' }) },
    },
  }, ['Vault/Item'], { account: 'acct' });
  assert.deepEqual(r.result, { 'Vault/Item': 'x' });
  assert.equal(r.calls[2], 'op [signin][--account][acct][--force][--raw]');
});

test('bitwarden: login, unlock, sync, get item with BW_SESSION', async () => {
  const r = await runAdapter('bitwarden', {
    bw: {
      status: { stdout: '{"status":"locked"}' },
      'session status': { stdout: '{"status":"unlocked"}' },
      'unlock --raw': { stdout: 'S3SS' },
      'session get item db': { stdout: JSON.stringify({ login: { password: 'pw' } }) },
      'session get item app': { stdout: JSON.stringify({ fields: [{ name: 'KEY', value: 'k' }] }) },
    },
  }, ['db', 'app/KEY'], { account: 'me@example.com' });
  assert.deepEqual(r.result, { db: 'pw', 'app/KEY': 'k' });
  assert.deepEqual(r.calls, ['bw [--version]', 'bw [status]', 'bw [unlock][--raw]', 'bw [status]', 'BW_SESSION=S3SS', 'bw [sync]', 'BW_SESSION=S3SS', 'bw [get][item][db]', 'BW_SESSION=S3SS', 'bw [get][item][app]', 'BW_SESSION=S3SS']);
});

test('bitwarden-sm: project list auth check, secret get per uuid, list for all', async () => {
  const one = await runAdapter('bitwarden-sm', { bws: { 'secret get u-1': { stdout: '{"key":"A","value":"1"}' } } }, ['u-1'], {});
  assert.deepEqual(one.result, { A: '1' });
  assert.deepEqual(one.calls, ['bws [--version]', 'bws [project][list]', 'bws [secret][get][u-1]']);
  const all = await runAdapter('bitwarden-sm', { bws: { 'secret list proj': { stdout: '[{"key":"B","value":"2"}]' } } }, ['proj/all'], {});
  assert.deepEqual(all.result, { B: '2' });
  assert.equal(all.calls[2], 'bws [secret][list][proj]');
});

test('lastpass: status, login when needed, show --json', async () => {
  const r = await runAdapter('lastpass', {
    lpass: {
      'status --color never': { stdout: 'Not logged in.' },
      'show Folder/A Folder/B --json': { stdout: JSON.stringify([{ fullname: 'Folder/A', password: 'a' }, { fullname: 'Folder/B', password: 'b' }]) },
    },
  }, ['A', 'B'], { account: 'me@example.com', from: 'Folder' });
  assert.deepEqual(r.result, { 'Folder/A': 'a', 'Folder/B': 'b' });
  assert.deepEqual(r.calls, ['lpass [--version]', 'lpass [status][--color][never]', 'lpass [login][me@example.com]', 'lpass [show][Folder/A][Folder/B][--json]']);
});

test('aws_secrets_manager: batch-get with profile; JSON values expand to name/key', async () => {
  const r = await runAdapter('aws_secrets_manager', {
    aws: {
      'secretsmanager batch-get-secret-value --secret-id-list app/db app/key --profile prod --output json': {
        stdout: JSON.stringify({ SecretValues: [{ Name: 'app/db', SecretString: '{"user":"u","pass":"p"}' }, { Name: 'app/key', SecretString: 'plain' }], Errors: [] }),
      },
    },
  }, ['db', 'key'], { account: 'prod', from: 'app' });
  assert.deepEqual(r.result, { 'app/db/user': 'u', 'app/db/pass': 'p', 'app/key': 'plain' });
  assert.equal(r.calls[1], 'aws [secretsmanager][batch-get-secret-value][--secret-id-list][app/db][app/key][--profile][prod][--output][json]');
});

test('gcp: auth list, versions access with project, account and impersonation', async () => {
  const data = Buffer.from('s3cret').toString('base64');
  const r = await runAdapter('gcp', {
    gcloud: {
      'auth list --format=json': { stdout: '[{"account":"me@x.com"}]' },
      'secrets versions access 3 --secret=db --project=proj --account=me@x.com --impersonate-service-account=sa@x.com --format=json': { stdout: JSON.stringify({ payload: { data } }) },
      'secrets versions access latest --secret=key --account=me@x.com --impersonate-service-account=sa@x.com --format=json': { stdout: JSON.stringify({ payload: { data } }) },
    },
  }, ['proj/db/3', 'key'], { account: 'me@x.com|sa@x.com' });
  assert.deepEqual(r.result, { 'proj/db': 's3cret', key: 's3cret' });
  assert.equal(r.calls[1], 'gcloud [auth][list][--format=json]');
});

test('doppler: me, secrets get with -p/-c from --from; service token skips them', async () => {
  const reply = { stdout: JSON.stringify({ A: { computed: 'a' } }) };
  const r = await runAdapter('doppler', { doppler: { 'secrets get A --json -p proj -c prd': reply } }, ['A'], { from: 'proj/prd' });
  assert.deepEqual(r.result, { A: 'a' });
  assert.deepEqual(r.calls, ['doppler [--version]', 'doppler [me][--json]', 'doppler [secrets][get][A][--json][-p][proj][-c][prd]']);
  const t = await runAdapter('doppler', { doppler: { 'secrets get A --json': reply } }, ['A'], {}, { DOPPLER_TOKEN: 'dp.st.xyz' });
  assert.deepEqual(t.result, { A: 'a' });
  const missing = await runAdapter('doppler', { doppler: {} }, ['A'], {});
  assert.equal(missing.error, "Missing project or config from '--from=project/config' option");
});

test('enpass: -json -vault FROM show TITLES; keys title or title/label', async () => {
  const r = await runAdapter('enpass', {
    'enpass-cli': {
      '-json -vault /vaults/primary show DB APP': {
        stderr: JSON.stringify([{ title: 'DB', label: '', password: 'd' }, { title: 'APP', label: 'KEY', password: 'k' }, { title: 'APP', label: 'OTHER', password: 'o' }]),
      },
    },
  }, ['DB', 'APP/KEY'], { from: '/vaults/primary' });
  assert.deepEqual(r.result, { DB: 'd', 'APP/KEY': 'k' });
  assert.equal(r.calls[1], 'enpass-cli [-json][-vault][/vaults/primary][show][DB][APP]');
});

test('passbolt: verify, folder lookup, resources filter', async () => {
  const r = await runAdapter('passbolt', {
    passbolt: {
      'list folders --filter Name == "ops" --json': { stdout: '[{"id":"f1","name":"ops","folder_parent_id":""}]' },
      'list resources --filter (Name == "DB" && FolderParentID == "f1") || Name == "TOP" --folder f1 --column name --column password --json': {
        stdout: '[{"name":"DB","password":"d"},{"name":"TOP","password":"t"}]',
      },
    },
  }, ['ops/DB', 'TOP'], {});
  assert.deepEqual(r.result, { DB: 'd', TOP: 't' });
  assert.deepEqual(r.calls.slice(0, 2), ['passbolt [--version]', 'passbolt [verify]']);
});

test('a missing CLI is reported in Kamal wording', async () => {
  const cases: [string, string][] = [
    ['1password', '1Password CLI is not installed'],
    ['bitwarden', 'Bitwarden CLI is not installed'],
    ['bitwarden-sm', 'Bitwarden Secrets Manager CLI is not installed'],
    ['lastpass', 'LastPass CLI is not installed'],
    ['aws_secrets_manager', 'AWS CLI is not installed'],
    ['gcp_secret_manager', 'gcloud CLI is not installed'],
    ['doppler', 'Doppler CLI is not installed'],
    ['enpass', 'Enpass CLI is not installed'],
    ['passbolt', 'Passbolt CLI is not installed'],
  ];
  for (const [adapter, message] of cases) {
    const r = await runAdapter(adapter, {}, ['A'], { account: 'acct' });
    assert.equal(r.error, message, adapter);
  }
});

test('account required, unknown adapter', async () => {
  assert.equal((await runAdapter('1password', { op: {} }, ['A'], {})).error, "Missing required option '--account'");
  assert.throws(() => lookupAdapter('keychain'), { message: 'Unknown secrets adapter: keychain' });
  assert.equal(lookupAdapter('GCP'), lookupAdapter('gcp_secret_manager'));
});
