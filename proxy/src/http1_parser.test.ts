/** The fast path's HTTP/1.1 head parser: what it accepts, what it leaves to node:http, node's header merge rules. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { parseRequestHead, parseResponseHead, ChunkedDecoder, UpstreamProtocolError, MAX_HEAD_BYTES } from './http1_parser.js';

const req = (text: string): ReturnType<typeof parseRequestHead> => parseRequestHead(Buffer.from(text, 'latin1'));

test('request head: common keep-alive requests parsed with node-style headers', () => {
  const r = req('GET /a?b=1 HTTP/1.1\r\nHost: x.com\r\nAccept: a\r\naccept: b\r\nCookie: c=1\r\ncookie: d=2\r\nHost-Extra:  v  \r\nUser-Agent: u1\r\nUser-Agent: u2\r\n\r\nNEXT');
  assert.ok(r && r !== 'incomplete');
  assert.equal(r.method, 'GET');
  assert.equal(r.url, '/a?b=1');
  assert.deepEqual({ ...r.headers }, { host: 'x.com', accept: 'a, b', cookie: 'c=1; d=2', 'host-extra': 'v', 'user-agent': 'u1' });
  assert.equal(r.contentLength, 0);
  assert.equal(r.headLength, Buffer.byteLength('GET /a?b=1 HTTP/1.1\r\nHost: x.com\r\nAccept: a\r\naccept: b\r\nCookie: c=1\r\ncookie: d=2\r\nHost-Extra:  v  \r\nUser-Agent: u1\r\nUser-Agent: u2\r\n\r\n'));
  const post = req('POST /x HTTP/1.1\r\nHost: h\r\nContent-Length: 5\r\nConnection: Keep-Alive\r\nX-Latin: caf\xe9\r\n\r\nhello');
  assert.ok(post && post !== 'incomplete');
  assert.equal(post.contentLength, 5);
  assert.equal(post.headers['x-latin'], 'caf\xe9');
  const empty = req('GET / HTTP/1.1\r\nHost: h\r\nX-Empty:\r\n\r\n');
  assert.ok(empty && empty !== 'incomplete');
  assert.equal(empty.headers['x-empty'], '');
});

test('request head: incomplete until the blank line', () => {
  assert.equal(req('GET / HTTP/1.1\r\nHost: x'), 'incomplete');
  assert.equal(req('GET / HTTP/1.1\r\nHost: x\r\n\r'), 'incomplete');
  assert.equal(req(''), 'incomplete');
});

test('request head: everything unusual is left to node:http (null)', () => {
  const refused = [
    'GET / HTTP/1.0\r\nHost: x\r\n\r\n',
    'GET http://x/ HTTP/1.1\r\nHost: x\r\n\r\n',
    'OPTIONS * HTTP/1.1\r\nHost: x\r\n\r\n',
    'PROPFIND / HTTP/1.1\r\nHost: x\r\n\r\n',
    'get / HTTP/1.1\r\nHost: x\r\n\r\n',
    'GET / HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n',
    'GET / HTTP/1.1\r\nHost: x\r\nConnection: Upgrade\r\nUpgrade: websocket\r\n\r\n',
    'GET / HTTP/1.1\r\nHost: x\r\nUpgrade: h2c\r\n\r\n',
    'POST / HTTP/1.1\r\nHost: x\r\nExpect: 100-continue\r\nContent-Length: 1\r\n\r\n',
    'GET / HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n',
    'GET / HTTP/1.1\r\nHost: x\r\nConnection: keep-alive, x-foo\r\n\r\n',
    'GET / HTTP/1.1\r\nHost: x\r\nHost: y\r\n\r\n',
    'GET / HTTP/1.1\r\nAccept: */*\r\n\r\n',
    'POST / HTTP/1.1\r\nHost: x\r\nContent-Length: 1\r\nContent-Length: 1\r\n\r\n',
    'POST / HTTP/1.1\r\nHost: x\r\nContent-Length: -1\r\n\r\n',
    'POST / HTTP/1.1\r\nHost: x\r\nContent-Length: 1x\r\n\r\n',
    'GET / HTTP/1.1\r\nHost : x\r\n\r\n',
    'GET / HTTP/1.1\r\nHost: x\r\n folded\r\n\r\n',
    'GET / HTTP/1.1\r\nX: a\nY: b\r\n\r\n',
    'GET / HTTP/1.1\r\nX: a\0b\r\n\r\n',
    'GET /a b HTTP/1.1\r\nHost: x\r\n\r\n',
    'GET / HTTP/1.1\r\nno-colon\r\n\r\n',
    `GET / HTTP/1.1\r\nX: ${'a'.repeat(MAX_HEAD_BYTES)}\r\n\r\n`,
    `GET / HTTP/1.1\r\nHost: x\r\n${'a:\r\n'.repeat(2000)}\r\n`,
  ];
  for (const text of refused) assert.equal(req(text), null, JSON.stringify(text.slice(0, 80)));
  assert.equal(req(`GET / HTTP/1.1\r\nX: ${'a'.repeat(MAX_HEAD_BYTES + 10)}`), null, 'oversized and incomplete');
});

test('response head: framing, keep-alive and node-style headers', () => {
  const r = parseResponseHead(Buffer.from('HTTP/1.1 200 OK\r\nContent-Length: 3\r\nSet-Cookie: a=1\r\nSet-Cookie: b=2\r\nVary: x\r\nVary: y\r\n\r\nabc'), 'GET');
  assert.ok(r !== 'incomplete');
  assert.deepEqual([r.status, r.statusMessage, r.framing, r.contentLength, r.keepAlive], [200, 'OK', 'length', 3, true]);
  assert.deepEqual(r.headers['set-cookie'], ['a=1', 'b=2']);
  assert.equal(r.headers.vary, 'x, y');
  const chunked = parseResponseHead(Buffer.from('HTTP/1.1 201 Created\r\nTransfer-Encoding: chunked\r\n\r\n'), 'POST');
  assert.ok(chunked !== 'incomplete' && chunked.framing === 'chunked' && chunked.keepAlive);
  const close = parseResponseHead(Buffer.from('HTTP/1.1 200 OK\r\n\r\n'), 'GET');
  assert.ok(close !== 'incomplete' && close.framing === 'close' && !close.keepAlive);
  const connClose = parseResponseHead(Buffer.from('HTTP/1.1 200 OK\r\nContent-Length: 0\r\nConnection: close\r\n\r\n'), 'GET');
  assert.ok(connClose !== 'incomplete' && !connClose.keepAlive);
  const old = parseResponseHead(Buffer.from('HTTP/1.0 200 OK\r\nContent-Length: 0\r\n\r\n'), 'GET');
  assert.ok(old !== 'incomplete' && !old.keepAlive);
  const head = parseResponseHead(Buffer.from('HTTP/1.1 200 OK\r\nContent-Length: 99\r\n\r\n'), 'HEAD');
  assert.ok(head !== 'incomplete' && head.framing === 'length' && head.contentLength === 0);
  const noContent = parseResponseHead(Buffer.from('HTTP/1.1 204 No Content\r\nTransfer-Encoding: chunked\r\n\r\n'), 'GET');
  assert.ok(noContent !== 'incomplete' && noContent.contentLength === 0 && noContent.framing === 'length');
  const noReason = parseResponseHead(Buffer.from('HTTP/1.1 404\r\nContent-Length: 0\r\n\r\n'), 'GET');
  assert.ok(noReason !== 'incomplete' && noReason.status === 404 && noReason.statusMessage === '');
  assert.equal(parseResponseHead(Buffer.from('HTTP/1.1 200 OK\r\n'), 'GET'), 'incomplete');
});

test('response head: malformed heads are protocol errors', () => {
  for (const text of [
    'HTTP/2 200 OK\r\n\r\n', 'HTTP/1.1 20 OK\r\n\r\n', 'HTTP/1.1 200 OK\r\nBad Header\r\n\r\n',
    'HTTP/1.1 200 OK\r\nContent-Length: x\r\n\r\n', 'HTTP/1.1 200 OK\r\nContent-Length: 1\r\nContent-Length: 1\r\n\r\n',
  ]) {
    assert.throws(() => parseResponseHead(Buffer.from(text), 'GET'), UpstreamProtocolError, JSON.stringify(text));
  }
});

test('chunked decoder: pieces split anywhere, extensions, trailers dropped, bytes after the end returned', () => {
  const body = Buffer.from('5;ext=1\r\nhello\r\n6\r\n world\r\n0\r\nTrailer: x\r\n\r\nNEXT');
  for (let split = 1; split < body.length; split++) {
    const d = new ChunkedDecoder();
    const a = d.push(body.subarray(0, split));
    const b = d.push(body.subarray(split));
    assert.equal(Buffer.concat([...a.data, ...b.data]).toString(), 'hello world', `split at ${split}`);
    assert.ok(d.done);
    assert.equal(Buffer.concat([a.rest ?? Buffer.alloc(0), b.rest ?? Buffer.alloc(0)]).toString(), 'NEXT');
  }
  assert.throws(() => new ChunkedDecoder().push(Buffer.from('zz\r\n')), UpstreamProtocolError);
  assert.throws(() => new ChunkedDecoder().push(Buffer.from('1\r\naXX\r\n')), UpstreamProtocolError);
  assert.throws(() => new ChunkedDecoder().push(Buffer.from('1\na\r\n')), UpstreamProtocolError);
});
