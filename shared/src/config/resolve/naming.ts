/** Container names and labels exactly as Kamal writes them (reference §5). */

export function serviceAndDestination(service: string, destination: string | null): string {
  return destination ? `${service}-${destination}` : service;
}

/** `<service>-<role>[-<destination>]`: the app container prefix and kamal-proxy service name. */
export function containerPrefix(service: string, role: string, destination: string | null): string {
  return [service, role, destination].filter((p): p is string => Boolean(p)).join('-');
}

export function appContainerName(prefix: string, version: string): string {
  return `${prefix}-${version}`;
}

/**
 * Labels of an app container. Without a destination Kamal writes a bare `--label destination`,
 * which Docker stores as an empty value, and filters with `label=destination=`.
 */
export function appLabels(args: {
  service: string;
  role: string;
  destination: string | null;
  rootLabels?: Record<string, string>;
  roleLabels?: Record<string, string>;
}): Record<string, string> {
  return {
    service: args.service,
    role: args.role,
    destination: args.destination ?? '',
    ...args.rootLabels,
    ...args.roleLabels,
  };
}

/** The `docker ps` filters that find a role's containers. */
export function appLabelFilters(service: string, role: string, destination: string | null): string[] {
  return [`label=service=${service}`, `label=destination=${destination ?? ''}`, `label=role=${role}`];
}

export function latestTag(destination: string | null): string {
  return destination ? `latest-${destination}` : 'latest';
}

export function abbreviateVersion(version: string): string {
  return version.includes('_') ? version : version.slice(0, 7);
}
