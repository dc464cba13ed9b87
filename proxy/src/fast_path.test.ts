/**
 * The raw-socket fast path (fast_connection.ts, upstream_client.ts, fast_forward.ts) against the
 * node:http path: byte-identical answers and upstream requests, hand-over of unusual requests
 * to node:http mid-connection, pipelining, bodies, and the error mapping.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import http from 'node:http';
import { startProxy, startTarget, waitFor, arrived, type TestProxy, type TestTarget } from './test_support.js';
import { RawClient } from './test_raw_client.js';
import type { TargetOptions } from './options.js';

const REQUEST_LINE = /(GET|HEAD|POST|PUT|PATCH|DELETE|OPTIONS) \S+ HTTP\/1\.[01]\r\n/g;

/** `/chunked` answers hold their second part until a client has seen the first (two chunks on the wire, always). */
const chunkedWaiting: Array<() => void> = [];

/**
 * Writes `chunks` one by one on one connection (each handed to the kernel before the next); returns
 * everything read until every request in them is answered or the proxy closes the connection.
 */
async function talk(port: number, chunks: Array<string | Buffer>): Promise<string> {
  const client = await RawClient.connect(port);
  client.socket.on('data', () => {
    if (client.text.includes('part1,')) for (const release of chunkedWaiting.splice(0)) release();
  });
  for (const c of chunks) {
    await client.write(c);
    await new Promise((r) => setImmediate(r));
  }
  const methods = [...chunks.join('').matchAll(REQUEST_LINE)].map((m) => m[1]!);
  await client.untilResponses(methods.length, methods);
  client.destroy();
  return client.text;
}

const normalize = (text: string): string => text
  .replace(/\r\nDate: [^\r]*/gi, '')
  .replace(/[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}/g, 'ID')
  .replace(/t=\d+/g, 't=N')
  .replace(/127\.0\.0\.1:\d+/g, 'ADDR');

/** What the target received, health checks aside (the buffered tests compare it across proxies). */
const seen: string[] = [];

/** Answers by path; always echoes the request head it received (raw, in order) and the body length. */
const testTarget: http.RequestListener = (req, res) => {
  const chunks: Buffer[] = [];
  req.on('data', (c: Buffer) => chunks.push(c));
  req.on('end', () => {
    const echo = JSON.stringify({ method: req.method, url: req.url, raw: req.rawHeaders, body: Buffer.concat(chunks).length });
    const path = (req.url ?? '/').split('?')[0];
    if (path === '/up') return void res.end('up');
    seen.push(echo);
    if (path === '/die') { res.writeHead(200, { 'content-length': '100' }); return void res.write('partial', () => res.socket?.destroy()); }
    if (path === '/sized') return void res.end(Buffer.alloc(Number((req.url ?? '').split('?')[1] ?? '0'), 's'));
    if (path === '/chunked') { res.writeHead(201, 'Made', { 'content-type': 'text/plain', 'set-cookie': ['a=1', 'b=2'] }); res.write('part1,'); return void chunkedWaiting.push(() => res.end(echo)); }
    if (path === '/empty') { res.writeHead(204); return void res.end(); }
    if (path === '/until-close') { res.shouldKeepAlive = false; res.useChunkedEncodingByDefault = false; res.writeHead(200, { connection: 'close' }); return void res.end(echo); }
    if (path === '/big') return void res.end(Buffer.alloc(300_000, 'x'));
    res.writeHead(200, { 'content-type': 'application/json', 'x-reason': 'test', 'x-multi': ['a', 'b'] });
    res.end(echo);
  });
};

async function pair(fn: (fast: TestProxy, plain: TestProxy, t: TestTarget) => Promise<void>, target?: Partial<TargetOptions>): Promise<void> {
  const upstream = await startTarget('t', testTarget);
  const fast = await startProxy({ fastPath: true });
  const plain = await startProxy({ fastPath: false });
  try {
    await fast.deploy('svc', [upstream.address], { service: { hosts: ['app.test'] }, target });
    await plain.deploy('svc', [upstream.address], { service: { hosts: ['app.test'] }, target });
    await fn(fast, plain, upstream);
  } finally {
    await fast.stop();
    await plain.stop();
    await upstream.close();
  }
}

test('fast path answers and forwards byte for byte as the node:http path does', () => pair(async (fast, plain) => {
  const requests = [
    'GET /plain?q=1&x=%20 HTTP/1.1\r\nHost: app.test\r\nAccept: a\r\nAccept: b\r\nCookie: c=1\r\nCookie: d=2\r\nX-Forwarded-For: 9.9.9.9\r\n\r\n',
    'HEAD /plain HTTP/1.1\r\nHost: app.test\r\n\r\n',
    'POST /plain HTTP/1.1\r\nHost: app.test\r\nContent-Type: text/plain\r\nContent-Length: 11\r\n\r\nhello world',
    'POST /plain HTTP/1.1\r\nHost: app.test\r\n\r\n',
    'DELETE /plain HTTP/1.1\r\nHost: app.test\r\nConnection: keep-alive\r\n\r\n',
    'GET /chunked HTTP/1.1\r\nHost: app.test\r\nX-Request-ID: mine\r\n\r\n',
    'GET /empty HTTP/1.1\r\nHost: app.test\r\n\r\n',
    'GET /until-close HTTP/1.1\r\nHost: app.test\r\n\r\n',
    'GET / HTTP/1.1\r\nHost: unknown.test\r\n\r\n',
    'GET / HTTP/1.1\r\n\r\n',
  ];
  for (const r of requests) {
    const a = await talk(fast.port, [r]);
    const b = await talk(plain.port, [r]);
    assert.ok(a.startsWith('HTTP/1.1 '), a);
    assert.equal(normalize(a), normalize(b), r);
  }
}));

test('unusual requests are handed to node:http mid-connection and answered as before', () => pair(async (fast, plain) => {
  const sequences: Array<Array<string | Buffer>> = [
    // fast, then chunked (hand-over), then fast-eligible again on node:http
    ['GET /plain HTTP/1.1\r\nHost: app.test\r\n\r\n', 'POST /plain HTTP/1.1\r\nHost: app.test\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nhello\r\n0\r\n\r\n', 'GET /plain HTTP/1.1\r\nHost: app.test\r\n\r\n'],
    // a head split across packets
    ['GET /plain HTTP/1.1\r\nHo', 'st: app.test\r\n\r\n'],
    // HTTP/1.0, Connection: close, Expect
    ['GET /plain HTTP/1.0\r\nHost: app.test\r\n\r\n'],
    ['GET /plain HTTP/1.1\r\nHost: app.test\r\n\r\nGET /plain HTTP/1.1\r\nHost: app.test\r\nConnection: close\r\n\r\n'],
    ['POST /plain HTTP/1.1\r\nHost: app.test\r\nExpect: 100-continue\r\nContent-Length: 3\r\n\r\n', 'abc'],
    // malformed: node:http's 400
    ['GET /plain HTTP/1.1\r\nHost: app.test\r\nBad Header\r\n\r\n'],
    // pipelined requests, answered in order
    ['GET /plain?1 HTTP/1.1\r\nHost: app.test\r\n\r\nGET /plain?2 HTTP/1.1\r\nHost: app.test\r\n\r\nHEAD /plain?3 HTTP/1.1\r\nHost: app.test\r\n\r\n'],
    // a body arriving in pieces, then the next request
    ['POST /plain HTTP/1.1\r\nHost: app.test\r\nContent-Length: 10\r\n\r\n12', '345', '67890GET /plain?after HTTP/1.1\r\nHost: app.test\r\n\r\n'],
  ];
  for (const seq of sequences) {
    const a = await talk(fast.port, seq);
    const b = await talk(plain.port, seq);
    assert.ok(a.startsWith('HTTP/1.1 '), a);
    assert.equal(normalize(a), normalize(b), JSON.stringify(seq));
  }
  const piped = await talk(fast.port, ['GET /plain?1 HTTP/1.1\r\nHost: app.test\r\n\r\nGET /plain?2 HTTP/1.1\r\nHost: app.test\r\n\r\n']);
  assert.ok(piped.indexOf('"url":"/plain?1"') < piped.indexOf('"url":"/plain?2"'));
}));

test('large bodies both ways keep their bytes (backpressure on both sockets)', () => pair(async (fast) => {
  const body = Buffer.alloc(2_000_000, 'y');
  const up = await new Promise<string>((resolve, reject) => {
    const r = http.request({ port: fast.port, method: 'PUT', path: '/plain', headers: { host: 'app.test', 'content-length': body.length } }, (res) => {
      let text = '';
      res.on('data', (d) => (text += d));
      res.on('end', () => resolve(text));
    });
    r.on('error', reject);
    r.end(body);
  });
  assert.equal(JSON.parse(up).body, body.length);
  const sizes = await Promise.all([1, 2, 3].map(() => new Promise<number>((resolve, reject) => {
    http.get({ port: fast.port, path: '/big', headers: { host: 'app.test' } }, (res) => {
      let n = 0;
      res.on('data', (d: Buffer) => (n += d.length));
      res.on('end', () => resolve(n));
    }).on('error', reject);
  })));
  assert.deepEqual(sizes, [300_000, 300_000, 300_000]);
}));

test('fast path errors: unreachable 502, response timeout 504, cut mid-body, closed pooled connections dropped, 499 logged', async () => {
  const lines: string[] = [];
  const proxy = await startProxy({ fastPath: true, log: (l) => lines.push(l) });
  let closeNext = false;
  const target = await startTarget('t', (req, res) => {
    if (req.url === '/up') return void res.end('up');
    if (req.url === '/slow') return; // never answers: --target-timeout decides
    if (req.url === '/cut') { res.writeHead(200, { 'content-length': '100' }); return void res.write('partial', () => res.socket?.destroy()); }
    if (closeNext) { closeNext = false; res.shouldKeepAlive = true; }
    res.end('ok');
  });
  try {
    await proxy.deploy('svc', [target.address], { target: { responseTimeoutMs: 300 } });
    const get = (path: string): Promise<{ status: number; body: string }> => new Promise((resolve, reject) => {
      http.get({ port: proxy.port, path }, (res) => {
        let body = '';
        res.on('data', (d) => (body += d));
        res.on('end', () => resolve({ status: res.statusCode ?? 0, body }));
        res.on('error', reject);
      }).on('error', reject);
    });
    assert.equal((await get('/ok')).body, 'ok');
    assert.equal((await get('/slow')).status, 504);
    await assert.rejects(get('/cut'));
    // The target drops its idle keep-alive connections: pooled sockets it closed are not used again.
    target.server.closeIdleConnections();
    await waitFor('the target to close them', async () => (await new Promise<number>((r) => target.server.getConnections((_e, n) => r(n)))) === 0);
    const again = await get('/ok');
    assert.deepEqual(again, { status: 200, body: 'ok' });
    // Client gone before the answer: 499 in the log, the upstream request abandoned.
    const gone = await RawClient.connect(proxy.port);
    const slowBefore = arrived(target, '/slow');
    await gone.write('GET /slow HTTP/1.1\r\nHost: x\r\n\r\n');
    await waitFor('the request to reach the target', () => arrived(target, '/slow') > slowBefore);
    gone.destroy();
    const requestLog = (): Array<Record<string, unknown>> => lines.map((l) => JSON.parse(l) as Record<string, unknown>).filter((l) => l.msg === 'Request');
    await waitFor('the 499 log line', () => requestLog().some((l) => l.path === '/slow' && l.status === 499));
    const logged = requestLog();
    assert.ok(logged.some((l) => l.path === '/slow' && l.status === 499), JSON.stringify(logged.map((l) => [l.path, l.status])));
    const ok = logged.find((l) => l.path === '/ok')!;
    assert.equal(ok.status, 200);
    assert.equal(ok.resp_content_length, 2);
    await target.close();
    assert.equal((await get('/ok')).status, 502);
  } finally {
    await proxy.stop();
    await target.close();
  }
});

/**
 * One conversation with each proxy in turn: the answers and what the target received must match
 * (as a set: node:http starts pipelined requests at once, the fast path one after the other).
 */
async function sameBothWays(fast: TestProxy, plain: TestProxy, chunks: Array<string | Buffer>): Promise<{ answer: string; onFastPath: number }> {
  seen.length = 0;
  const before = fast.server.fastPathRequests;
  const a = await talk(fast.port, chunks);
  const onFastPath = fast.server.fastPathRequests - before;
  const fastSeen = seen.splice(0).map(normalize).sort();
  const b = await talk(plain.port, chunks);
  const plainSeen = seen.splice(0).map(normalize).sort();
  const label = JSON.stringify(chunks).slice(0, 200);
  assert.equal(normalize(a), normalize(b), label);
  assert.deepEqual(fastSeen, plainSeen, label);
  return { answer: a, onFastPath };
}

const KAMAL_BUFFERING: Partial<TargetOptions> = {
  bufferRequests: true, bufferResponses: true, maxMemoryBufferSize: 1000, maxRequestBodySize: 2000, maxResponseBodySize: 200_000,
};

test('buffered services (Kamal\'s deploy flags): fast path answers and forwards as the node:http path, limits included', () => pair(async (fast, plain) => {
  const get = (path: string): string => `GET ${path} HTTP/1.1\r\nHost: app.test\r\n\r\n`;
  const post = (n: number, tail = ''): string => `POST /plain HTTP/1.1\r\nHost: app.test\r\nContent-Length: ${n}\r\n\r\n${'b'.repeat(n)}${tail}`;
  /** `fast`: how many of the requests the fast path serves (the rest are handed to node:http). */
  const conversations: Array<{ chunks: Array<string | Buffer>; expect: string; fast?: number }> = [
    { chunks: [get('/plain?q=1') + 'HEAD /plain HTTP/1.1\r\nHost: app.test\r\n\r\n' + get('/empty')], expect: '200 OK', fast: 3 },
    { chunks: [post(11), 'POST /plain HTTP/1.1\r\nHost: app.test\r\n\r\n', 'DELETE /plain HTTP/1.1\r\nHost: app.test\r\n\r\n'], expect: '"body":11', fast: 3 },
    // a body in pieces, exactly at the memory limit, then the next request pipelined behind it
    { chunks: ['POST /plain HTTP/1.1\r\nHost: app.test\r\nContent-Length: 1000\r\n\r\n' + 'x'.repeat(400), 'x'.repeat(300), 'x'.repeat(300) + get('/plain?after')], expect: '"body":1000', fast: 2 },
    { chunks: ['GET /plain HTTP/1.1\r\nHost: app.test\r\nContent-Length: 5\r\n\r\nhello'], expect: '"body":5' },
    // over --max-request-body: 413, the target sees nothing, the connection goes on
    { chunks: [post(2001), get('/plain?next')], expect: '413 Payload Too Large', fast: 2 },
    { chunks: [post(2001, get('/plain?piped'))], expect: '413 Payload Too Large', fast: 2 },
    // between memory and the maximum: spills to disk, handed to node:http
    { chunks: [post(1500), get('/plain?next')], expect: '"body":1500', fast: 0 },
    // responses: framed by length, chunked (streams through), until close, spilled to disk, over the maximum
    { chunks: [get('/sized?999') + get('/sized?0')], expect: 'content-length: 0', fast: 2 },
    { chunks: [get('/chunked')], expect: 'Transfer-Encoding: chunked' },
    { chunks: [get('/until-close')], expect: 'content-length: ' },
    { chunks: [get('/sized?150000'), get('/plain')], expect: 'content-length: 150000', fast: 2 },
    { chunks: [get('/sized?200000')], expect: 'content-length: 200000' },
    { chunks: [get('/sized?200001'), get('/plain')], expect: '500 Internal Server Error', fast: 2 },
    { chunks: [get('/big')], expect: '500 Internal Server Error' },
    // the target dies mid-body: nothing was sent yet, the client connection is cut
    { chunks: [get('/die')], expect: '' },
  ];
  for (const { chunks, expect, fast: served = 1 } of conversations) {
    const { answer, onFastPath } = await sameBothWays(fast, plain, chunks);
    if (expect === '') assert.equal(answer, '');
    else assert.ok(answer.includes(expect), `${expect} in ${answer.slice(0, 300)}`);
    assert.equal(onFastPath, served, `requests on the fast path in ${JSON.stringify(chunks).slice(0, 200)}`);
  }
}, KAMAL_BUFFERING));

test('buffered services without maximums: bodies over --buffer-memory spill (requests handed over, responses spilled on the fast path)', () => pair(async (fast, plain) => {
  const requests = [
    'POST /plain HTTP/1.1\r\nHost: app.test\r\nContent-Length: 5\r\n\r\nhelloGET /plain HTTP/1.1\r\nHost: app.test\r\n\r\n',
    'PUT /plain HTTP/1.1\r\nHost: app.test\r\nContent-Length: 3000\r\n\r\n' + 'p'.repeat(3000),
    'GET /big HTTP/1.1\r\nHost: app.test\r\n\r\nGET /sized?11 HTTP/1.1\r\nHost: app.test\r\n\r\n',
    'GET /until-close HTTP/1.1\r\nHost: app.test\r\n\r\n',
  ];
  const onFast = [2, 0, 2, 1];
  for (const [i, r] of requests.entries()) {
    const { answer, onFastPath } = await sameBothWays(fast, plain, [r]);
    assert.ok(answer.startsWith('HTTP/1.1 200 OK'), answer.slice(0, 200));
    assert.equal(onFastPath, onFast[i], r.slice(0, 100));
  }
}, { ...KAMAL_BUFFERING, maxMemoryBufferSize: 10, maxRequestBodySize: 0, maxResponseBodySize: 0 }));
