import { expandAlias } from '../aliases.js';
import { runCli } from '../framework/run.js';
import { bufferIO } from '../framework/test-io.js';
import { DROVER } from '../tree.js';

export interface CliResult {
  code: number;
  stdout: string;
  stderr: string;
}

/** Runs a `drover` command line in-process in `cwd` with a controlled environment, capturing its output. */
export async function drover(args: string[], cwd: string, env: Record<string, string> = {}): Promise<CliResult> {
  const io = bufferIO({ cwd, env: { PATH: process.env.PATH ?? '', ...env } });
  const code = await runCli(DROVER, args, io, { expandAlias });
  return { code, stdout: io.stdout(), stderr: io.stderr() };
}

/** Runs `fn` in a fresh temp directory holding `files` (a project tree), then removes it. */
export { withProject as withDir } from '@drover/shared/config/test-support';

export const DEPLOY_YML = `service: app
image: dhh/app
servers:
  web:
    - 1.1.1.1
    - 1.1.1.2: east
  workers:
    hosts: [1.1.1.3]
    cmd: bin/jobs
registry:
  username: dhh
  password: [KAMAL_REGISTRY_PASSWORD]
builder:
  arch: amd64
proxy:
  host: app.example.com
env:
  clear: { RAILS_ENV: production }
  secret: [RAILS_MASTER_KEY, "DB_PASSWORD:PROD_DB_PASSWORD"]
  tags:
    east: { REGION: east }
accessories:
  db:
    image: mysql:8
    host: 1.1.1.3
    port: 3306
    env:
      secret: [MYSQL_ROOT_PASSWORD]
`;
