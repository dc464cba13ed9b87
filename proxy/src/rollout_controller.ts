/** Canary split between a service's active and rollout targets, keyed by the `kamal-rollout` cookie. */

export const ROLLOUT_COOKIE = 'kamal-rollout';

export function fnv32a(text: string): number {
  let hash = 0x811c9dc5;
  for (const byte of Buffer.from(text, 'utf8')) {
    hash ^= byte;
    hash = Math.imul(hash, 0x01000193) >>> 0;
  }
  return hash >>> 0;
}

export class RolloutController {
  constructor(readonly percentage: number, readonly allowlist: string[]) {}

  get splitPoint(): number {
    return (this.percentage / 100) * 0xffffffff;
  }

  /** True when this request belongs on the rollout targets; no cookie -> never. */
  requestUsesRollout(cookieHeader: string | undefined): boolean {
    const value = cookieValue(cookieHeader, ROLLOUT_COOKIE);
    if (value === null) return false;
    if (this.allowlist.includes(value)) return true;
    return fnv32a(value) <= this.splitPoint;
  }
}

export function cookieValue(header: string | undefined, name: string): string | null {
  if (!header) return null;
  for (const part of header.split(';')) {
    const eq = part.indexOf('=');
    if (eq < 0) continue;
    if (part.slice(0, eq).trim() === name) return part.slice(eq + 1).trim();
  }
  return null;
}
