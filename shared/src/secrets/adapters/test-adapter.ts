import type { SecretsAdapter } from './base.js';

/** Kamal's `test` adapter: each name reversed (`LPAREN`/`RPAREN` → parentheses). No CLI. */
export const testAdapter: SecretsAdapter = {
  requiresAccount: true,
  cli: { program: process.execPath, label: 'test' },
  async fetchSecrets(secrets, { from }) {
    return Object.fromEntries(
      secrets.map((s) => {
        const key = from ? `${from}/${s}` : s;
        return [key, [...s.replace(/LPAREN/g, '(').replace(/RPAREN/g, ')')].reverse().join('')];
      }),
    );
  },
};
