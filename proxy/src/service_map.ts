/**
 * Routing table: host -> path-prefix bindings. Lookup is exact host, then a one-level wildcard
 * (`*.example.com`), then the default host (services deployed without --host); within a host
 * the longest prefix that matches on a segment boundary wins.
 */
import type { ServiceOptions } from './options.js';

export interface Routable {
  name: string;
  options: ServiceOptions;
}

export interface Route<S extends Routable> {
  service: S;
  prefix: string;
}

interface Binding<S> {
  prefix: string;
  prefixSlash: string;
  service: S;
}

export function withTrailingSlash(path: string): string {
  return path.endsWith('/') ? path : path + '/';
}

/** Host header without port, lower-cased. */
export function hostWithoutPort(host: string | undefined): string {
  if (!host) return '';
  if (host.startsWith('[')) {
    const end = host.indexOf(']');
    return host.slice(0, end + 1).toLowerCase();
  }
  const colon = host.indexOf(':');
  return (colon < 0 ? host : host.slice(0, colon)).toLowerCase();
}

export class ServiceMap<S extends Routable> {
  private byHost = new Map<string, Binding<S>[]>();
  private tlsByService = new Map<string, { enabled: boolean; redirect: boolean }>();
  defaultTlsHostname = '';

  rebuild(services: Iterable<S>): void {
    const byHost = new Map<string, Binding<S>[]>();
    const all = [...services];
    this.defaultTlsHostname = '';
    for (const service of all) {
      for (const rawHost of service.options.hosts) {
        const host = rawHost.toLowerCase();
        const list = byHost.get(host) ?? [];
        for (const prefix of service.options.pathPrefixes) {
          list.push({ prefix, prefixSlash: withTrailingSlash(prefix), service });
        }
        byHost.set(host, list);
        if (this.defaultTlsHostname === '' && service.options.tlsEnabled && host !== '' && !host.startsWith('*')) {
          this.defaultTlsHostname = host;
        }
      }
    }
    for (const list of byHost.values()) list.sort((a, b) => b.prefix.length - a.prefix.length);
    this.byHost = byHost;
    this.tlsByService = new Map();
    for (const service of all) {
      const firstHost = (service.options.hosts[0] ?? '').toLowerCase();
      const root = byHost.get(firstHost)?.find((b) => b.prefix === '/')?.service ?? service;
      this.tlsByService.set(service.name, { enabled: root.options.tlsEnabled, redirect: root.options.tlsRedirect });
    }
  }

  /** TLS settings come from the root-path service of the service's first host. */
  tlsFor(service: S): { enabled: boolean; redirect: boolean } {
    return this.tlsByService.get(service.name) ?? { enabled: service.options.tlsEnabled, redirect: service.options.tlsRedirect };
  }

  bindingsForHost(host: string): Binding<S>[] | undefined {
    const exact = this.byHost.get(host);
    if (exact) return exact;
    const dot = host.indexOf('.');
    if (dot > 0) {
      const wildcard = this.byHost.get('*' + host.slice(dot));
      if (wildcard) return wildcard;
    }
    return this.byHost.get('');
  }

  lookup(hostHeader: string | undefined, path: string): Route<S> | null {
    const bindings = this.bindingsForHost(hostWithoutPort(hostHeader));
    if (!bindings) return null;
    const pathSlash = withTrailingSlash(path);
    for (const b of bindings) {
      if (b.prefix === '/' || pathSlash.startsWith(b.prefixSlash)) return { service: b.service, prefix: b.prefix };
    }
    return null;
  }

  /** Root-path service for a host (TLS certificates are chosen by it). */
  serviceForHost(host: string): S | null {
    const bindings = this.bindingsForHost(host.toLowerCase());
    return bindings?.find((b) => b.prefix === '/')?.service ?? null;
  }

  /** True when no other service is bound to any of the (host, prefix) pairs. */
  isAvailable(name: string, options: ServiceOptions): boolean {
    for (const host of options.hosts) {
      const bindings = this.byHost.get(host.toLowerCase()) ?? [];
      for (const prefix of options.pathPrefixes) {
        if (bindings.some((b) => b.prefix === prefix && b.service.name !== name)) return false;
      }
    }
    return true;
  }
}
