import { UserError } from '../../errors.js';
import { ok, parseJson, prefixed, type SecretsAdapter } from './base.js';

interface Folder { id: string; name: string; folder_parent_id?: string | null }

const quote = (s: string) => JSON.stringify(s);

function folderPath(folder: Folder, all: Folder[]): string {
  const parts = [folder.name];
  let current = folder;
  for (let guard = 0; current.folder_parent_id && guard < 64; guard++) {
    const parent = all.find((f) => f.id === current.folder_parent_id);
    if (!parent) break;
    parts.unshift(parent.name);
    current = parent;
  }
  return parts.join('/');
}

/** Passbolt (`passbolt`). Names are `[folder/…/]name`. */
export const passbolt: SecretsAdapter = {
  requiresAccount: false,
  cli: { program: 'passbolt', label: 'Passbolt' },
  async fetchSecrets(secrets, { from }, { run }) {
    ok(await run('passbolt', ['verify']), 'Failed to login to Passbolt');
    const names = prefixed(secrets, from);
    if (names.length === 0) throw new UserError('No secrets given to fetch');

    const folderPaths = [...new Set(names.filter((n) => n.includes('/')).map((n) => n.split('/').slice(0, -1).join('/')))];
    const folders: Folder[] = [];
    if (folderPaths.length > 0) {
      const parents = [...new Set(folderPaths.map((p) => p.split('/')[0]!))];
      const filter = parents.map((p) => `Name == ${quote(p)}`).join(' || ');
      const top = parseJson<Folder[]>(ok(await run('passbolt', ['list', 'folders', '--filter', filter, '--json']), 'Could not read folders from Passbolt'), 'Passbolt');
      folders.push(...top);
      for (const path of folderPaths) {
        const [parentName, ...rest] = path.split('/');
        let current = top.find((f) => f.name === parentName);
        for (const name of rest) {
          if (!current) break;
          const r = await run('passbolt', ['list', 'folders', '--filter', `Name == ${quote(name)} && FolderParentID == ${quote(current.id)}`, '--json']);
          if (r.status !== 0) break;
          const nested = parseJson<Folder[]>(r.stdout, 'Passbolt');
          if (nested.length === 0) break;
          folders.push(...nested);
          current = nested[0];
        }
      }
      const found = folders.map((f) => folderPath(f, folders));
      const missing = folderPaths.filter((p) => !found.includes(p));
      if (missing.length > 0) throw new UserError(`Could not find the following folders in Passbolt: ${missing.join(', ')}`);
    }

    const conditions = names.map((n) => {
      const parts = n.split('/');
      const name = parts.pop()!;
      if (parts.length === 0) return `Name == ${quote(name)}`;
      const folder = folders.find((f) => folderPath(f, folders) === parts.join('/'));
      return `(Name == ${quote(name)} && FolderParentID == ${quote(folder?.id ?? '')})`;
    });
    const args = ['list', 'resources', '--filter', conditions.join(' || ')];
    for (const f of folders) args.push('--folder', String(f.id));
    args.push('--column', 'name', '--column', 'password', '--json');
    const items = parseJson<{ name: string; password: string }[]>(ok(await run('passbolt', args), `Could not read ${names.join(', ')} from Passbolt`), 'Passbolt');
    const wanted = names.map((n) => n.split('/').pop()!);
    const missing = wanted.filter((w) => !items.some((i) => i.name === w));
    if (missing.length > 0) throw new UserError(`Could not find the following secrets in Passbolt: ${missing.join(', ')}`);
    return Object.fromEntries(items.map((i) => [i.name, i.password]));
  },
};
