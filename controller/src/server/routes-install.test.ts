import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Fastify, { type FastifyInstance } from 'fastify';
import { useZodSchemas } from './route-schemas.js';
import { defaultInstallAssets, installCommand, installRoutes, type InstallRouteDeps } from './routes-install.js';

const FINGERPRINT = `sha256:${'ab'.repeat(32)}`;
const PIN = `sha256//${Buffer.from('ab'.repeat(32), 'hex').toString('base64')}`;

async function serve(deps: Partial<InstallRouteDeps>, artifactsDir: string): Promise<FastifyInstance> {
  const app = Fastify() as unknown as FastifyInstance;
  useZodSchemas(app);
  await app.register(installRoutes, {
    fingerprint: FINGERPRINT, publicUrl: null, scheme: 'https',
    assets: { scriptFile: defaultInstallAssets().scriptFile, artifactsDir }, ...deps,
  });
  return app;
}

describe('install routes', () => {
  let dir: string;
  let app: FastifyInstance;
  before(async () => {
    dir = mkdtempSync(join(tmpdir(), 'drover-install-routes-'));
    writeFileSync(join(dir, 'drover-agent-linux-x64'), 'binary');
    writeFileSync(join(dir, 'drover-agent-linux-x64.sha256'), `${'0'.repeat(64)}  drover-agent-linux-x64\n`);
    app = await serve({}, dir);
  });
  after(async () => {
    await app.close();
    rmSync(dir, { recursive: true, force: true });
  });

  test('install.sh carries the URL the host asked for and the pin, as shell words', async () => {
    const res = await app.inject({ url: '/install.sh', headers: { host: 'ctl.example.com:7443' } });
    assert.equal(res.statusCode, 200);
    assert.match(res.body, /^#!\/bin\/sh\n/);
    assert.ok(res.body.includes(`\nDROVER_CONTROLLER_URL='https://ctl.example.com:7443'\nDROVER_CONTROLLER_PIN='${PIN}'\n`));
    assert.ok(!res.body.includes('# drover:controller-values'));
    assert.match(res.body, /\nmain "\$@"\n$/, 'the script ends by calling main: a truncated download runs nothing');
  });

  test('a Host header that is not HOST[:PORT] never reaches the script', async () => {
    const res = await app.inject({ url: '/install.sh', headers: { host: "h'$(id)'" } });
    assert.equal(res.statusCode, 400);
    assert.match(res.body, /--public-url/);
  });

  test('--public-url wins over Host, and a plain-HTTP controller serves no installer', async () => {
    const pub = await serve({ publicUrl: 'https://drover.example.com' }, dir);
    const res = await pub.inject({ url: '/install.sh', headers: { host: 'other:1' } });
    assert.ok(res.body.includes("DROVER_CONTROLLER_URL='https://drover.example.com'"));
    await pub.close();
    const plain = await serve({ scheme: 'http' }, dir);
    assert.equal((await plain.inject({ url: '/install.sh', headers: { host: 'h:1' } })).statusCode, 409);
    await plain.close();
  });

  test('artifacts: only the published names, a clear 404 for one not built, the sum as text', async () => {
    const bin = await app.inject({ url: '/artifacts/drover-agent-linux-x64' });
    assert.equal(bin.statusCode, 200);
    assert.equal(bin.body, 'binary');
    assert.equal(bin.headers['content-type'], 'application/octet-stream');
    const sum = await app.inject({ url: '/artifacts/drover-agent-linux-x64.sha256' });
    assert.match(sum.body, /^0{64} {2}drover-agent-linux-x64\n$/);
    const missing = await app.inject({ url: '/artifacts/drover-agent-linux-arm64' });
    assert.equal(missing.statusCode, 404);
    assert.match(missing.body, /not built on this controller \(npm run build:artifacts/);
    for (const name of ['..%2F..%2Fetc%2Fpasswd', 'drover-agent-linux-mips', 'sea-config.json']) {
      assert.equal((await app.inject({ url: `/artifacts/${name}` })).statusCode, 404, name);
    }
  });

  test('the printed line keeps the token on stdin and runs `exit 1` when the download fails', () => {
    const line = installCommand('https://ctl:7443', FINGERPRINT, 'a.b.c');
    assert.equal(line, `printf '%s\\n' 'a.b.c' | sudo sh -c "$(curl -fsSL --pinnedpubkey '${PIN}' -k 'https://ctl:7443/install.sh' || echo exit 1)" install.sh --token-stdin`);
    // Nothing listens on port 1: curl fails, and the line must fail too (with `| sh` it would exit 0).
    const failing = installCommand('https://127.0.0.1:1', FINGERPRINT, 'a.b.c').replace('| sudo sh', '| sh');
    assert.throws(() => execFileSync('sh', ['-c', failing], { stdio: 'pipe' }), (err: { status?: number }) => err.status === 1);
  });
});
