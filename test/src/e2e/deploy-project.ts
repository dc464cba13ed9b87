// A Kamal 2 project on disk for `drover deploy` tests and the demo: a git repository with the sample
// app's Dockerfile, an unchanged Kamal `config/deploy.yml`, `.kamal/secrets` and recording hooks.
import { execFileSync } from 'node:child_process';
import { chmodSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import type { Rig } from '../rig/index.js';
import { writeSampleAppContext, type SampleAppOptions } from '../rig/sample-app.js';
import { PROXY_COMPAT_VERSION, PROXY_REPOSITORY } from '../rig/proxy-image.js';

export const HOOK_NAMES = ['pre-connect', 'pre-build', 'pre-deploy', 'pre-app-boot', 'post-app-boot', 'post-deploy'] as const;

export interface ProjectOptions {
  service?: string;
  /** Roles → hosts. */
  servers: Record<string, string[]>;
  /** Extra deploy.yml text appended at the end. */
  extra?: string;
  /** Writes hooks that append `<hook> KAMAL_…` lines to `<dir>/hooks.log`. */
  hooks?: boolean;
  /** Extra lines inside the `proxy:` block (e.g. `host: app.test`), written indented under it. */
  proxy?: string[];
  /** `deploy_timeout` in seconds (default 10). */
  deployTimeout?: number;
  /** Kamal's local registry (`localhost:PORT`, no credentials) instead of the rig's registry. */
  localRegistry?: string;
  /** Extra `.kamal/secrets` lines. */
  secrets?: string[];
  /** Kamal's `env/tags`: per host tag, clear variables for the hosts carrying it (`servers` entries like `web-4: [tag]`). */
  envTags?: Record<string, Record<string, string>>;
  /** Extra files, relative to the project directory, written before the first commit. */
  files?: Record<string, string | { content: string; mode: number }>;
}

export class SampleProject {
  constructor(readonly dir: string, readonly service: string) {}

  /** Writes and commits the project; `content` is what the app's /version answers. */
  static create(dir: string, rig: Rig, o: ProjectOptions, content: string): SampleProject {
    const service = o.service ?? 'sample-app';
    rmSync(dir, { recursive: true, force: true });
    mkdirSync(join(dir, 'config'), { recursive: true });
    mkdirSync(join(dir, '.kamal', 'hooks'), { recursive: true });
    writeFileSync(join(dir, 'config', 'deploy.yml'), deployYml(rig, service, o));
    writeFileSync(join(dir, '.kamal', 'secrets'), `KAMAL_REGISTRY_PASSWORD=${rig.registry.password}\nAPP_SECRET=s3cr3t-value-for-tests\n${(o.secrets ?? []).map((l) => `${l}\n`).join('')}`, { mode: 0o600 });
    for (const [path, file] of Object.entries(o.files ?? {})) {
      mkdirSync(dirname(join(dir, path)), { recursive: true });
      const { content, mode } = typeof file === 'string' ? { content: file, mode: undefined } : file;
      writeFileSync(join(dir, path), content);
      if (mode !== undefined) chmodSync(join(dir, path), mode);
    }
    if (o.hooks) {
      for (const hook of HOOK_NAMES) {
        const file = join(dir, '.kamal', 'hooks', hook);
        writeFileSync(file, `#!/bin/sh\necho "${hook} cmd=$KAMAL_COMMAND hosts=$KAMAL_HOSTS version=$KAMAL_VERSION performer=$KAMAL_PERFORMER lock=$KAMAL_LOCK secret=\${APP_SECRET:+yes}" >> "${join(dir, 'hooks.log')}"\n`);
        chmodSync(file, 0o755);
      }
    }
    writeFileSync(join(dir, '.gitignore'), 'hooks.log\n');
    const project = new SampleProject(dir, service);
    project.git(['init', '-q', '-b', 'main']);
    project.git(['config', 'user.email', 'deployer@example.com']);
    project.git(['config', 'user.name', 'Deployer']);
    project.commit(content);
    return project;
  }

  git(args: string[]): string {
    return execFileSync('git', args, { cwd: this.dir, encoding: 'utf8' }).trim();
  }

  /** Commits an app answering `content` on /version (unhealthy: no /up), returns the new git SHA (the version). */
  commit(content: string, options: Omit<SampleAppOptions, 'service' | 'version'> = {}): string {
    writeSampleAppContext(join(this.dir, 'app'), { ...options, service: this.service, version: content, healthy: options.healthy ?? true });
    // The Dockerfile lives at the root so Kamal's defaults (context `.`, Dockerfile) apply.
    writeFileSync(join(this.dir, 'Dockerfile'), readFileSync(join(this.dir, 'app', 'Dockerfile'), 'utf8').replace('COPY www /www', 'COPY app/www /www'));
    rmSync(join(this.dir, 'app', 'Dockerfile'));
    this.git(['add', '-A']);
    this.git(['commit', '-q', '-m', `app ${content}`]);
    return this.git(['rev-parse', 'HEAD']);
  }

  hookLog(): string[] {
    try {
      return readFileSync(join(this.dir, 'hooks.log'), 'utf8').trim().split('\n').filter(Boolean);
    } catch {
      return [];
    }
  }

  clearHookLog(): void {
    rmSync(join(this.dir, 'hooks.log'), { force: true });
  }
}

function deployYml(rig: Rig, service: string, o: ProjectOptions): string {
  const servers = Object.entries(o.servers).flatMap(([role, hosts]) => [
    `  ${role}:`,
    '    hosts:',
    ...hosts.map((h) => `      - ${h}`),
    ...(role === 'web' ? [] : ['    cmd: httpd -f -p 80 -h /www']),
  ]);
  return [
    `service: ${service}`,
    `image: drover/${service}`,
    // An accessories-only project (Kamal allows no servers) has no servers key at all.
    ...(servers.length > 0 ? ['servers:', ...servers] : []),
    'proxy:',
    '  app_port: 80',
    ...(o.proxy ?? []).map((l) => `  ${l}`),
    '  healthcheck:',
    '    path: /up',
    '    interval: 1',
    '  run:',
    `    registry: ${rig.registry.server}`,
    `    repository: ${PROXY_REPOSITORY}`,
    `    version: ${PROXY_COMPAT_VERSION}`,
    'registry:',
    ...(o.localRegistry ? [`  server: ${o.localRegistry}`] : [
      `  server: ${rig.registry.server}`,
      `  username: ${rig.registry.username}`,
      '  password:',
      '    - KAMAL_REGISTRY_PASSWORD',
    ]),
    'builder:',
    '  arch: amd64',
    'env:',
    '  clear:',
    '    GREETING: hello',
    '  secret:',
    '    - APP_SECRET',
    ...(o.envTags ? ['  tags:', ...Object.entries(o.envTags).flatMap(([tag, vars]) => [`    ${tag}:`, ...Object.entries(vars).map(([k, v]) => `      ${k}: ${JSON.stringify(v)}`)])] : []),
    `deploy_timeout: ${o.deployTimeout ?? 10}`,
    // Long enough for a straggler whose connection to busybox httpd (a short listen backlog) waited for a
    // SYN retransmit on 2 loaded cores; the drain ends as soon as nothing is in flight, so tests do not wait it.
    'drain_timeout: 10',
    // busybox httpd ignores SIGTERM: without this `docker stop` waits Docker's default 10 s.
    'stop_timeout: 1',
    'readiness_delay: 1',
    o.extra ?? '',
  ].join('\n');
}

/**
 * Kamal's integration `busybox` accessory (service `custom-busybox`, a file 640 and optionally a
 * directory 750, both owned by 1000:1000) as deploy.yml text; the project must hold config/busybox.conf.
 */
export function busyboxAccessoryYml(image: string, host: string, o: { directory?: boolean } = {}): string {
  return [
    'accessories:',
    '  busybox:',
    '    service: custom-busybox',
    `    image: ${image}`,
    `    cmd: sh -c 'echo "Starting busybox..."; trap exit TERM; while true; do sleep 1; done'`,
    `    host: ${host}`,
    '    files:',
    '      - local: config/busybox.conf',
    '        remote: /etc/busybox.conf',
    '        mode: "640"',
    '        owner: "1000:1000"',
    '        options: "ro"',
    ...(o.directory ? ['    directories:', '      - local: data', '        remote: /data', '        mode: "750"', '        owner: "1000:1000"'] : []),
    '',
  ].join('\n');
}
