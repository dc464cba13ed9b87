// Logs from several hosts: one block per host (`App Host: h`), or with --follow all hosts at once,
// each line prefixed with its host, until interrupted.
import type { OperationName } from '@drover/shared/operations';
import type { Invocation } from '../framework/spec.js';
import { onHosts, report } from '../hosts.js';
import { withClient } from '../with-client.js';

export interface LogCall {
  host: string;
  params: unknown;
}

export async function streamLogs(inv: Invocation, title: string, op: OperationName, calls: LogCall[], follow: boolean): Promise<number> {
  if (follow) return followLogs(inv, op, calls);
  const hosts = [...new Set(calls.map((c) => c.host))];
  const outcomes = await withClient(inv, (client) => onHosts(hosts, async (host) => {
    const chunks: string[] = [];
    for (const c of calls.filter((x) => x.host === host)) chunks.push((await client.rpcStream(host, op, c.params, Buffer.alloc(0))).output.toString('utf8').replace(/\n$/, ''));
    return chunks.join('\n');
  }));
  return report(inv, title, outcomes, (text) => text);
}

/** Splits a byte stream into lines and hands each complete one on. */
function lineSplitter(emit: (line: string) => void): { push(chunk: Buffer): void; end(): void } {
  let rest = '';
  return {
    push(chunk) {
      const lines = (rest + chunk.toString('utf8')).split('\n');
      rest = lines.pop() ?? '';
      for (const l of lines) emit(l);
    },
    end() {
      if (rest) emit(rest);
      rest = '';
    },
  };
}

async function followLogs(inv: Invocation, op: OperationName, calls: LogCall[]): Promise<number> {
  const width = Math.max(...calls.map((c) => c.host.length));
  const abort = new AbortController();
  const stop = () => abort.abort();
  process.once('SIGINT', stop);
  try {
    // Every (host, role) at once: a follow never ends by itself.
    const outcomes = await withClient(inv, (client) => Promise.all(calls.map(async (c) => {
      const prefix = calls.length > 1 && inv.globals.verbosity !== 'quiet' ? `${c.host.padEnd(width)} | ` : '';
      const lines = lineSplitter((line) => inv.io.out(prefix + line));
      const [outcome] = await onHosts([c.host], () => client.rpcFollow(c.host, op, c.params, { onOutput: (chunk) => lines.push(chunk), signal: abort.signal }).finally(() => lines.end()));
      return outcome!;
    })));
    for (const o of outcomes) if (!o.ok && !abort.signal.aborted) inv.io.err(`agent ${o.host}: ${o.error}`);
    return abort.signal.aborted || outcomes.every((o) => o.ok) ? 0 : 1;
  } finally {
    process.off('SIGINT', stop);
  }
}
