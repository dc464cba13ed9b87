import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, mkdir, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { isUserError } from '../errors.js';
import { loadSecrets } from './load.js';
import { shellEscape } from './shellwords.js';

async function withSecrets<T>(files: Record<string, string>, fn: (cwd: string) => Promise<T>): Promise<T> {
  const cwd = await mkdtemp(join(tmpdir(), 'drover-secrets-'));
  try {
    await mkdir(join(cwd, '.kamal'), { recursive: true });
    for (const [name, text] of Object.entries(files)) await writeFile(join(cwd, name), text);
    return await fn(cwd);
  } finally {
    await rm(cwd, { recursive: true, force: true });
  }
}

test('secrets files: -common first, then the plain file; later wins', async () => {
  await withSecrets({ '.kamal/secrets-common': 'A=common\nB=common\n', '.kamal/secrets': 'B=plain\n' }, async (cwd) => {
    const s = await loadSecrets({ cwd, env: {} });
    assert.deepEqual(s.entries(), [['A', 'common'], ['B', 'plain']]);
    assert.deepEqual(s.filesRead, ['.kamal/secrets-common', '.kamal/secrets']);
  });
});

test('secrets files: with a destination the .<dest> file replaces the plain one', async () => {
  await withSecrets({ '.kamal/secrets-common': 'A=common\n', '.kamal/secrets': 'B=plain\n', '.kamal/secrets.staging': 'C=staging\n' }, async (cwd) => {
    const s = await loadSecrets({ cwd, env: {}, destination: 'staging' });
    assert.deepEqual(Object.fromEntries(s.entries()), { A: 'common', C: 'staging' });
  });
});

test('secrets files: each file is parsed on its own; cross-file references go through ENV only', async () => {
  await withSecrets({ '.kamal/secrets-common': 'A=common\n', '.kamal/secrets': 'B=[$A]\nC=$KAMAL_REGISTRY_PASSWORD\n' }, async (cwd) => {
    const s = await loadSecrets({ cwd, env: { KAMAL_REGISTRY_PASSWORD: 'from-env' } });
    assert.equal(s.get('B'), '[]');
    assert.equal(s.get('C'), 'from-env');
  });
});

test('secrets files: ENV alone is not a secret', async () => {
  await withSecrets({ '.kamal/secrets': 'A=1\n' }, async (cwd) => {
    const s = await loadSecrets({ cwd, env: { ONLY_ENV: 'x' } });
    assert.equal(s.has('ONLY_ENV'), false);
  });
});

test('secrets files: a custom secrets_path', async () => {
  await withSecrets({ 'my-secrets': 'A=1\n', 'my-secrets-common': 'B=2\n' }, async (cwd) => {
    const s = await loadSecrets({ cwd, env: {}, secretsPath: 'my-secrets' });
    assert.deepEqual(Object.fromEntries(s.entries()), { A: '1', B: '2' });
  });
});

test('secrets files: $(…) runs a real shell command', async () => {
  await withSecrets({ '.kamal/secrets': 'A=$(echo "$GREETING")\nB=$(echo one; echo two)\n' }, async (cwd) => {
    const s = await loadSecrets({ cwd, env: { GREETING: 'hello', PATH: process.env.PATH } });
    assert.equal(s.get('A'), 'hello');
    assert.equal(s.get('B'), 'one\ntwo');
  });
});

test('secrets files: fetch then extract with the test adapter, in-process', async () => {
  const text = 'SECRETS=$(kamal secrets fetch --adapter test --account acct --from Vault/Item ABC XYZ)\nABC=$(kamal secrets extract ABC ${SECRETS})\n';
  await withSecrets({ '.kamal/secrets': text }, async (cwd) => {
    const s = await loadSecrets({ cwd, env: {} });
    assert.equal(s.get('ABC'), 'CBA');
    // Like Kamal, the inline fetch result is kept shell-escaped so it survives `${SECRETS}`.
    assert.equal(s.get('SECRETS'), shellEscape(JSON.stringify({ 'Vault/Item/ABC': 'CBA', 'Vault/Item/XYZ': 'ZYX' })));
  });
});

test("missing secret: Kamal's wording with the files read", async () => {
  await withSecrets({ '.kamal/secrets-common': 'A=1\n', '.kamal/secrets': 'B=1\n' }, async (cwd) => {
    const s = await loadSecrets({ cwd, env: {} });
    assert.throws(() => s.get('X'), { message: "Secret 'X' not found in .kamal/secrets-common, .kamal/secrets" });
  });
});

test("missing secret with no secrets files at all", async () => {
  await withSecrets({}, async (cwd) => {
    const s = await loadSecrets({ cwd, env: {} });
    assert.throws(() => s.get('X'), { message: "Secret 'X' not found, no secret files (.kamal/secrets-common, .kamal/secrets) provided" });
  });
});

test('requireAll reports every missing name at once', async () => {
  await withSecrets({ '.kamal/secrets': 'A=1\n' }, async (cwd) => {
    const s = await loadSecrets({ cwd, env: {} });
    try {
      s.requireAll(['A', 'X', 'Y']);
      assert.fail('expected an error');
    } catch (err) {
      assert.ok(isUserError(err));
      assert.deepEqual(err.details, ["Secret 'X' not found in .kamal/secrets", "Secret 'Y' not found in .kamal/secrets"]);
    }
  });
});
