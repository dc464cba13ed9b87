/** Where the socket and state live, following kamal-proxy's conventions. */
import { homedir, tmpdir } from 'node:os';
import { join } from 'node:path';

type Env = Record<string, string | undefined>;

/** $KAMAL_PROXY_SOCKET, else $XDG_RUNTIME_DIR/kamal-proxy.sock, else <tmp>/kamal-proxy.sock. */
export function socketPath(env: Env = process.env): string {
  if (env.KAMAL_PROXY_SOCKET) return env.KAMAL_PROXY_SOCKET;
  if (env.XDG_RUNTIME_DIR) return join(env.XDG_RUNTIME_DIR, 'kamal-proxy.sock');
  return join(tmpdir(), 'kamal-proxy.sock');
}

/** Go's os.UserConfigDir()/kamal-proxy: $XDG_CONFIG_HOME or ~/.config. */
export function dataDir(env: Env = process.env): string {
  const base = env.XDG_CONFIG_HOME || join(env.HOME || homedir(), '.config');
  return join(base, 'kamal-proxy');
}

export function statePath(env: Env = process.env): string {
  return join(dataDir(env), 'kamal-proxy.state');
}
