/**
 * A target's response with ambiguous framing (Content-Length and Transfer-Encoding, or a final
 * transfer-coding other than chunked) is refused with 502 on both paths, so bytes the target put
 * in its body can never reach the client as a response of their own (RFC 9112 §6.3).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import net, { type AddressInfo } from 'node:net';
import { startProxy } from './test_support.js';
import { RawClient } from './test_raw_client.js';

const SMUGGLED = 'HTTP/1.1 200 OK\r\nContent-Length: 8\r\n\r\nSMUGGLED';

const ANSWERS: Record<string, string> = {
  'length and chunked': `HTTP/1.1 200 OK\r\nContent-Length: 0\r\nTransfer-Encoding: chunked\r\n\r\n${SMUGGLED.length.toString(16)}\r\n${SMUGGLED}\r\n0\r\n\r\n`,
  'chunked and length': `HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\nContent-Length: 0\r\n\r\n${SMUGGLED.length.toString(16)}\r\n${SMUGGLED}\r\n0\r\n\r\n`,
  'length and gzip': `HTTP/1.1 200 OK\r\nContent-Length: 0\r\nTransfer-Encoding: gzip\r\n\r\n${SMUGGLED}`,
  'gzip alone': `HTTP/1.1 200 OK\r\nTransfer-Encoding: gzip\r\n\r\n${SMUGGLED}`,
};

/** A raw target: `/up` is healthy, `/<case>` gets ANSWERS[case] (the connection is then left open). */
async function rawTarget(): Promise<{ address: string; close(): void }> {
  const sockets = new Set<net.Socket>();
  const server = net.createServer((socket) => {
    sockets.add(socket);
    socket.on('error', () => undefined);
    let pending = '';
    socket.on('data', (d: Buffer) => {
      pending += d.toString('latin1');
      for (let end = pending.indexOf('\r\n\r\n'); end >= 0; end = pending.indexOf('\r\n\r\n')) {
        const path = decodeURIComponent(/^GET (\S+)/.exec(pending)?.[1] ?? '/').slice(1);
        pending = pending.slice(end + 4);
        socket.write(path === 'up' ? 'HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nup' : ANSWERS[path] ?? 'HTTP/1.1 404 Not Found\r\nContent-Length: 0\r\n\r\n');
      }
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  return {
    address: `127.0.0.1:${(server.address() as AddressInfo).port}`,
    close: () => { for (const s of sockets) s.destroy(); server.close(); },
  };
}

for (const fastPath of [true, false]) {
  test(`ambiguous response framing from the target is a 502 and smuggles nothing (${fastPath ? 'fast path' : 'node:http'})`, async () => {
    const target = await rawTarget();
    const proxy = await startProxy({ fastPath });
    try {
      await proxy.deploy('svc', [target.address], { service: { hosts: ['app.test'] } });
      for (const name of Object.keys(ANSWERS)) {
        const client = await RawClient.connect(proxy.port);
        await client.write(`GET /${encodeURIComponent(name)} HTTP/1.1\r\nHost: app.test\r\n\r\n`);
        const [first] = await client.untilResponses(1);
        // The next request on the same keep-alive connection must get its own answer, not the target's body.
        await client.write('GET /up HTTP/1.1\r\nHost: app.test\r\n\r\n');
        const answers = await client.untilResponses(2);
        client.destroy();
        assert.equal(first?.status, 502, `${name}: ${client.text.slice(0, 300)}`);
        assert.ok(!client.text.includes('SMUGGLED'), `${name}: ${client.text}`);
        assert.deepEqual(answers.map((r) => [r.status, r.body]), [[502, answers[0]!.body], [200, 'up']], name);
      }
    } finally {
      await proxy.stop();
      target.close();
    }
  });
}
