// The demo's deploy: a real Kamal deploy.yml, loaded and resolved by @drover/shared/config,
// executed on each host by its agent through the controller (registry login, pulls,
// kamal-proxy boot, app boot behind the proxy's health gate). A stand-in for `drover deploy`
// until the planner lands: the same operations, in Kamal's order, one host after another.
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { loadConfig, kamalProxyDeployArgv, type ResolvedConfig } from '@drover/shared/config';
import type { Credential } from '@drover/shared/config/schema/registry';
import { loadSecrets } from '@drover/shared/secrets';
import { OperatorClient } from '@drover/controller/client/operator-client';
import type { Rig } from '../rig/index.js';

export function writeSampleProject(dir: string, rig: Rig): void {
  mkdirSync(join(dir, 'config'), { recursive: true });
  mkdirSync(join(dir, '.kamal'), { recursive: true });
  writeFileSync(join(dir, 'config', 'deploy.yml'), [
    'service: sample-app',
    'image: drover/sample-app',
    'servers:',
    '  web:',
    ...rig.hosts.map((h) => `    - ${h.name}`),
    'proxy:',
    '  app_port: 80',
    '  healthcheck:',
    '    path: /up',
    '    interval: 1',
    'registry:',
    `  server: ${rig.registry.server}`,
    `  username: ${rig.registry.username}`,
    '  password:',
    '    - KAMAL_REGISTRY_PASSWORD',
    'builder:',
    '  arch: amd64',
    'env:',
    '  clear:',
    '    GREETING: hello from Drover',
    '',
  ].join('\n'));
  writeFileSync(join(dir, '.kamal', 'secrets'), `KAMAL_REGISTRY_PASSWORD=${rig.registry.password}\n`, { mode: 0o600 });
}

export interface Controller { url: string; adminToken: string; fingerprint: string }

export async function deployThroughAgents(projectDir: string, version: string, proxyImage: string, controller: Controller, say: (line: string) => void): Promise<ResolvedConfig> {
  const config = await loadConfig({ cwd: projectDir, version });
  const secrets = await loadSecrets({ cwd: projectDir, secretsPath: config.secretsPath, destination: config.destination ?? undefined });
  const client = new OperatorClient({ controller: controller.url, token: controller.adminToken, fingerprint: controller.fingerprint });
  const credential = (c: Credential | null) => (c === null ? '' : 'literal' in c ? c.literal : secrets.get(c.secret));
  const registry = { server: config.registry.server!, username: credential(config.registry.username), password: credential(config.registry.password) };
  const scope = { service: config.service, destination: config.destination, performer: 'demo' };
  try {
    for (const role of config.roles) {
      for (const { host } of role.hosts) {
        const t0 = Date.now();
        const step = (what: string) => say(`${host}: ${what} (${((Date.now() - t0) / 1000).toFixed(1)}s)`);
        await client.rpc(host, 'registry.login', { registry });
        await client.rpcStream(host, 'image.pull', { ...scope, image: config.image.ref, version, registry }, Buffer.alloc(0), { timeoutMs: 120_000 });
        step(`pulled ${config.image.ref}`);
        await client.rpc(host, 'proxy.boot', { ...scope, run: { image: proxyImage }, registry }, 120_000);
        step('kamal-proxy running');
        const proxy = role.proxy;
        const env = role.envByHost[host] ?? { clear: {}, secrets: [] };
        await client.rpc(host, 'app.boot', {
          ...scope, role: role.name, version, image: config.image.ref, host,
          env: { clear: env.clear, secrets: {} },
          labels: role.labels,
          proxy: proxy ? { appPort: proxy.appPort, args: kamalProxyDeployArgv(role.containerPrefix, proxy, 'x').slice(4) } : null,
          operationId: `demo-boot-${host}-${version}`,
        }, 180_000);
        step(`${role.containerName} booted and healthy behind kamal-proxy`);
      }
    }
  } finally {
    await client.close();
  }
  return config;
}
