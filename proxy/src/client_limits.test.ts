/**
 * Slow clients (client_limits.ts), on both paths: a head or a body that does not come is answered
 * 408 and closed, idle connections close, while requests that keep coming or wait for a slow
 * target are not cut. Also: a 413 mid-body leaves the connection usable, and a client error
 * never writes a 400 into a response that is already under way.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { startProxy, startTarget, type TestProxy } from './test_support.js';
import { RawClient } from './test_raw_client.js';
import type { TargetOptions } from './options.js';
import type { ClientTimeouts } from './client_limits.js';

const SHORT: ClientTimeouts = { headersMs: 300, idleMs: 400, bodyMs: 300 };
const GET = 'GET /plain HTTP/1.1\r\nHost: app.test\r\n\r\n';

/** Runs `fn` against a fast-path proxy and a node:http-only one, each with SHORT timeouts. */
async function bothPaths(target: Partial<TargetOptions>, fn: (proxy: TestProxy, label: string) => Promise<void>): Promise<void> {
  const upstream = await startTarget('t', (req, res) => {
    if (req.url === '/up') return void res.end('up');
    let n = 0;
    req.on('data', (d: Buffer) => (n += d.length));
    req.on('end', () => {
      if (req.url === '/slow') return void setTimeout(() => res.end(`slow ${n}`), SHORT.headersMs * 2);
      res.end(`got ${n}`);
    });
  });
  try {
    for (const fastPath of [true, false]) {
      const proxy = await startProxy({ fastPath, timeouts: SHORT });
      try {
        await proxy.deploy('svc', [upstream.address], { service: { hosts: ['app.test'] }, target });
        await fn(proxy, fastPath ? 'fast path' : 'node:http');
      } finally {
        await proxy.stop();
      }
    }
  } finally {
    await upstream.close();
  }
}

/** Writes `text` one byte every `everyMs` until the connection closes. */
function trickle(client: RawClient, text: string, everyMs: number): () => void {
  let i = 0;
  const timer = setInterval(() => {
    if (client.closed || i >= text.length) return void clearInterval(timer);
    client.socket.write(text[i++]!);
  }, everyMs);
  return () => clearInterval(timer);
}

test('a request head trickled byte by byte gets 408 and the connection closes', () => bothPaths({}, async (proxy, label) => {
  const client = await RawClient.connect(proxy.port);
  const stop = trickle(client, GET, 50);
  await client.untilClosed(SHORT.headersMs * 15);
  stop();
  assert.match(client.text, /^HTTP\/1\.1 408 Request Timeout\r\n/, label);
}));

test('a silent new connection and an idle keep-alive connection are closed', () => bothPaths({}, async (proxy, label) => {
  const silent = await RawClient.connect(proxy.port);
  await silent.untilClosed(SHORT.headersMs * 15);
  assert.ok(!silent.text.startsWith('HTTP/1.1 200'), label);
  const idle = await RawClient.connect(proxy.port);
  await idle.write(GET);
  await idle.untilResponses(1);
  await idle.untilClosed(SHORT.idleMs * 15);
  assert.deepEqual(idle.responses().map((r) => r.status), [200], label);
}));

test('a request waiting longer than the head timeout for a slow target is not cut', () => bothPaths({}, async (proxy, label) => {
  const client = await RawClient.connect(proxy.port);
  await client.write('GET /slow HTTP/1.1\r\nHost: app.test\r\n\r\n');
  const [answer] = await client.untilResponses(1);
  client.destroy();
  assert.equal(answer?.body, 'slow 0', label);
}));

for (const [kind, target] of [['buffering', { bufferRequests: true, bufferResponses: true }], ['streaming', {}]] as const) {
  test(`a ${kind} request body that stops coming gets 408; one that keeps coming is served`, () => bothPaths(target, async (proxy, label) => {
    const stalled = await RawClient.connect(proxy.port);
    await stalled.write('POST /plain HTTP/1.1\r\nHost: app.test\r\nContent-Length: 100\r\n\r\n0123456789');
    await stalled.untilClosed(SHORT.bodyMs * 15);
    assert.match(stalled.text, /^HTTP\/1\.1 408 Request Timeout\r\n/, `${label}: ${stalled.text}`);

    // Slower in total than bodyMs, but never silent for that long.
    const slow = await RawClient.connect(proxy.port);
    await slow.write('POST /plain HTTP/1.1\r\nHost: app.test\r\nContent-Length: 12\r\n\r\n');
    const stop = trickle(slow, 'x'.repeat(12), SHORT.bodyMs / 3);
    const [answer] = await slow.untilResponses(1);
    stop();
    slow.destroy();
    assert.equal(answer?.body, 'got 12', label);
  }));
}

test('after a 413 on a body arriving in many packets the keep-alive connection serves the next request', () => bothPaths(
  { bufferRequests: true, bufferResponses: true, maxRequestBodySize: 1000 },
  async (proxy, label) => {
    const client = await RawClient.connect(proxy.port);
    const size = 300_000;
    await client.write(`POST /plain HTTP/1.1\r\nHost: app.test\r\nContent-Length: ${size}\r\n\r\n`);
    for (let sent = 0; sent < size; sent += 30_000) await client.write(Buffer.alloc(30_000, 'x'));
    await client.write(GET);
    const answers = await client.untilResponses(2);
    client.destroy();
    assert.deepEqual(answers.map((r) => r.status), [413, 200], `${label}: ${client.text.slice(0, 300)}`);
  },
));

test('a malformed request body after the response started cuts the connection without a 400 inside the response', async () => {
  const proxy = await startProxy({ timeouts: SHORT });
  const upstream = await startTarget('t', (req, res) => {
    if (req.url === '/up') return void res.end('up');
    // Answers at once and keeps streaming while the request body is still coming.
    res.writeHead(200, { 'content-type': 'text/plain' });
    res.write('first part');
    req.on('data', () => undefined);
  });
  try {
    await proxy.deploy('svc', [upstream.address], { service: { hosts: ['app.test'] } });
    const client = await RawClient.connect(proxy.port);
    await client.write('POST /plain HTTP/1.1\r\nHost: app.test\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nhello\r\n');
    await client.until('the response to start', () => client.text.includes('first part'));
    await client.write('not a chunk size\r\n');
    await client.untilClosed();
    assert.ok(!client.text.includes('400 Bad Request'), client.text);
  } finally {
    await proxy.stop();
    await upstream.close();
  }
});

test('a connection to the HTTPS port that never starts TLS, or speaks plain HTTP, is closed within the head timeout', async () => {
  const proxy = await startProxy({ timeouts: SHORT });
  const silent = await RawClient.connect(proxy.httpsPort);
  const plain = await RawClient.connect(proxy.httpsPort);
  try {
    await plain.write(GET);
    // node:tls would hold the silent one for its default 120 s.
    await Promise.all([silent.untilClosed(SHORT.headersMs * 15), plain.untilClosed(SHORT.headersMs * 15)]);
    assert.equal(silent.text, '');
  } finally {
    silent.destroy();
    plain.destroy();
    await proxy.stop();
  }
});
