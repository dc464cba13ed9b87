import { UserError } from '../errors.js';

/**
 * The secrets read from the secrets files. Lookups of missing names fail with Kamal's wording,
 * naming the files that were read.
 */
export class SecretStore {
  constructor(
    private readonly values: Record<string, string>,
    /** Files that exist and were read, in order. */
    readonly filesRead: string[],
    /** Files that would have been read. */
    readonly candidates: string[],
  ) {}

  has(name: string): boolean {
    return Object.prototype.hasOwnProperty.call(this.values, name);
  }

  get(name: string): string {
    if (this.has(name)) return this.values[name]!;
    throw new UserError(this.missingMessage(name));
  }

  missingMessage(name: string): string {
    if (this.filesRead.length === 0) return `Secret '${name}' not found, no secret files (${this.candidates.join(', ')}) provided`;
    return `Secret '${name}' not found in ${this.filesRead.join(', ')}`;
  }

  /** Every name, for `secrets print` only. */
  entries(): [string, string][] {
    return Object.entries(this.values);
  }

  /** Fails once, listing every name that is absent. */
  requireAll(names: string[]): void {
    const missing = [...new Set(names)].filter((n) => !this.has(n));
    if (missing.length === 1) throw new UserError(this.missingMessage(missing[0]!));
    if (missing.length > 1) throw new UserError(`${missing.length} secrets are missing`, { details: missing.map((n) => this.missingMessage(n)) });
  }
}
