import { ok, type SecretsAdapter } from './base.js';

interface EnpassEntry { title?: string; label?: string; password?: string }

/** Enpass (`enpass-cli`), offline: `--from` is the vault path. Names are `title` or `title/label`. */
export const enpass: SecretsAdapter = {
  requiresAccount: false,
  cli: { program: 'enpass-cli', label: 'Enpass' },
  async fetchSecrets(secrets, { from }, { run }) {
    const titles = [...new Set(secrets.map((s) => (s.includes('/') ? s.slice(0, s.lastIndexOf('/')) : s)))];
    const result = await run('enpass-cli', ['-json', '-vault', from ?? '', 'show', ...titles]);
    ok(result, `Could not read ${secrets.join(', ')} from Enpass`);
    // enpass-cli prints its results on stderr.
    const text = result.stdout.trim() || result.stderr.trim();
    let entries: EnpassEntry[] = [];
    try {
      const parsed = JSON.parse(text) as unknown;
      entries = Array.isArray(parsed) ? (parsed as EnpassEntry[]) : [];
    } catch {
      entries = [];
    }
    const results: Record<string, string> = {};
    for (const e of entries) {
      if (!e.title || !e.password) continue;
      const key = e.label ? `${e.title}/${e.label}` : e.title;
      if (secrets.includes(e.title) || secrets.includes(key)) results[key] = e.password;
    }
    return results;
  },
};
