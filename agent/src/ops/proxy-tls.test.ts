import { test } from 'node:test';
import assert from 'node:assert/strict';
import { EventEmitter } from 'node:events';
import { chmodSync, mkdirSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import type { Writable } from 'node:stream';
import type Dockerode from 'dockerode';
import { placeTls } from './proxy-tls.js';

type ProxyAnswer = { exitCode: number; stdout: string } | 'no such container';

/** Just enough of dockerode for `docker exec kamal-proxy …`: `answer` plays the proxy container. */
function fakeDocker(answer: (argv: string[]) => ProxyAnswer): Dockerode {
  const output = new WeakMap<object, string>();
  return {
    getContainer: () => ({
      exec: async ({ Cmd }: { Cmd: string[] }) => {
        const a = answer(Cmd);
        if (a === 'no such container') throw Object.assign(new Error('(HTTP code 404) no such container'), { statusCode: 404 });
        const stream = new EventEmitter();
        output.set(stream, a.stdout);
        return { start: async () => stream, inspect: async () => ({ ExitCode: a.exitCode }) };
      },
    }),
    modem: {
      demuxStream: (stream: EventEmitter, stdout: Writable) => {
        stdout.write(output.get(stream) ?? '');
        setImmediate(() => stream.emit('end'));
      },
    },
  } as unknown as Dockerode;
}

const TLS = { certificatePem: '-----BEGIN CERTIFICATE-----\n', privateKeyPem: '-----BEGIN PRIVATE KEY-----\n' };

async function placed(answer: (argv: string[]) => ProxyAnswer, before?: (keyPath: string) => void) {
  const runDirectory = mkdtempSync(join(tmpdir(), 'drover-tls-'));
  const keyPath = join(runDirectory, 'proxy/apps-config/app/tls/web/key.pem');
  try {
    before?.(keyPath);
    const result = await placeTls({ docker: fakeDocker(answer), runDirectory }, 'app', 'web', TLS);
    const key = statSync(keyPath);
    const cert = statSync(join(dirname(keyPath), 'cert.pem'));
    return { result, keyMode: key.mode & 0o777, keyOwner: `${key.uid}:${key.gid}`, certMode: cert.mode & 0o777, keyText: readFileSync(keyPath, 'utf8') };
  } finally {
    rmSync(runDirectory, { recursive: true, force: true });
  }
}

const proxyAs = (uid: number, gid: number, canRead = true) => (argv: string[]): ProxyAnswer =>
  argv[0] === 'id' ? { exitCode: 0, stdout: `uid=${uid}(kamal-proxy) gid=${gid}(kamal-proxy) groups=${gid}(kamal-proxy)\n` } : { exitCode: canRead ? 0 : 1, stdout: '' };

const self = [process.getuid?.() ?? 0, process.getgid?.() ?? 0] as const;
// The proxy's own user, as in basecamp/kamal-proxy; only root may hand a file to another user.
const proxyUser = self[0] === 0 ? [1001, 1002] as const : self;

test('the private key is 0600 and owned by the user kamal-proxy runs as; the certificate is 0644 as Kamal uploads it', async () => {
  const r = await placed(proxyAs(...proxyUser));
  assert.equal(r.keyMode, 0o600);
  assert.equal(r.keyOwner, proxyUser.join(':'));
  assert.equal(r.certMode, 0o644);
  assert.equal(r.keyText, TLS.privateKeyPem);
  assert.deepEqual(r.result, { cert: '/home/kamal-proxy/.apps-config/app/tls/web/cert.pem', key: '/home/kamal-proxy/.apps-config/app/tls/web/key.pem', keyPrivate: true });
});

test('a key written 0644 by an earlier version is replaced by a 0600 one', async () => {
  const r = await placed(proxyAs(...self), (keyPath) => {
    mkdirSync(dirname(keyPath), { recursive: true });
    writeFileSync(keyPath, 'old key');
    chmodSync(keyPath, 0o644);
  });
  assert.equal(r.keyMode, 0o600);
  assert.equal(r.keyText, TLS.privateKeyPem);
});

test('when kamal-proxy could not read a 0600 key, or cannot say who it runs as, the key is 0644 as Kamal leaves it', async () => {
  for (const answer of [proxyAs(...self, false), () => 'no such container' as const, () => ({ exitCode: 127, stdout: '' })]) {
    const r = await placed(answer);
    assert.equal(r.keyMode, 0o644);
    assert.equal(r.result.keyPrivate, false);
  }
});
