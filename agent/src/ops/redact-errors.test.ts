import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { UserError } from '@drover/shared';
import { createLogger } from '../log.js';
import { IdempotencyStore } from './idempotency.js';
import { withSecretsRedacted } from './redact-errors.js';

const params = { env: { clear: { MODE: 'x' }, secrets: { KEY: 's3cret-value' } }, registry: { username: 'u', password: 'pw-secret' } };

test('a UserError leaves without secrets in its message or details, with its exit code and without its cause', async () => {
  const failing = () => Promise.reject(new UserError('boot failed with s3cret-value', { details: ['log: KEY=s3cret-value', 'login pw-secret', 'MODE=x'], exitCode: 4, cause: new Error('s3cret-value') }));
  await assert.rejects(withSecretsRedacted(params, failing), (e: UserError) => {
    assert.ok(e instanceof UserError);
    assert.equal(e.message, 'boot failed with [REDACTED]');
    assert.deepEqual(e.details, ['log: KEY=[REDACTED]', 'login [REDACTED]', 'MODE=x']);
    assert.equal(e.exitCode, 4);
    assert.equal(e.cause, undefined);
    return true;
  });
  await assert.rejects(withSecretsRedacted(params, () => Promise.reject(new TypeError('bad s3cret-value'))), { name: 'TypeError', message: 'bad [REDACTED]' });
  assert.equal(await withSecretsRedacted(params, async () => 'ok'), 'ok');
});

test('the failure recorded for retries (on disk) is the redacted one', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'drover-redact-'));
  try {
    const store = new IdempotencyStore(dir, { log: createLogger(() => undefined), rerunAfterInterruption: () => false });
    const run = () => store.run('op-1', 'app.boot', params, () => withSecretsRedacted(params, () => Promise.reject(new UserError('x s3cret-value', { details: ['pw-secret'] }))));
    await assert.rejects(run(), { message: 'x [REDACTED]' });
    const [file] = readdirSync(dir);
    const text = readFileSync(join(dir, file!), 'utf8');
    assert.ok(!text.includes('s3cret-value') && !text.includes('pw-secret'), text);
    await assert.rejects(run(), (e: UserError) => e.message === 'x [REDACTED]' && e.details[0] === '[REDACTED]');
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
