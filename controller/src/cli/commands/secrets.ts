import { parseArgs } from 'node:util';
import { UserError } from '@drover/shared';
import { loadValidatedConfig } from '@drover/shared/config';
import { loadSecrets, processRunner, secretsExtract, secretsFetch } from '@drover/shared/secrets';
import type { Command } from '../command.js';

const USAGE = `Usage: drover secrets <fetch|extract|print> [options]

  fetch [SECRETS...] -a ADAPTER [--account ACCOUNT] [--from FROM]
      Fetch secrets from a vault and print them as JSON. Adapters: 1password, bitwarden,
      bitwarden-sm, lastpass, aws_secrets_manager, gcp (gcp_secret_manager), doppler,
      passbolt, enpass.
  extract NAME FETCHED_JSON
      Print one secret from the output of fetch (NAME, or the first key ending in /NAME).
  print [-c FILE] [-d DESTINATION]
      Print KEY=value for every secret the secrets files define. This shows secret values.`;

async function print(argv: string[]): Promise<number> {
  let values;
  try {
    ({ values } = parseArgs({
      args: argv,
      options: { 'config-file': { type: 'string', short: 'c' }, destination: { type: 'string', short: 'd' } },
      strict: true,
      allowPositionals: false,
    }));
  } catch (err) {
    throw new UserError(`${(err as Error).message}\n\n${USAGE}`, { exitCode: 64 });
  }
  const { config } = await loadValidatedConfig({ configFile: values['config-file'], destination: values.destination });
  const store = await loadSecrets({ secretsPath: config.secrets_path, destination: values.destination ?? null });
  for (const [key, value] of store.entries()) process.stdout.write(`${key}=${value}\n`);
  return 0;
}

export const command: Command = {
  summary: 'Fetch secrets from vaults (fetch, extract) and show loaded secrets (print)',
  async run(argv) {
    const [action, ...rest] = argv;
    const ctx = { env: process.env, run: processRunner(process.env) };
    switch (action) {
      case 'fetch':
        process.stdout.write(`${await secretsFetch(rest, ctx)}\n`);
        return 0;
      case 'extract':
        process.stdout.write(`${secretsExtract(rest, {})}\n`);
        return 0;
      case 'print':
        return print(rest);
      case undefined:
      case '-h':
      case '--help':
      case 'help':
        console.log(USAGE);
        return action === undefined ? 64 : 0;
      default:
        throw new UserError(`unknown secrets command "${action}"\n\n${USAGE}`, { exitCode: 64 });
    }
  },
};
