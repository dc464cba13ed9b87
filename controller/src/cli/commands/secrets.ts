import type { CommandSpec, Invocation } from '../framework/spec.js';

const ADAPTERS = '1password, bitwarden, bitwarden-sm, lastpass, aws_secrets_manager, gcp (gcp_secret_manager), doppler, passbolt, enpass';

async function fetch(inv: Invocation): Promise<number> {
  const { processRunner, secretsFetch } = await import('@drover/shared/secrets');
  const flags = (['adapter', 'account', 'from'] as const).flatMap((name) => (typeof inv.options[name] === 'string' ? [`--${name}`, inv.options[name] as string] : []));
  const inline = inv.options.inline === true ? ['--inline'] : [];
  inv.io.out(await secretsFetch([...flags, ...inline, ...inv.args], { env: inv.io.env, run: processRunner(inv.io.env) }));
  return 0;
}

async function extract(inv: Invocation): Promise<number> {
  const { secretsExtract } = await import('@drover/shared/secrets');
  inv.io.out(secretsExtract(inv.args, { inline: inv.options.inline === true }));
  return 0;
}

async function print(inv: Invocation): Promise<number> {
  const { loadValidatedConfig } = await import('@drover/shared/config');
  const { loadSecrets } = await import('@drover/shared/secrets');
  const { cwd } = inv.io;
  const { config } = await loadValidatedConfig({ cwd, configFile: inv.globals.configFile, destination: inv.globals.destination });
  const store = await loadSecrets({ cwd, env: inv.io.env, secretsPath: config.secrets_path, destination: inv.globals.destination ?? null });
  for (const [key, value] of store.entries()) inv.io.out(`${key}=${value}`);
  return 0;
}

export const secretsCommand: CommandSpec = {
  name: 'secrets',
  summary: 'Fetch secrets from vaults (fetch, extract) and show the loaded secrets (print)',
  subcommands: [
    {
      name: 'fetch',
      summary: 'Fetch secrets from a vault and print them as JSON',
      usage: '[SECRETS...]',
      args: { min: 0, max: null },
      description: `Fetch secrets from a vault and print them as JSON. Adapters: ${ADAPTERS}.`,
      options: {
        adapter: { type: 'string', short: 'a', value: 'ADAPTER', description: 'The vault (required)' },
        account: { type: 'string', value: 'ACCOUNT', description: 'The vault account, where the adapter needs one' },
        from: { type: 'string', value: 'FROM', description: 'A vault, folder or prefix to read the secrets from' },
        inline: { type: 'boolean', description: 'Shell-escaped output for use inside .kamal/secrets' },
      },
      run: fetch,
    },
    {
      name: 'extract',
      summary: 'Print one secret from the output of fetch (NAME, or the first key ending in /NAME)',
      usage: 'NAME FETCHED_JSON',
      args: { min: 2, max: 2 },
      options: { inline: { type: 'boolean', description: 'Shell-escaped output' } },
      run: extract,
    },
    { name: 'print', summary: 'Print KEY=value for every secret the secrets files define (this shows secret values)', run: print },
  ],
};
