/**
 * `@drover/shared/secrets`: Kamal-compatible secrets files (`.kamal/secrets-common`,
 * `.kamal/secrets[.<dest>]`), the `secrets fetch|extract` commands and the vault adapters.
 * Secret values stay in memory; nothing here logs them.
 */
export { loadSecrets, secretsFiles, type LoadSecretsOptions } from './secrets/load.js';
export { SecretStore } from './secrets/store.js';
export { parseDotenv, DotenvFormatError, type DotenvContext } from './secrets/dotenv.js';
export { shellEscape, shellSplit } from './secrets/shellwords.js';
export { secretsFetch, secretsExtract, runSecretsCommand, FETCH_USAGE, EXTRACT_USAGE, type SecretsCommandContext } from './secrets/command.js';
export { lookupAdapter, ADAPTER_NAMES } from './secrets/adapters/index.js';
export { fetchWith, type SecretsAdapter, type AdapterContext, type FetchOptions } from './secrets/adapters/base.js';
export { processRunner, shellCommand, type Runner, type RunResult } from './secrets/run.js';
export { requiredSecretNames, checkRequiredSecrets } from './secrets/required.js';
