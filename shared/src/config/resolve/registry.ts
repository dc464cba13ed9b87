import { isLocalRegistry, type RegistryConfig } from '../schema/registry.js';
import type { ResolvedRegistry } from '../types.js';

export function resolveRegistry(registry: RegistryConfig | undefined): ResolvedRegistry {
  const server = registry?.server ?? null;
  return {
    server,
    local: isLocalRegistry(server ?? undefined),
    username: registry?.username ?? null,
    password: registry?.password ?? null,
  };
}

/** `[server/]image` */
export function repositoryOf(server: string | null, image: string): string {
  return server ? `${server}/${image}` : image;
}
