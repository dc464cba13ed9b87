/** The CLI side of the unix-socket RPC. */
import { callRpc } from '../rpc.js';
import { socketPath } from '../paths.js';
import type { IO } from './command.js';

export function call(io: IO, method: string, params: unknown): Promise<unknown> {
  return callRpc(socketPath(io.env), method, params);
}
