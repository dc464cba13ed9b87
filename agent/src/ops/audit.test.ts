import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { auditLine, escapeAuditText, readAudit, recordAudit } from './audit.js';

const at = new Date('2024-05-06T07:08:09Z');

test('an audit record is one line whatever its fields hold: control characters become visible escapes', () => {
  const forged = 'alice\n[2024-05-06T07:08:09Z] [root] Booted app version evil';
  const line = auditLine({ service: 'app', destination: 'prod\r', performer: forged, role: 'web\u2028' }, 'Booted app version v1\u001b[2J', at);
  assert.equal(line, '[2024-05-06T07:08:09Z] [alice\\n[2024-05-06T07:08:09Z] [root] Booted app version evil] [prod\\r] [web\\u2028] Booted app version v1\\x1b[2J');
  assert.equal(escapeAuditText('tab\there, del\u007f, c1\u0085'), 'tab\\there, del\\x7f, c1\\x85');
  assert.equal(escapeAuditText('plain [me@x] é ✓'), 'plain [me@x] é ✓');
});

test('a forged newline in the performer does not add a record to the host audit log', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'drover-audit-'));
  try {
    await recordAudit(dir, { service: 'app', destination: null, performer: 'me\n[2099-01-01T00:00:00Z] [admin] Removed app container' }, 'Pruned');
    const { lines } = await readAudit(dir, 'app', null, 10);
    assert.equal(lines.length, 1);
    assert.match(lines[0]!, /^\[\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ\] \[me\\n\[2099/);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
