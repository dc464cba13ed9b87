import WebSocket from 'ws';
import { UserError } from '@drover/shared';
import { MAX_FRAME_BYTES } from '@drover/shared/protocol/limits';
import { connectPinned } from '@drover/shared/protocol/pin';
import { AttachEnd, KEEPALIVE_HEADER, STREAM_KEEPALIVE_MS, attachPath, type AttachControl, type AttachStart, type TtySize } from '../server/operator-api.js';
import { errorOf, errorOfBody } from './api-errors.js';
import { idleLimit } from './follow-client.js';
import type { OperatorClient } from './operator-client.js';
import type { OperatorCredentials } from './operator-config.js';

export interface AttachOptions {
  /**
   * What the operator types (e.g. `process.stdin`, in raw mode for a TTY). Its end is sent as eof (the
   * command's stdin closes unless it has a TTY). Omitted: eof at once. Left paused, never closed.
   */
  input?: NodeJS.ReadableStream;
  /**
   * Where the command's output goes: a Writable (`process.stdout`: its backpressure is respected, and it is
   * drained before the promise resolves) or anything with a `write` (a CLI's `io.write`).
   */
  output: AttachOutput;
  /** The terminal's size at the start. */
  size?: TtySize;
  /** Subscribes to terminal resizes (e.g. `process.stdout.on('resize', …)`); may return an unsubscribe function. */
  onResize?(send: (size: TtySize) => void): unknown;
  /** Aborting ends the session (the controller cancels the call); the promise rejects with the reason. */
  signal?: AbortSignal;
  /** A deadline for the whole session; none by default. */
  timeoutMs?: number;
  /** The call's whole result (e.g. `{exitCode, container}` of `app.exec`), before the promise resolves. */
  onResult?(result: unknown): void;
}

export interface AttachOutput {
  /** `false` (a Writable's "buffer full") pauses the session until `drain`; anything else goes on. */
  write(chunk: Buffer): unknown;
  once?(event: 'drain', listener: () => void): unknown;
  writableNeedDrain?: boolean;
}

/** Input buffered towards the controller beyond which `input` is paused. */
const INPUT_HIGH_WATER = 256 * 1024;
const MAX_INPUT_FRAME = 256 * 1024;

/**
 * Attaches the operator's terminal to an agent's exec stream (`app.exec` / `accessory.exec`, with
 * `interactive` and `tty` as the caller sets them) through the controller's websocket
 * `GET /v1/agents/:name/attach`, and resolves to the command's exit code (a UserError when the call fails:
 * the agent's message, details and exit code; refused credentials exit 77).
 */
export function attachExec(client: OperatorClient, name: string, method: string, params: unknown, opts: AttachOptions): Promise<number> {
  return client.attachExec(name, method, params, opts);
}

/** `attachExec` with explicit credentials (what `OperatorClient.attachExec` runs). */
export function attachExecWith(creds: OperatorCredentials, name: string, method: string, params: unknown, opts: AttachOptions): Promise<number> {
  const url = new URL(attachPath(name), creds.controller.replace(/^http/, 'ws'));
  const pin = url.protocol === 'wss:' ? creds.fingerprint : null;
  const ws = new WebSocket(url, {
    headers: { authorization: `Bearer ${creds.token}` },
    maxPayload: MAX_FRAME_BYTES, perMessageDeflate: false, handshakeTimeout: 30_000,
    ...(pin ? {
      createConnection: (o: { host?: string; port?: number | string; servername?: string }) =>
        connectPinned({ host: String(o.host), port: Number(o.port) || 443, servername: o.servername || undefined, alpn: ['http/1.1'] }, pin, () => undefined),
    } : {}),
  } as WebSocket.ClientOptions);
  const { input, output } = opts;
  const cleanups: (() => void)[] = [];
  let opened = false;

  return new Promise<number>((resolve, reject) => {
    let settled = false;
    const settle = (fn: () => void) => {
      if (settled) return;
      settled = true;
      for (const c of cleanups.splice(0)) c();
      fn();
    };
    const fail = (err: unknown) => settle(() => {
      reject(err);
      ws.terminate();
    });
    const send = (frame: AttachStart | AttachControl) => { if (ws.readyState === ws.OPEN) ws.send(JSON.stringify(frame)); };

    if (opts.signal) {
      if (opts.signal.aborted) return fail(opts.signal.reason);
      const onAbort = () => fail(opts.signal!.reason);
      opts.signal.addEventListener('abort', onAbort, { once: true });
      cleanups.push(() => opts.signal!.removeEventListener('abort', onAbort));
    }

    ws.on('unexpected-response', (req, res) => {
      let text = '';
      res.setEncoding('utf8');
      res.on('data', (d: string) => { if (text.length < 64 * 1024) text += d; });
      res.on('end', () => {
        let json: unknown = null;
        try { json = JSON.parse(text); } catch { /* errorOf reports the status */ }
        fail(errorOf(res.statusCode ?? 500, json));
        req.destroy();
      });
    });

    let keepaliveMs = STREAM_KEEPALIVE_MS;
    let lastHeard = Date.now();
    ws.on('upgrade', (res) => { keepaliveMs = Number(res.headers[KEEPALIVE_HEADER]) || STREAM_KEEPALIVE_MS; });
    ws.on('ping', () => { lastHeard = Date.now(); });

    ws.on('open', () => {
      opened = true;
      send({ method, params, size: opts.size, timeoutMs: opts.timeoutMs });
      const idleMs = idleLimit(keepaliveMs);
      const watchdog = setInterval(() => {
        if (ws.isPaused) lastHeard = Date.now(); // waiting for our own output, not for the controller
        if (Date.now() - lastHeard > idleMs) fail(new UserError(`lost the connection to controller ${creds.controller}: nothing received for ${Math.round(idleMs / 1000)} s`));
      }, Math.min(keepaliveMs, 5000));
      cleanups.push(() => clearInterval(watchdog));
      const unsubscribe = opts.onResize?.((size) => send({ resize: size }));
      if (typeof unsubscribe === 'function') cleanups.push(() => { (unsubscribe as () => void)(); });
      if (!input) return send({ eof: true });
      let pausedByUs = false;
      const onData = (chunk: Buffer | string) => {
        let buf = typeof chunk === 'string' ? Buffer.from(chunk, 'utf8') : chunk;
        while (buf.length > 0 && ws.readyState === ws.OPEN) {
          const part = buf.subarray(0, MAX_INPUT_FRAME);
          buf = buf.subarray(part.length);
          ws.send(part, { binary: true }, () => {
            if (pausedByUs && ws.bufferedAmount < INPUT_HIGH_WATER / 2) { pausedByUs = false; input.resume(); }
          });
        }
        if (ws.bufferedAmount > INPUT_HIGH_WATER && !pausedByUs) { pausedByUs = true; input.pause(); }
      };
      const onEnd = () => send({ eof: true });
      input.on('data', onData);
      input.once('end', onEnd);
      input.resume();
      cleanups.push(() => { input.off('data', onData); input.off('end', onEnd); input.pause(); });
    });

    ws.on('message', (data, isBinary) => {
      lastHeard = Date.now();
      const buf = Array.isArray(data) ? Buffer.concat(data) : Buffer.isBuffer(data) ? data : Buffer.from(data);
      if (isBinary) {
        const flowing = output.write(buf) !== false;
        lastHeard = Date.now(); // a terminal write may block (a paused tty): that time is not the controller's
        if (!flowing && output.once && !ws.isPaused) {
          ws.pause();
          output.once('drain', () => ws.resume());
        }
        return;
      }
      let end: AttachEnd | null = null;
      try { end = AttachEnd.parse(JSON.parse(buf.toString('utf8'))); } catch { end = null; }
      if (!end) return fail(new UserError(`controller ${creds.controller}: unexpected frame on the attached session`));
      if ('error' in end) return fail(errorOfBody(end.error));
      const code = end.exit;
      opts.onResult?.(end.result);
      // Everything before the exit frame was output: let it reach the terminal first.
      settle(() => {
        ws.close(1000);
        const done = () => resolve(code);
        if (output.writableNeedDrain && output.once) output.once('drain', done);
        else done();
      });
    });

    ws.on('error', (err) => {
      const cause = (err as { cause?: Error }).cause ?? err;
      if (!opened) fail(new UserError(`cannot reach controller ${creds.controller}: ${cause.message}`));
    });
    ws.on('close', (code, reason) => {
      fail(new UserError(`lost the connection to controller ${creds.controller} (${code}${reason.length ? `: ${reason.toString()}` : ''})`));
    });
  });
}
