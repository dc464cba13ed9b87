import { chmod, mkdir, stat, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { UserError } from '@drover/shared';
import type { CommandSpec } from '../framework/spec.js';

const INIT_DESCRIPTION = `Creates config/deploy.yml, .kamal/secrets and sample hooks in .kamal/hooks/ — the same files
\`kamal init\` creates, so the project works with both tools. Existing files are never overwritten.`;

const DEPLOY_YML = `# Name of your application. Used to uniquely configure containers.
service: my-app

# Name of the container image.
image: my-user/my-app

# Deploy to these servers. With Drover, a host is the name of an enrolled agent
# (\`drover agents\` lists them); with Kamal, an address reachable over SSH.
servers:
  web:
    - web-1
  # job:
  #   hosts:
  #     - web-1
  #   cmd: bin/jobs

# Enable SSL auto certification via Let's Encrypt and allow for multiple apps on a single web server.
# Remove this section when using multiple web servers and ensure you terminate SSL at your load balancer.
proxy:
  ssl: true
  host: app.example.com
  # Proxy connects to your container on port 80 by default.
  # app_port: 3000

# Credentials for your image host.
registry:
  # Specify the registry server, if you're not using Docker Hub
  # server: registry.digitalocean.com / ghcr.io / ...
  username: my-user

  # Always use an access token rather than real password (pulled from .kamal/secrets).
  password:
    - KAMAL_REGISTRY_PASSWORD

# Configure builder setup.
builder:
  arch: amd64

# Inject ENV variables into containers (secrets come from .kamal/secrets).
#
# env:
#   clear:
#     DB_HOST: db-1
#   secret:
#     - RAILS_MASTER_KEY

# Aliases are triggered with "kamal <alias>". You can overwrite arguments on invocation:
# "kamal logs -r job" will tail logs from the first server in the job section.
#
# aliases:
#   shell: app exec --interactive --reuse "bash"

# Use a different ssh user than root (accepted for Kamal; Drover does not use SSH).
#
# ssh:
#   user: app

# Use accessory services (secrets come from .kamal/secrets).
#
# accessories:
#   db:
#     image: mysql:8.0
#     host: db-1
#     port: 3306
#     env:
#       clear:
#         MYSQL_ROOT_HOST: '%'
#       secret:
#         - MYSQL_ROOT_PASSWORD
#     files:
#       - config/mysql/production.cnf:/etc/mysql/my.cnf
#       - db/production.sql:/docker-entrypoint-initdb.d/setup.sql
#     directories:
#       - data:/var/lib/mysql

# Drover's own settings. Kamal ignores root keys starting with x-, so this file still works with Kamal.
# x-drover:
#   controller: https://drover.example.com:7443
`;

const SECRETS = `# Secrets defined here are available for reference under registry/password, env/secret, builder/secrets,
# and accessories/*/env/secret in config/deploy.yml. All secrets should be pulled from either
# password manager, ENV, or a file. DO NOT ENTER RAW CREDENTIALS HERE! This file needs to be safe for git.

# Example of extracting secrets from 1password (or another compatible pw manager)
# SECRETS=$(kamal secrets fetch --adapter 1password --account your-account --from Vault/Item KAMAL_REGISTRY_PASSWORD RAILS_MASTER_KEY)
# KAMAL_REGISTRY_PASSWORD=$(kamal secrets extract KAMAL_REGISTRY_PASSWORD \${SECRETS})
# RAILS_MASTER_KEY=$(kamal secrets extract RAILS_MASTER_KEY \${SECRETS})

# Use a GITHUB_TOKEN if private repositories are needed for the image
# GITHUB_TOKEN=$(gh config get -h github.com oauth_token)

# Grab the registry password from ENV
KAMAL_REGISTRY_PASSWORD=$KAMAL_REGISTRY_PASSWORD
`;

const HOOK_HEADER = `#!/bin/sh

# These environment variables are available:
# KAMAL_RECORDED_AT, KAMAL_PERFORMER, KAMAL_VERSION, KAMAL_HOSTS, KAMAL_ROLES (if set),
# KAMAL_DESTINATION (if set), KAMAL_RUNTIME (deploy and post-deploy only)
`;

const HOOKS: Record<string, string> = {
  'docker-setup.sample': `${HOOK_HEADER}\necho "Docker set up on $KAMAL_HOSTS..."\n`,
  'pre-connect.sample': `${HOOK_HEADER}\necho "About to lock and connect to $KAMAL_HOSTS..."\n`,
  'pre-build.sample': `${HOOK_HEADER}\n# Fail the build when the working tree has uncommitted changes.\nif [ -n "$(git status --porcelain)" ]; then\n  echo "Git checkout is not clean, aborting..." >&2\n  exit 1\nfi\n`,
  'pre-deploy.sample': `${HOOK_HEADER}\necho "About to deploy $KAMAL_VERSION to $KAMAL_HOSTS..."\n`,
  'post-deploy.sample': `${HOOK_HEADER}\necho "$KAMAL_PERFORMER deployed $KAMAL_VERSION to $KAMAL_DESTINATION in $KAMAL_RUNTIME seconds"\n`,
  'pre-app-boot.sample': `${HOOK_HEADER}\necho "Booting $KAMAL_VERSION on $KAMAL_HOSTS..."\n`,
  'post-app-boot.sample': `${HOOK_HEADER}\necho "Booted $KAMAL_VERSION on $KAMAL_HOSTS"\n`,
  'pre-proxy-reboot.sample': `${HOOK_HEADER}\necho "Rebooting kamal-proxy on $KAMAL_HOSTS..."\n`,
  'post-proxy-reboot.sample': `${HOOK_HEADER}\necho "Rebooted kamal-proxy on $KAMAL_HOSTS"\n`,
};

async function exists(path: string): Promise<boolean> {
  try {
    await stat(path);
    return true;
  } catch {
    return false;
  }
}

export const initCommand: CommandSpec = {
  name: 'init',
  summary: 'Create config/deploy.yml, .kamal/secrets and sample hooks',
  description: INIT_DESCRIPTION,
  options: { bundle: { type: 'boolean', description: "Kamal's option to add the gem; Drover has no gem, so it only says so" } },
  async run(inv) {
    const log = (line: string) => inv.io.out(line);
    if (inv.options.bundle) inv.io.err('--bundle: Drover is not a Ruby gem; there is nothing to add to the Gemfile');
    const { cwd } = inv.io;
    const deployYml = join('config', 'deploy.yml');
    if (await exists(join(cwd, deployYml))) {
      throw new UserError(`Config file already exists in ${deployYml} (remove first to create a new one)`);
    }
    await mkdir(join(cwd, 'config'), { recursive: true });
    await writeFile(join(cwd, deployYml), DEPLOY_YML, { flag: 'wx' });
    log(`Created configuration file in ${deployYml}`);

    const secrets = join('.kamal', 'secrets');
    await mkdir(join(cwd, '.kamal'), { recursive: true });
    if (await exists(join(cwd, secrets))) {
      log(`Skipped ${secrets} (already exists)`);
    } else {
      await writeFile(join(cwd, secrets), SECRETS, { flag: 'wx', mode: 0o600 });
      await chmod(join(cwd, secrets), 0o600);
      log(`Created ${secrets} file`);
    }

    const hooks = join('.kamal', 'hooks');
    if (await exists(join(cwd, hooks))) {
      log(`Skipped sample hooks (${hooks} already exists)`);
    } else {
      await mkdir(join(cwd, hooks), { recursive: true });
      for (const [name, body] of Object.entries(HOOKS)) {
        await writeFile(join(cwd, hooks, name), body, { flag: 'wx', mode: 0o755 });
        await chmod(join(cwd, hooks, name), 0o755);
      }
      log(`Created sample hooks in ${hooks}`);
    }
    return 0;
  },
};
