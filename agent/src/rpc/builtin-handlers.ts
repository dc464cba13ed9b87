import { setTimeout as sleep } from 'node:timers/promises';
import { z } from 'zod';
import { DROVER_VERSION } from '@drover/shared';
import { RpcError, RpcErrorCode } from '@drover/shared/protocol';
import { collectInventory } from '../host/host-info.js';
import { defineHandler, type AnyHandlerSpec } from './registry.js';

const none = z.object({}).strict();

/** Handlers every agent has: liveness and host facts. */
export const builtinHandlers: Record<string, AnyHandlerSpec> = {
  'agent.ping': defineHandler({
    params: none,
    run: async () => ({ pong: true, at: Date.now(), agentVersion: DROVER_VERSION }),
  }),

  'agent.info': defineHandler({
    params: none,
    run: async (_p, ctx) => {
      const inv = await collectInventory(ctx.docker);
      return { hostname: inv.hostname, agentVersion: inv.agentVersion, os: inv.os, arch: inv.arch, docker: inv.docker };
    },
  }),
};

/**
 * Stream and cancellation helpers for the transport tests (`test.generate` writes up to 1 GiB). Served only
 * by an agent started with DROVER_AGENT_TEST_HANDLERS=1 (the test harnesses set it), never in production.
 */
export const testHandlers: Record<string, AnyHandlerSpec> = {
  // Exec-like: echoes stdin back until eof; TTY resizes and signals are reported in-band.
  'test.echo': defineHandler({
    params: none,
    stream: 'required',
    run: async (_p, ctx) => {
      const stream = ctx.stream!;
      const notes: string[] = [];
      stream.onControl((c) => {
        if (c.resize) notes.push(`resize ${c.resize.cols}x${c.resize.rows}`);
        if (c.signal) notes.push(`signal ${c.signal}`);
      });
      let bytes = 0;
      for await (const chunk of stream) {
        if (ctx.signal.aborted) break;
        bytes += typeof chunk === 'string' ? Buffer.byteLength(chunk) : chunk.length;
        await stream.write(chunk);
      }
      return { bytes, notes };
    },
  }),

  // Produces `bytes` bytes as fast as flow control allows (pull progress / logs stand-in).
  'test.generate': defineHandler({
    params: z.object({ bytes: z.number().int().min(0).max(1024 * 1024 * 1024), chunkBytes: z.number().int().min(1).max(256 * 1024).default(16 * 1024) }).strict(),
    stream: 'required',
    run: async (p, ctx) => {
      let sent = 0;
      const block = Buffer.alloc(p.chunkBytes, 0x61);
      while (sent < p.bytes) {
        if (ctx.signal.aborted) throw ctx.signal.reason as Error;
        const n = Math.min(p.chunkBytes, p.bytes - sent);
        await ctx.stream!.write(block.subarray(0, n));
        sent += n;
      }
      return { bytes: sent };
    },
  }),

  // Large params and results (payloads over one frame travel as blob streams): reports what arrived, answers `resultBytes`.
  'test.payload': defineHandler({
    params: z.object({ data: z.string().default(''), resultBytes: z.number().int().min(0).max(64 * 1024 * 1024).default(0) }).strict(),
    run: async (p) => ({ received: p.data.length, data: 'r'.repeat(p.resultBytes) }),
  }),

  // Waits, honouring cancellation and the deadline (tests cancel propagation).
  'test.sleep': defineHandler({
    params: z.object({ ms: z.number().int().min(0).max(3_600_000) }).strict(),
    run: async (p, ctx) => {
      try {
        await sleep(p.ms, undefined, { signal: ctx.signal });
      } catch {
        const reason: unknown = ctx.signal.reason;
        throw reason instanceof RpcError ? reason : new RpcError(RpcErrorCode.Cancelled, 'test.sleep cancelled');
      }
      return { slept: p.ms };
    },
  }),
};
