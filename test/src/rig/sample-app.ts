import { chmodSync, mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { BUSYBOX_IMAGE } from './images.js';

export interface SampleAppOptions {
  /** The `service` label Kamal checks against the config's service. */
  service?: string;
  version: string;
  /** false builds the variant whose /up answers 404, so health checks fail. */
  healthy?: boolean;
  /** The variant whose /up answers 404 only in containers where this environment variable is set (one host's, by Kamal's env tags). */
  unhealthyWhenEnv?: string;
  /** Seconds the app sleeps before it listens: a boot that takes that long (an operation to interrupt). */
  startDelaySeconds?: number;
  /** Seconds after start when /up starts answering 404: a version that passes its gate, then goes bad. */
  failAfterSeconds?: number;
}

/**
 * Writes the build context of the sample app: busybox httpd on port 80 answering
 * `/up`, `/version` and `/` (with version and container hostname, via CGI), with a
 * Docker HEALTHCHECK on /up for roles that are not behind the proxy.
 */
export function writeSampleAppContext(dir: string, options: SampleAppOptions): void {
  const service = options.service ?? 'sample-app';
  const healthy = options.healthy ?? true;
  rmSync(dir, { recursive: true, force: true });
  mkdirSync(join(dir, 'www/cgi-bin'), { recursive: true });
  if (healthy) writeFileSync(join(dir, 'www/up'), 'OK\n');
  writeFileSync(join(dir, 'www/version'), `${options.version}\n`);
  writeFileSync(join(dir, 'www/index.html'), `<!doctype html><title>${service}</title><p>${service} ${options.version}</p>\n`);
  const whoami = join(dir, 'www/cgi-bin/whoami');
  writeFileSync(whoami, `#!/bin/sh\nprintf 'Content-Type: text/plain\\r\\n\\r\\n'\necho "${service} ${options.version} $(hostname)"\n`);
  chmodSync(whoami, 0o755);
  writeFileSync(join(dir, 'Dockerfile'), [
    `FROM ${BUSYBOX_IMAGE}`,
    `LABEL service="${service}"`,
    'COPY www /www',
    'EXPOSE 80',
    'HEALTHCHECK --interval=1s --timeout=2s --retries=3 CMD wget -q -O /dev/null http://127.0.0.1/up || exit 1',
    // A start line, then httpd logging each request (-v), for the log commands.
    `CMD ${JSON.stringify(['sh', '-c', startScript(service, options)])}`,
    '',
  ].join('\n'));
}

function startScript(service: string, options: SampleAppOptions): string {
  const unwell = options.unhealthyWhenEnv ? `if [ -n "$${options.unhealthyWhenEnv}" ]; then rm -f /www/up; fi; ` : '';
  const delay = options.startDelaySeconds ? `sleep ${options.startDelaySeconds}; ` : '';
  const later = options.failAfterSeconds ? `(sleep ${options.failAfterSeconds}; rm -f /www/up) & ` : '';
  return `echo Starting ${service} ${options.version}; ${unwell}${delay}${later}exec httpd -f -v -p 80 -h /www`;
}
