// The `shop` project the controller's end-to-end tests deploy to protocol-level agents.

/** deploy.yml up to `servers:`: service, image, a registry whose password is a secret, the builder. */
export const SHOP_HEAD = `service: shop
image: acme/shop
registry:
  server: registry.test
  username: deployer
  password: [KAMAL_REGISTRY_PASSWORD]
builder:
  arch: amd64
`;

/** A valid result for each operation a deploy runs (the controller checks them against the catalog). */
export function deployResultOf(method: string, params: Record<string, unknown>): unknown {
  switch (method) {
    case 'registry.login': return { server: 'registry.test', status: 'Login Succeeded' };
    case 'image.pull': return { image: params.image, imageId: 'sha256:abc', digest: null };
    case 'proxy.boot': return { container: { id: 'p1', name: 'kamal-proxy' }, image: 'kamal-proxy', action: 'running', messages: [] };
    case 'app.stale_containers': return { containers: [], stopped: [] };
    case 'app.boot': return { container: { id: 'c1', name: `shop-web-${String(params.version)}` }, renamed: null, oldVersion: null, stopped: [], status: 'healthy', hostname: 'web-1-abc', messages: [] };
    case 'image.tag': return { image: params.image, tag: params.tag };
    case 'prune.containers': case 'prune.images': return { removed: [] };
    case 'prune.all': return { containers: [], images: [] };
    default: throw new Error(`unexpected ${method}`);
  }
}
