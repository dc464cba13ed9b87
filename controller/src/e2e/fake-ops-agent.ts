import { INITIAL_STREAM_WINDOW, MAX_CHUNK_BYTES } from '@drover/shared/protocol';
import type { ControllerProc } from './harness.js';
import { RawConn, handshake, type RawIdentity } from './raw-agent.js';

/** One call the controller made on the fake agent, with everything it sent on the call's stream. */
export interface FakeCall {
  id: string;
  method: string;
  params: Record<string, unknown>;
  /** The call's deadline (epoch ms). */
  deadline: number;
  stream: boolean;
  input: Buffer[];
  controls: Array<{ resize?: { cols: number; rows: number }; signal?: string }>;
  eof: boolean;
  cancelled: boolean;
  /** Bytes this agent may still send (the controller's window). */
  credit: number;
  /** Total bytes sent on the stream so far. */
  sent: number;
  /** True while a send waits for the controller to grant credit. */
  blocked: boolean;
  done: boolean;
  creditWaiter: (() => void) | null;
  inputListener: ((chunk: Buffer) => void) | null;
}

/**
 * A protocol-level agent for the operator transport tests: it records every call and every stream frame
 * and lets a test answer by hand, honouring the stream's credit flow control as a real agent does.
 */
export class FakeOpsAgent {
  readonly calls: FakeCall[] = [];
  /** Called for each request; the default answers at once with `{}`. */
  onRequest: (call: FakeCall) => void = (call) => this.answer(call, {});
  conn!: RawConn;

  async connect(ctl: ControllerProc, identity: RawIdentity): Promise<void> {
    this.conn = new RawConn(ctl.url, ctl.fingerprint);
    await handshake(this.conn, identity);
    const welcome = await this.conn.next();
    if (welcome.t !== 'welcome') throw new Error(`no welcome: ${JSON.stringify(welcome)}`);
    this.conn.ws.on('message', (data) => this.onFrame(JSON.parse(data.toString()) as Record<string, unknown>));
  }

  /** The latest call of `method`. */
  last(method: string): FakeCall | undefined {
    return this.calls.filter((c) => c.method === method).at(-1);
  }

  answer(call: FakeCall, result: unknown): void {
    call.done = true;
    this.conn.send({ t: 'res', id: call.id, ok: true, result });
  }

  fail(call: FakeCall, error: { code: string; message: string; details?: unknown }): void {
    call.done = true;
    this.conn.send({ t: 'res', id: call.id, ok: false, error });
  }

  /** Writes on the call's stream, waiting for credit like a real agent (resolves false once the call is over). */
  async write(call: FakeCall, data: Buffer | string): Promise<boolean> {
    let buf = typeof data === 'string' ? Buffer.from(data) : data;
    while (buf.length > 0) {
      while (call.credit <= 0) {
        if (call.done || call.cancelled) return false;
        call.blocked = true;
        await new Promise<void>((r) => { call.creditWaiter = r; });
        call.blocked = false;
      }
      if (call.done || call.cancelled) return false;
      const n = Math.min(buf.length, call.credit, MAX_CHUNK_BYTES);
      this.conn.send({ t: 'data', id: call.id, enc: 'base64', chunk: buf.subarray(0, n).toString('base64') });
      call.credit -= n;
      call.sent += n;
      buf = buf.subarray(n);
    }
    return true;
  }

  private onFrame(m: Record<string, unknown>): void {
    const call = typeof m.id === 'string' ? this.calls.find((c) => c.id === m.id) : undefined;
    switch (m.t) {
      case 'req': {
        const c: FakeCall = {
          id: String(m.id), method: String(m.method), params: (m.params ?? {}) as Record<string, unknown>, deadline: Number(m.deadline), stream: m.stream === true,
          input: [], controls: [], eof: false, cancelled: false, credit: INITIAL_STREAM_WINDOW, sent: 0, blocked: false, done: false,
          creditWaiter: null, inputListener: null,
        };
        this.calls.push(c);
        this.onRequest(c);
        return;
      }
      case 'data': {
        if (!call) return;
        const chunk = m.enc === 'base64' ? Buffer.from(String(m.chunk), 'base64') : Buffer.from(String(m.chunk), 'utf8');
        call.input.push(chunk);
        this.conn.send({ t: 'credit', id: call.id, bytes: chunk.length });
        call.inputListener?.(chunk);
        return;
      }
      case 'eof': if (call) call.eof = true; return;
      case 'ctl': if (call) call.controls.push({ ...(m.resize ? { resize: m.resize as { cols: number; rows: number } } : {}), ...(m.signal ? { signal: String(m.signal) } : {}) }); return;
      case 'credit': {
        if (!call) return;
        call.credit += Number(m.bytes);
        const w = call.creditWaiter;
        call.creditWaiter = null;
        w?.();
        return;
      }
      case 'cancel': {
        if (!call) return;
        call.cancelled = true;
        const w = call.creditWaiter;
        call.creditWaiter = null;
        w?.();
        return;
      }
    }
  }
}
