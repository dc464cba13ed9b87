import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';

const MAIN = fileURLToPath(new URL('../main.js', import.meta.url));

export interface CliResult {
  code: number | null;
  stdout: string;
  stderr: string;
}

/** Runs the built `drover` CLI in `cwd` with a controlled environment. */
export function drover(args: string[], cwd: string, env: Record<string, string> = {}): Promise<CliResult> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [MAIN, ...args], { cwd, env: { PATH: process.env.PATH ?? '', ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.setEncoding('utf8').on('data', (d: string) => (stdout += d));
    child.stderr.setEncoding('utf8').on('data', (d: string) => (stderr += d));
    child.on('error', reject);
    child.on('close', (code) => resolve({ code, stdout, stderr }));
  });
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
