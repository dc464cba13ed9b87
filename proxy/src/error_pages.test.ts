import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { loadErrorPages, renderErrorPage } from './error_pages.js';
import { tempDir } from './test_support.js';

test('built-in pages, the 503 message, and a generic page for others', () => {
  assert.match(renderErrorPage(404, null), /Not Found/);
  assert.match(renderErrorPage(503, null, 'Back soon'), /Back soon/);
  assert.match(renderErrorPage(503, null), /temporarily unavailable/);
  assert.equal(renderErrorPage(418, null), "<h1>418 I'm a Teapot</h1>");
});

test('custom pages override, missing ones fall back; invalid dirs are refused', () => {
  const dir = tempDir();
  try {
    writeFileSync(join(dir.path, '404.html'), 'custom missing');
    const pages = loadErrorPages(dir.path);
    assert.equal(renderErrorPage(404, pages), 'custom missing');
    assert.match(renderErrorPage(502, pages), /Bad Gateway/);
    mkdirSync(join(dir.path, 'empty'));
    assert.throws(() => loadErrorPages(join(dir.path, 'empty')), /unable to load error pages/);
    assert.throws(() => loadErrorPages(join(dir.path, 'missing')), /unable to load error pages/);
    mkdirSync(join(dir.path, 'broken'));
    writeFileSync(join(dir.path, 'broken', '503.html'), '{{ .Message ');
    assert.throws(() => loadErrorPages(join(dir.path, 'broken')), /unable to load error pages/);
  } finally {
    dir.remove();
  }
});
