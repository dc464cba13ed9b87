import { BLOB_CLAIM_TIMEOUT_MS, MAX_FRAME_BYTES, MAX_PENDING_BLOB_BYTES, MAX_RPC_PAYLOAD_BYTES } from './limits.js';
import { RpcError, RpcErrorCode } from './rpc-error.js';
import type { CallContext } from './session.js';

/**
 * Reserved method a session calls on its peer to carry params or a result that do not fit one frame: the
 * JSON travels on the call's stream (credit flow control, ≤ 256 KiB a frame), the peer keeps it under the
 * upload's request id, and the request or answer that follows names that id (`paramsBlob`, `resultBlob`).
 */
export const BLOB_METHOD = 'rpc.blob';

/** Size in bytes of a frame's UTF-8 encoding, without encoding it when the length alone decides. */
export function frameBytes(frame: string): number {
  if (frame.length > MAX_FRAME_BYTES || frame.length * 3 <= MAX_FRAME_BYTES) return frame.length;
  return Buffer.byteLength(frame, 'utf8');
}

export function fitsFrame(frame: string): boolean {
  return frameBytes(frame) <= MAX_FRAME_BYTES;
}

/** "3.2 MiB" for messages a person reads. */
export function formatBytes(bytes: number): string {
  return bytes >= 1024 * 1024 ? `${(bytes / (1024 * 1024)).toFixed(1)} MiB` : `${Math.ceil(bytes / 1024)} KiB`;
}

/** The error a call gets when its params or result are over MAX_RPC_PAYLOAD_BYTES. */
export function payloadTooLarge(method: string, what: 'params' | 'result', bytes: number): RpcError {
  return new RpcError(RpcErrorCode.TooLarge, `${method}: ${what} of ${formatBytes(bytes)} (${bytes} bytes) ${what === 'params' ? 'are' : 'is'} over the ${formatBytes(MAX_RPC_PAYLOAD_BYTES)} limit of one call`);
}

interface Parked {
  data: Buffer;
  timer: NodeJS.Timeout;
}

/**
 * Blobs the peer uploaded for calls it is about to make or answer. Bounded: one blob is at most
 * MAX_RPC_PAYLOAD_BYTES, a session parks at most MAX_PENDING_BLOB_BYTES, and an unclaimed blob is dropped
 * after BLOB_CLAIM_TIMEOUT_MS.
 */
export class BlobInbox {
  private readonly parked = new Map<string, Parked>();
  private bytes = 0;
  /** Bytes of uploads still arriving, counted against the session's budget as they come. */
  private arriving = 0;

  /** Serves an `rpc.blob` upload: reads the stream whole, within the limits, and parks it. */
  async receive(ctx: CallContext): Promise<{ bytes: number }> {
    if (!ctx.stream) throw new RpcError(RpcErrorCode.InvalidParams, `${BLOB_METHOD} must be called with a stream`);
    const parts: Buffer[] = [];
    let size = 0;
    try {
      for await (const chunk of ctx.stream) {
        const part = typeof chunk === 'string' ? Buffer.from(chunk, 'utf8') : chunk;
        size += part.length;
        this.arriving += part.length;
        if (size > MAX_RPC_PAYLOAD_BYTES) throw payloadTooLarge(BLOB_METHOD, 'params', size);
        if (this.bytes + this.arriving > MAX_PENDING_BLOB_BYTES) throw new RpcError(RpcErrorCode.Busy, `${BLOB_METHOD}: more than ${formatBytes(MAX_PENDING_BLOB_BYTES)} of payloads waiting for their calls`);
        parts.push(part);
      }
    } finally {
      this.arriving -= size;
    }
    this.park(ctx.id, Buffer.concat(parts, size));
    return { bytes: size };
  }

  /** The blob uploaded as `id`, once (null when it never came or expired). */
  take(id: string): Buffer | null {
    const p = this.parked.get(id);
    if (!p) return null;
    this.drop(id, p);
    return p.data;
  }

  clear(): void {
    for (const [id, p] of this.parked) this.drop(id, p);
  }

  private park(id: string, data: Buffer): void {
    const timer = setTimeout(() => this.take(id), BLOB_CLAIM_TIMEOUT_MS);
    timer.unref();
    this.parked.set(id, { data, timer });
    this.bytes += data.length;
  }

  private drop(id: string, p: Parked): void {
    clearTimeout(p.timer);
    this.parked.delete(id);
    this.bytes -= p.data.length;
  }
}
