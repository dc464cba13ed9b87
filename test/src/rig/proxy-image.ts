import { cpSync, existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync, chmodSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type Docker from 'dockerode';
import { buildImage, NODE_RUNTIME_IMAGE, pushImage } from './images.js';
import type { RegistryInfo } from './registry.js';

/** The compatibility level our proxy implements; the tag satisfies Kamal's minimum-version check. */
export const PROXY_COMPAT_VERSION = 'v0.9.2';
export const PROXY_REPOSITORY = 'drover/kamal-proxy-compat';

const proxyDist = fileURLToPath(new URL('../../../proxy/dist', import.meta.url));

/**
 * Builds `drover/kamal-proxy-compat:<version>` from the node runtime image and proxy/dist,
 * laid out like basecamp/kamal-proxy (HOME, volumes, ports, `kamal-proxy run`), and pushes it.
 * Returns the image reference hosts pull.
 */
export async function buildProxyImage(docker: Docker, registry: RegistryInfo, version = PROXY_COMPAT_VERSION): Promise<string> {
  if (!existsSync(join(proxyDist, 'cli', 'main.js'))) throw new Error(`rig: ${proxyDist}/cli/main.js is missing; build the proxy package first`);
  const ref = `${registry.server}/${PROXY_REPOSITORY}:${version}`;
  const dir = mkdtempSync(join(tmpdir(), 'drover-proxy-image-'));
  try {
    const app = join(dir, 'app');
    mkdirSync(app);
    cpSync(proxyDist, join(app, 'dist'), { recursive: true, filter: (src) => !/(\.test|_support|_fixtures)\.js$|\.map$|\.d\.ts$/.test(src) });
    writeFileSync(join(app, 'package.json'), JSON.stringify({ name: 'kamal-proxy-compat', type: 'module', private: true }));
    writeFileSync(join(dir, 'kamal-proxy'), '#!/bin/sh\nexec /usr/local/bin/node /opt/drover-proxy/dist/cli/main.js "$@"\n');
    chmodSync(join(dir, 'kamal-proxy'), 0o755);
    writeFileSync(join(dir, 'Dockerfile'), [
      `FROM ${NODE_RUNTIME_IMAGE}`,
      'COPY app /opt/drover-proxy',
      'COPY kamal-proxy /usr/local/bin/kamal-proxy',
      'ENV HOME=/home/kamal-proxy PATH=/usr/local/bin:/bin',
      'WORKDIR /home/kamal-proxy',
      'VOLUME ["/home/kamal-proxy/.config/kamal-proxy"]',
      'EXPOSE 80 443',
      'CMD ["kamal-proxy", "run"]',
      '',
    ].join('\n'));
    await buildImage(docker, dir, ref, { 'org.opencontainers.image.title': 'kamal-proxy (Drover compatible)' });
    await pushImage(docker, ref, registry);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
  return ref;
}
