import type { ProxyOption, ResolvedProxy } from '../types.js';
import { rubyDump } from '../../ruby-dump.js';

export { rubyDump } from '../../ruby-dump.js';

function expand(options: ProxyOption[], quote: (v: string) => string): string[] {
  const args: string[] = [];
  for (const [flag, value] of options) {
    if (value === true) args.push(`--${flag}`);
    else if (value === false) args.push(`--${flag}=${quote('false')}`);
    else if (Array.isArray(value)) for (const v of value) args.push(`--${flag}=${quote(v)}`);
    else args.push(`--${flag}=${quote(value)}`);
  }
  return args;
}

/**
 * The argv of `kamal-proxy deploy` for an exec without a shell (Docker API exec):
 * `["kamal-proxy", "deploy", <service>, "--target=<target>:<app_port>", …]`, values unquoted.
 * `target` is the container's id (what Kamal passes) or any address kamal-proxy can reach.
 */
export function kamalProxyDeployArgv(serviceName: string, proxy: ResolvedProxy, target: string): string[] {
  const options: ProxyOption[] = [['target', `${target}:${proxy.appPort}`], ...proxy.deployOptions];
  return ['kamal-proxy', 'deploy', serviceName, ...expand(options, (v) => v)];
}

/** Kamal's shell command line, byte for byte (`String#dump`-quoted values), for logs and parity tests. */
export function kamalProxyDeployCommand(serviceName: string, proxy: ResolvedProxy, target: string): string {
  const options: ProxyOption[] = [['target', `${target}:${proxy.appPort}`], ...proxy.deployOptions];
  return ['docker', 'exec', 'kamal-proxy', 'kamal-proxy', 'deploy', serviceName, ...expand(options, rubyDump)].join(' ');
}
