/** kamal-proxy's target and middleware behaviours (target_test.go and friends), over real sockets. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import net from 'node:net';
import http from 'node:http';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { WebSocketServer, WebSocket } from 'ws';
import { startProxy, startTarget, request, waitFor, arrived, tempDir, type TestProxy, type TestTarget } from './test_support.js';

async function withTarget(handler: http.RequestListener, fn: (p: TestProxy, t: TestTarget) => Promise<void>): Promise<void> {
  const proxy = await startProxy();
  const target = await startTarget('t', (req, res) => (req.url === '/up' ? res.end('up') : handler(req, res)));
  try {
    await fn(proxy, target);
  } finally {
    await proxy.stop();
    await target.close();
  }
}

const echoHeaders: http.RequestListener = (req, res) => {
  res.setHeader('content-type', 'application/json');
  res.end(JSON.stringify({ url: req.url, headers: req.headers }));
};

test('X-Forwarded-* replaced by default when forwarding is off; Host preserved; other headers kept', () => withTarget(echoHeaders, async (p, t) => {
  await p.deploy('svc', [t.address], { target: { forwardHeaders: false } });
  const r = JSON.parse((await request(p.port, '/', { host: 'example.com', headers: { 'x-forwarded-for': '6.6.6.6', 'x-forwarded-proto': 'https', 'x-forwarded-host': 'evil.com', 'x-custom': 'kept', 'x-kamal-target': 'spoof' } })).body);
  assert.equal(r.headers['x-forwarded-for'], '127.0.0.1');
  assert.equal(r.headers['x-forwarded-proto'], 'http');
  assert.equal(r.headers['x-forwarded-host'], 'example.com');
  assert.equal(r.headers.host, 'example.com');
  assert.equal(r.headers['x-custom'], 'kept');
  assert.equal(r.headers['x-kamal-target'], t.address);
}));

test('X-Forwarded-* forwarded when enabled; absent ones populated; client IP header replaces XFF', () => withTarget(echoHeaders, async (p, t) => {
  await p.deploy('svc', [t.address], { target: { forwardHeaders: true }, service: { clientIpHeader: 'True-Client-IP' } });
  const a = JSON.parse((await request(p.port, '/', { host: 'example.com', headers: { 'x-forwarded-for': '10.10.10.10', 'x-forwarded-proto': 'https', 'x-forwarded-host': 'front.example.com', 'x-kamal-target': 'lb' } })).body);
  assert.equal(a.headers['x-forwarded-for'], '10.10.10.10, 127.0.0.1');
  assert.equal(a.headers['x-forwarded-proto'], 'https');
  assert.equal(a.headers['x-forwarded-host'], 'front.example.com');
  assert.equal(a.headers['x-kamal-target'], `lb, ${t.address}`);
  const b = JSON.parse((await request(p.port, '/', { host: 'example.com' })).body);
  assert.equal(b.headers['x-forwarded-for'], '127.0.0.1');
  assert.equal(b.headers['x-forwarded-proto'], 'http');
  const c = JSON.parse((await request(p.port, '/', { headers: { 'true-client-ip': '203.0.113.9', 'x-forwarded-for': '6.6.6.6' } })).body);
  assert.equal(c.headers['x-forwarded-for'], '203.0.113.9, 127.0.0.1');
}));

test('X-Request-ID and X-Request-Start added when absent, preserved when present; query passed verbatim', () => withTarget(echoHeaders, async (p, t) => {
  await p.deploy('svc', [t.address]);
  const a = JSON.parse((await request(p.port, '/?p1=a;b;c&p2=%x&p3=ok')).body);
  assert.match(a.headers['x-request-id'], /^[0-9a-f-]{36}$/);
  assert.match(a.headers['x-request-start'], /^t=\d+$/);
  assert.ok(Math.abs(Number(a.headers['x-request-start'].slice(2)) - Date.now()) < 1000);
  assert.equal(a.url, '/?p1=a;b;c&p2=%x&p3=ok');
  const b = JSON.parse((await request(p.port, '/', { headers: { 'x-request-id': '1234', 'x-request-start': 't=1234' } })).body);
  assert.equal(b.headers['x-request-id'], '1234');
  assert.equal(b.headers['x-request-start'], 't=1234');
}));

test('drain: in-flight requests that finish within the drain timeout complete', () => withTarget((_req, res) => void setTimeout(() => res.end('slow'), 200), async (p, t) => {
  const next = await startTarget('next');
  try {
    await p.deploy('svc', [t.address]);
    const inflight = [1, 2, 3].map(() => request(p.port, '/slow'));
    await waitFor('3 requests in flight on the old target', () => arrived(t, '/slow') === 3);
    await p.deploy('svc', [next.address], { deployment: { drainTimeoutMs: 5000 } });
    for (const r of await Promise.all(inflight)) assert.equal(r.body, 'slow');
    assert.equal((await request(p.port, '/')).body, 'next');
  } finally {
    await next.close();
  }
}));

test('drain: requests still running at the drain deadline are cancelled with 504', () => withTarget(() => undefined, async (p, t) => {
  const next = await startTarget('next');
  try {
    await p.deploy('svc', [t.address]);
    const inflight = Array.from({ length: 20 }, () => request(p.port, '/hang'));
    await waitFor('20 requests in flight on the old target', () => arrived(t, '/hang') === 20);
    const started = Date.now();
    await p.deploy('svc', [next.address], { deployment: { drainTimeoutMs: 10 } });
    assert.ok(Date.now() - started < 1500);
    for (const r of await Promise.all(inflight)) assert.equal(r.status, 504);
  } finally {
    await next.close();
  }
}));

test('WebSockets pass through, and are closed at once when their target drains', async () => {
  const proxy = await startProxy();
  const server = http.createServer((req, res) => res.end('up'));
  const wss = new WebSocketServer({ server });
  wss.on('connection', (ws) => ws.on('message', (m) => ws.send(`echo:${m}`)));
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const address = `127.0.0.1:${(server.address() as net.AddressInfo).port}`;
  const next = await startTarget('next');
  try {
    await proxy.deploy('svc', [address], { target: { bufferRequests: true, bufferResponses: true, maxMemoryBufferSize: 4, maxRequestBodySize: 8, maxResponseBodySize: 8 } });
    const ws = new WebSocket(`ws://127.0.0.1:${proxy.port}/socket`);
    await new Promise((resolve, reject) => { ws.once('open', resolve); ws.once('error', reject); });
    const reply = new Promise<string>((resolve) => ws.once('message', (m) => resolve(String(m))));
    ws.send('hello, this is longer than the buffer limits');
    assert.equal(await reply, 'echo:hello, this is longer than the buffer limits');
    const closed = new Promise((resolve) => ws.once('close', resolve));
    const started = Date.now();
    await proxy.deploy('svc', [next.address], { deployment: { drainTimeoutMs: 5000 } });
    await closed;
    assert.ok(Date.now() - started < 1000, 'drain should not wait for the WebSocket');
  } finally {
    await proxy.stop();
    wss.close();
    server.closeAllConnections();
    await new Promise((r) => server.close(r));
    await next.close();
  }
});

test('buffering limits: no limits unbuffered; 413 oversized request, 500 oversized response; spills to disk between', () =>
  withTarget((req, res) => {
    const size = Number(new URL(req.url!, 'http://x').searchParams.get('size') ?? 0);
    req.resume();
    req.on('end', () => res.end('r'.repeat(size)));
  }, async (p, t) => {
    await p.deploy('svc', [t.address]);
    assert.equal((await request(p.port, '/?size=5000', { method: 'POST', body: 'q'.repeat(5000) })).status, 200);
    await p.deploy('svc', [t.address], { target: { bufferRequests: true, bufferResponses: true, maxMemoryBufferSize: 1000, maxRequestBodySize: 3000, maxResponseBodySize: 3000 } });
    const spilled = await request(p.port, '/?size=2000', { method: 'POST', body: 'q'.repeat(2000) });
    assert.equal(spilled.status, 200);
    assert.equal(spilled.body.length, 2000);
    assert.equal(spilled.headers['content-length'], '2000');
    const big = await request(p.port, '/?size=10', { method: 'POST', body: 'q'.repeat(4000) });
    assert.equal(big.status, 413);
    assert.match(big.body, /Request Too Large/);
    assert.equal((await request(p.port, '/?size=4000', { method: 'POST', body: 'q' })).status, 500);
  }));

test('server-sent events stream through even with response buffering', { timeout: 10_000 }, () => withTarget((_req, res) => {
  res.writeHead(200, { 'content-type': 'text/event-stream' });
  // The stream stays open: with buffering, nothing would ever arrive.
  res.write('data: first\n\n');
}, async (p, t) => {
  await p.deploy('svc', [t.address], { target: { bufferResponses: true } });
  const first = await new Promise<string>((resolve, reject) => {
    http.get({ host: '127.0.0.1', port: p.port, path: '/events', agent: false }, (res) => {
      res.setEncoding('utf8');
      res.once('data', (d: string) => { resolve(d); res.destroy(); });
    }).on('error', reject);
  });
  assert.equal(first, 'data: first\n\n');
}));

test('malformed chunked request body -> 400', () => withTarget(echoHeaders, async (p, t) => {
  await p.deploy('svc', [t.address]);
  const reply = await new Promise<string>((resolve) => {
    const socket = net.connect(p.port, '127.0.0.1', () => {
      socket.write('POST / HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\nZZ\r\n');
    });
    let data = '';
    socket.on('data', (d) => (data += d));
    socket.on('close', () => resolve(data));
    socket.on('error', () => resolve(data));
  });
  assert.match(reply, /^HTTP\/1.1 400/);
}));

test('target timeout -> 504; unreachable target -> 502; upstream errors pass through unchanged', () => withTarget((req, res) => {
  if (req.url === '/teapot') { res.statusCode = 418; return void res.end('short and stout'); }
  // Never answers: the proxy's --target-timeout decides.
}, async (p, t) => {
  await p.deploy('svc', [t.address], { target: { responseTimeoutMs: 100 } });
  const slow = await request(p.port, '/slow');
  assert.equal(slow.status, 504);
  assert.match(slow.body, /Gateway Timeout/);
  const teapot = await request(p.port, '/teapot');
  assert.equal(teapot.status, 418);
  assert.equal(teapot.body, 'short and stout');
  await t.close();
  assert.equal((await request(p.port, '/gone')).status, 502);
}));

test('custom error pages override built-in ones and render the stop message', () => withTarget(echoHeaders, async (p, t) => {
  const pages = join(p.dir, 'pages');
  mkdirSync(pages);
  writeFileSync(join(pages, '503.html'), '<p>Custom: {{ .Message }}</p>');
  await p.deploy('svc', [t.address], { service: { errorPagePath: pages } });
  await p.server.router.stop('svc', 100, 'down <for> now');
  const r = await request(p.port, '/x');
  assert.equal(r.status, 503);
  assert.equal(r.body, '<p>Custom: down &lt;for&gt; now</p>');
}));

test('readers get GET/HEAD, writers the rest; a write sets the writer cookie that routes reads to writers', async () => {
  const proxy = await startProxy();
  const writer = await startTarget('writer');
  const reader = await startTarget('reader');
  try {
    await proxy.deploy('svc', [writer.address], { readers: [reader.address] });
    assert.equal((await request(proxy.port, '/')).body, 'reader');
    const write = await request(proxy.port, '/', { method: 'POST' });
    assert.equal(write.body, 'writer');
    const cookie = write.headers['set-cookie']?.[0] ?? '';
    assert.match(cookie, /^kamal-writer=\d+; Path=\/; Expires=.*; HttpOnly$/);
    assert.equal((await request(proxy.port, '/', { headers: { cookie: cookie.split(';')[0]! } })).body, 'writer');
  } finally {
    await proxy.stop();
    await writer.close();
    await reader.close();
  }
});

test('client disconnect is logged as 499', async () => {
  const lines: string[] = [];
  const dir = tempDir();
  const { ProxyServer } = await import('./server.js');
  const { Logger } = await import('./logger.js');
  const { defaultServiceOptions, defaultTargetOptions } = await import('./options.js');
  const server = new ProxyServer({ bind: '127.0.0.1', httpPort: 0, httpsPort: 0, metricsPort: 0, socketPath: join(dir.path, 's.sock'), statePath: null, debug: false, shutdownTimeoutMs: 500 }, new Logger(false, (l) => lines.push(l)));
  const target = await startTarget('t', (req, res) => (req.url === '/up' ? res.end() : undefined));
  await server.start();
  try {
    await server.router.deploy({ service: 'svc', targets: [target.address], readers: [], deployment: { deployTimeoutMs: 2000, drainTimeoutMs: 100, force: false }, serviceOptions: defaultServiceOptions(), targetOptions: defaultTargetOptions() });
    const req = http.get({ host: '127.0.0.1', port: server.httpPort, path: '/hang', agent: false });
    req.on('error', () => undefined);
    await waitFor('the request to reach the target', () => arrived(target, '/hang') === 1);
    req.destroy();
    const logged = (): { status?: number; service?: string } | undefined =>
      lines.map((l) => JSON.parse(l) as { msg: string; path: string; status?: number; service?: string }).find((l) => l.msg === 'Request' && l.path === '/hang');
    await waitFor('the request log line', () => logged() !== undefined);
    const log = logged();
    assert.equal(log?.status, 499);
    assert.equal(log?.service, 'svc');
  } finally {
    await server.stop();
    await target.close();
    dir.remove();
  }
});

