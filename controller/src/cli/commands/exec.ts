// `drover app exec` and `drover accessory exec`: a command in a container on each selected host, its
// output under the host's header (byte for byte with --raw), or one interactive TTY session with -i.
import { UserError } from '@drover/shared';
import type { OperationName } from '@drover/shared/operations';
import type { Invocation, OptionSpecs } from '../framework/spec.js';
import { usageError } from '../framework/errors.js';
import { onHosts } from '../hosts.js';
import { withClient } from '../with-client.js';

export const EXEC_OPTIONS: OptionSpecs = {
  interactive: { type: 'boolean', short: 'i', description: 'Run with a TTY, on the primary host (your terminal ⇄ controller ⇄ agent ⇄ container)' },
  raw: { type: 'boolean', description: 'Output only, byte for byte: no headers (not with -i)' },
};

export interface ExecCall {
  host: string;
  label: string;
  op: Extract<OperationName, 'app.exec' | 'accessory.exec'>;
  params: unknown;
}

export function checkExecOptions(inv: Invocation): void {
  const o = inv.options;
  if (o.raw && o.interactive) throw usageError('Raw is not compatible with interactive', inv.help);
}

/** Runs each call, hosts in parallel, printing each one's output; exits with the first non-zero exit status. */
export async function runExecCalls(inv: Invocation, title: string, calls: ExecCall[]): Promise<number> {
  const raw = inv.options.raw === true;
  const quiet = raw || inv.globals.verbosity === 'quiet';
  const outcomes = await withClient(inv, (client) => onHosts(calls.map((_, i) => String(i)), async (index) => {
    const c = calls[Number(index)]!;
    // Followed rather than called: a command may run for longer than a call's deadline.
    const chunks: Buffer[] = [];
    const result = await client.rpcFollow(c.host, c.op, c.params, { onOutput: (chunk) => { chunks.push(chunk); } });
    return { output: Buffer.concat(chunks), exitCode: (result as { exitCode: number }).exitCode };
  }));
  let exit = 0;
  outcomes.forEach((o, i) => {
    const c = calls[i]!;
    if (!o.ok) {
      inv.io.err(`agent ${c.host}: ${o.error}`);
      exit ||= 1;
      return;
    }
    if (!quiet) inv.io.out(`${title} Host: ${c.label}`);
    if (raw) inv.io.write(o.value.output);
    else inv.io.out(o.value.output.toString('utf8').replace(/\n$/, ''));
    if (o.value.exitCode !== 0) {
      if (!raw) inv.io.err(`${c.label}: exited with status ${o.value.exitCode}`);
      exit ||= o.value.exitCode;
    }
  });
  return exit;
}

/** One interactive session: raw terminal mode, resize forwarded, the command's exit status returned. */
export async function runInteractive(inv: Invocation, call: ExecCall): Promise<number> {
  const { stdin, terminal } = inv.io;
  if (!stdin.isTTY || !terminal) throw new UserError('-i needs a terminal: run it from an interactive shell');
  const { attachExec } = await import('../../client/attach-exec.js');
  return withClient(inv, async (client) => {
    stdin.setRawMode?.(true);
    try {
      return await attachExec(client, call.host, call.op, call.params, {
        input: stdin, output: { write: (chunk: Buffer) => inv.io.write(chunk) },
        size: { cols: terminal.columns, rows: terminal.rows },
        onResize: (listener) => terminal.onResize(() => listener({ cols: terminal.columns, rows: terminal.rows })),
      });
    } finally {
      stdin.setRawMode?.(false);
    }
  });
}
