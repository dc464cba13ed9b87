/** The fast path's upstream client: request heads as node writes them, pooling, framing, failures. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import net from 'node:net';
import http from 'node:http';
import { serializeRequestHead, UpstreamExchange, UpstreamPool } from './upstream_client.js';
import type { ResponseHead } from './http1_parser.js';
import { waitFor } from './test_support.js';

/** A raw server: `answer` gets each request head (text) and the socket; records connections. */
async function rawServer(answer: (head: string, socket: net.Socket) => void): Promise<{ port: number; connections: number; heads: string[]; close(): Promise<void> }> {
  const state = { port: 0, connections: 0, heads: [] as string[], close: async () => {} };
  const sockets = new Set<net.Socket>();
  const server = net.createServer((socket) => {
    state.connections++;
    sockets.add(socket);
    let buf = '';
    socket.on('data', (d) => {
      buf += d.toString('latin1');
      let end: number;
      while ((end = buf.indexOf('\r\n\r\n')) >= 0) {
        const head = buf.slice(0, end + 4);
        buf = buf.slice(end + 4);
        state.heads.push(head);
        answer(head, socket);
      }
    });
    socket.on('error', () => {});
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  state.port = (server.address() as net.AddressInfo).port;
  state.close = () => new Promise((r) => { for (const s of sockets) s.destroy(); server.close(() => r()); });
  return state;
}

function run(pool: UpstreamPool, method: string, head: string): Promise<{ head: ResponseHead; body: string; error: string | null }> {
  return new Promise((resolve) => {
    let response: ResponseHead | null = null;
    let body = '';
    new UpstreamExchange(pool, method, head, null, {
      response: (h) => { response = h; },
      data: (c) => { body += c.toString(); return true; },
      end: () => resolve({ head: response!, body, error: null }),
      error: (err) => resolve({ head: response!, body, error: err.code ?? err.message }),
    }).start();
  });
}

test('request heads are serialized as node ClientRequest writes them', async () => {
  const cases: Array<[string, http.OutgoingHttpHeaders]> = [
    ['GET', { accept: 'a', 'x-multi': ['1', '2'], 'x-latin': 'caf\xe9' }],
    ['POST', { host: 'h.test', 'content-type': 'text/plain' }],
    ['DELETE', { host: 'h.test' }],
    ['PUT', { host: 'h.test', 'content-length': '0' }],
  ];
  const server = await rawServer((_h, s) => s.write('HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n'));
  const agent = new http.Agent({ keepAlive: true });
  try {
    for (const [method, headers] of cases) {
      await new Promise<void>((resolve, reject) => {
        const r = http.request({ host: '127.0.0.1', port: server.port, method, path: '/p?q', headers, agent }, (res) => { res.resume(); res.on('end', resolve); });
        r.on('error', reject);
        r.end();
      });
      assert.equal(serializeRequestHead(method, '/p?q', headers, '127.0.0.1', server.port), server.heads.at(-1), method);
    }
  } finally {
    agent.destroy();
    await server.close();
  }
});

test('pooled connections are reused only after a clean keep-alive response', async () => {
  const server = await rawServer((head, s) => {
    const path = head.split(' ')[1];
    if (head.startsWith('HEAD ')) s.write('HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\n');
    else if (path === '/close') s.write('HTTP/1.1 200 OK\r\nContent-Length: 2\r\nConnection: close\r\n\r\nok');
    else if (path === '/info') s.write('HTTP/1.1 103 Early Hints\r\nLink: </a>\r\n\r\nHTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n3\r\nabc\r\n0\r\n\r\n');
    else if (path === '/extra') s.write('HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nokJUNK');
    else if (path === '/end') s.end('HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok');
    else if (path === '/bad') s.write('HTTP/1.1 200 OK\r\nContent-Length: nope\r\n\r\n');
    else if (path === '/hangup') s.destroy();
    else s.write('HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok');
  });
  const pool = new UpstreamPool('127.0.0.1', server.port);
  const req = (path: string): string => serializeRequestHead('GET', path, { host: 'x' }, '127.0.0.1', server.port);
  try {
    assert.equal((await run(pool, 'GET', req('/a'))).body, 'ok');
    assert.equal((await run(pool, 'GET', req('/b'))).body, 'ok');
    assert.equal(server.connections, 1, 'reused');
    const info = await run(pool, 'GET', req('/info'));
    assert.deepEqual([info.head.status, info.body], [200, 'abc']);
    assert.equal(server.connections, 1, 'reused after a 1xx and a chunked body');
    await run(pool, 'GET', req('/close'));
    assert.equal(pool.idleCount, 0, 'Connection: close is not pooled');
    await run(pool, 'GET', req('/extra'));
    assert.equal(pool.idleCount, 0, 'stray bytes after the body: not pooled');
    await run(pool, 'GET', req('/end'));
    await waitFor('the half-closed connection to leave the pool', () => pool.idleCount === 0);
    assert.equal((await run(pool, 'GET', req('/bad'))).error, 'HPE_INVALID');
    const hangup = await run(pool, 'GET', req('/hangup'));
    assert.equal(hangup.error, 'ECONNRESET');
    assert.equal(hangup.head, null);
    const head = await run(pool, 'HEAD', serializeRequestHead('HEAD', '/a', { host: 'x' }, '127.0.0.1', server.port));
    assert.equal(head.body, '', 'a HEAD answer with Content-Length has no body');
    const before = server.connections;
    assert.equal((await run(pool, 'GET', req('/a'))).body, 'ok');
    assert.equal(server.connections, before, 'reused after HEAD');
  } finally {
    pool.destroy();
    await server.close();
  }
});

test('an unreachable target fails the exchange with the connect error', async () => {
  const server = net.createServer();
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const port = (server.address() as net.AddressInfo).port;
  await new Promise<void>((r) => server.close(() => r()));
  const pool = new UpstreamPool('127.0.0.1', port);
  const r = await run(pool, 'GET', serializeRequestHead('GET', '/', {}, '127.0.0.1', port));
  assert.equal(r.error, 'ECONNREFUSED');
});
