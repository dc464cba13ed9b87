/**
 * request_target.ts on both paths: an absolute-form target is routed by its own host and reaches
 * the target as a plain path; two Host headers are a 400.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { startProxy, startTarget } from './test_support.js';
import { RawClient } from './test_raw_client.js';

for (const fastPath of [true, false]) {
  const label = fastPath ? 'fast path' : 'node:http';

  test(`absolute-form targets are routed by their own host and forwarded in origin-form (${label})`, async () => {
    const proxy = await startProxy({ fastPath });
    const app = await startTarget('app', (req, res) => res.end(JSON.stringify({ url: req.url, host: req.headers.host })));
    const other = await startTarget('other');
    try {
      await proxy.deploy('app', [app.address], { service: { hosts: ['app.test'] } });
      await proxy.deploy('other', [other.address], { service: { hosts: ['other.test'] } });
      const client = await RawClient.connect(proxy.port);
      await client.write('GET http://app.test/path?q=1 HTTP/1.1\r\nHost: other.test\r\n\r\n');
      await client.write('GET HTTP://APP.TEST:8080?x HTTP/1.1\r\nHost: other.test\r\n\r\n');
      await client.write('GET ftp://app.test/ HTTP/1.1\r\nHost: app.test\r\n\r\n');
      const answers = await client.untilResponses(3);
      client.destroy();
      assert.deepEqual(answers.map((r) => [r.status, r.body]), [
        [200, JSON.stringify({ url: '/path?q=1', host: 'app.test' })],
        [200, JSON.stringify({ url: '/?x', host: 'APP.TEST:8080' })],
        [400, ''],
      ], client.text.slice(0, 500));
    } finally {
      await proxy.stop();
      await app.close();
      await other.close();
    }
  });

  test(`two Host headers are a 400 (${label})`, async () => {
    const proxy = await startProxy({ fastPath });
    const app = await startTarget('app');
    try {
      await proxy.deploy('app', [app.address], { service: { hosts: ['app.test'] } });
      for (const hosts of ['Host: app.test\r\nHost: evil.test', 'Host: app.test\r\nhost: app.test']) {
        const client = await RawClient.connect(proxy.port);
        await client.write(`GET / HTTP/1.1\r\n${hosts}\r\n\r\n`);
        const [answer] = await client.untilResponses(1);
        await client.untilClosed();
        assert.equal(answer?.status, 400, client.text);
      }
      assert.equal(app.requests.filter((r) => r.url !== '/up').length, 0);
    } finally {
      await proxy.stop();
      await app.close();
    }
  });
}
