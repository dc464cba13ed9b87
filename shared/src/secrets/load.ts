import { readFile } from 'node:fs/promises';
import { isAbsolute, resolve } from 'node:path';
import { UserError } from '../errors.js';
import { DotenvFormatError, parseDotenv } from './dotenv.js';
import { processRunner, shellCommand } from './run.js';
import { runSecretsCommand } from './command.js';
import { shellSplit } from './shellwords.js';
import { SecretStore } from './store.js';

export interface LoadSecretsOptions {
  /** `secrets_path` from deploy.yml; default `.kamal/secrets`. */
  secretsPath?: string;
  destination?: string | null;
  cwd?: string;
  env?: Record<string, string | undefined>;
}

/** `<path>-common`, then `<path>.<dest>` with a destination (the plain file is then skipped) or `<path>`. */
export function secretsFiles(secretsPath: string, destination: string | null | undefined): string[] {
  return [`${secretsPath}-common`, destination ? `${secretsPath}.${destination}` : secretsPath];
}

/**
 * Reads the secrets files the way Kamal does: each parsed on its own (references across files
 * only go through the environment), later files winning.
 */
export async function loadSecrets(options: LoadSecretsOptions = {}): Promise<SecretStore> {
  const cwd = options.cwd ?? process.cwd();
  const env = options.env ?? process.env;
  const candidates = secretsFiles(options.secretsPath ?? '.kamal/secrets', options.destination);
  const values: Record<string, string> = {};
  const read: string[] = [];
  const ctx = {
    env,
    runShell: shellCommand(env, cwd),
    runInline: async (command: string) => {
      const argv = shellSplit(command).slice(1);
      return runSecretsCommand(argv, { inline: true, env, run: processRunner(env, cwd) });
    },
  };
  for (const file of candidates) {
    let text: string;
    try {
      text = await readFile(isAbsolute(file) ? file : resolve(cwd, file), 'utf8');
    } catch (err) {
      const code = (err as NodeJS.ErrnoException).code;
      if (code === 'ENOENT') continue;
      throw new UserError(`Cannot read secrets file ${file}: ${code ?? (err as Error).message}`);
    }
    read.push(file);
    try {
      Object.assign(values, await parseDotenv(text, ctx));
    } catch (err) {
      if (err instanceof DotenvFormatError) throw new UserError(`${file}: ${err.message}`);
      throw err;
    }
  }
  return new SecretStore(values, read, candidates);
}
