/**
 * At least 200 bad frames of varied kinds. `reply` says what a correct peer
 * answers after authentication: an `error` message, or nothing at all
 * (well-formed frames that refer to unknown calls are ignored).
 */
export function malformedFrames(): { frame: string | Buffer; reply: 'error' | 'none' }[] {
  const out: { frame: string | Buffer; reply: 'error' | 'none' }[] = [];
  const err = (frame: string | Buffer) => out.push({ frame, reply: 'error' });
  const bad = ['{', '}', '{"t":', 'nul', 'undefined', '{"t":"req",}', "{'t':'req'}", '\u0000\u0001', '{"t":"req"', '[1,2', '"unterminated', '{"a":1}}'];
  for (let i = 0; i < 3; i++) for (const b of bad) err(b + ' '.repeat(i));                       // 36 invalid JSON
  for (const v of ['null', '1', '"str"', 'true', '[]', '[{"t":"req"}]', '3.14', '""']) for (let i = 0; i < 3; i++) err(v); // 24 non-objects
  for (let i = 0; i < 30; i++) err(JSON.stringify({ t: `bogus${i}`, id: 'x' }));                   // 30 unknown types
  err(JSON.stringify({ id: 'x' }));
  err(JSON.stringify({ t: 42 }));
  err(JSON.stringify({ t: null }));
  const schema: object[] = [
    { t: 'req' }, { t: 'req', id: '', method: 'x', deadline: 1 }, { t: 'req', id: 'a', method: 'bad method!', deadline: 1 },
    { t: 'req', id: 'a', method: 'x', deadline: -5 }, { t: 'req', id: 'a', method: 'x', deadline: 'soon' }, { t: 'req', id: 'x'.repeat(65), method: 'x', deadline: 1 },
    { t: 'req', id: 'a', method: 'x', deadline: 1, extra: true }, { t: 'req', id: 'a', method: 'x', deadline: 1, stream: 'yes' },
    { t: 'res' }, { t: 'res', id: 'a' }, { t: 'res', id: 'a', ok: 'yes' }, { t: 'res', id: 'a', ok: false, error: { code: 1 } },
    { t: 'cancel' }, { t: 'cancel', id: 5 }, { t: 'data', id: 'a' }, { t: 'data', id: 'a', enc: 'hex', chunk: '00' },
    { t: 'data', id: 'a', enc: 'utf8', chunk: 5 }, { t: 'credit', id: 'a', bytes: -1 }, { t: 'credit', id: 'a', bytes: 1.5 },
    { t: 'credit', id: 'a', bytes: 1e12 }, { t: 'eof' }, { t: 'ctl', id: 'a', resize: { cols: 0, rows: 10 } },
    { t: 'ctl', id: 'a', resize: { cols: 'wide' } }, { t: 'inventory' }, { t: 'inventory', hostname: 'h' },
    { t: 'event' }, { t: 'event', kind: '', at: 1 }, { t: 'event', kind: 'x', at: -1 }, { t: 'error' }, { t: 'error', code: 'x' },
  ];
  for (let i = 0; i < 3; i++) for (const s of schema) err(JSON.stringify(s));                      // 90 schema violations
  for (let i = 0; i < 10; i++) err(Buffer.from([0xde, 0xad, 0xbe, 0xef, i]));                        // 10 binary frames
  err(JSON.stringify({ t: 'req', id: 'a', method: 'x', deadline: 1, params: { deep: 'y'.repeat(100) } }).replace('"req"', '"REQ"'));
  err('\uFEFF{"t":"req","id":"a","method":"x","deadline":1}');
  // Well-formed but pointless: unknown ids are ignored, never answered (no error ping-pong).
  for (let i = 0; i < 10; i++) out.push({ frame: JSON.stringify({ t: 'res', id: `zz${i}`, ok: true }), reply: 'none' });
  for (let i = 0; i < 5; i++) out.push({ frame: JSON.stringify({ t: 'credit', id: `zz${i}`, bytes: 10 }), reply: 'none' });
  for (let i = 0; i < 5; i++) out.push({ frame: JSON.stringify({ t: 'data', id: `zz${i}`, enc: 'utf8', chunk: 'x' }), reply: 'none' });
  return out;
}
