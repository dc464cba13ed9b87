/** `drover docs servers|role|env`. */

export const SERVERS_DOC = `# Servers
#
# \`servers\` says which hosts run the app, grouped in roles. A host is the name of an
# enrolled agent (\`drover agents\` lists them), not an address: the agent dials out
# to the controller, so the host can sit behind NAT.
#
# The short form is a plain list, and every host in it belongs to the \`web\` role:
#
#   servers:
#     - web-1
#     - web-2
#
# Tags
#
# A host can carry one tag or a list of tags. Tags select extra environment
# variables (\`drover docs env\`) and hosts for accessories (\`drover docs accessory\`):
#
#   servers:
#     - web-1
#     - web-2: canary
#     - web-3: [ canary, eu ]
#
# Roles
#
# To run different processes, e.g. web servers and job workers, key the hosts by
# role. A role is either a list of hosts or a hash of settings with its hosts under
# \`hosts\` (see \`drover docs role\`):
servers:
  web:
    - web-1
    - web-2: canary
  workers:
    hosts:
      - worker-1
      - worker-2: [ canary, eu ]
    cmd: bin/jobs
`;

export const ROLE_DOC = `# Roles
#
# A role is a group of hosts that run the same container, e.g. \`web\` for the
# application server and \`workers\` for background jobs. There must be a role named
# \`web\`, unless \`primary_role\` names another one.
#
# Roles are keyed by name under \`servers\`.
servers:

  # A role without settings
  #
  # A list of hosts is enough when the role needs no settings of its own. Hosts may
  # carry tags for host-specific environment variables (\`drover docs env\`).
  web:
    - web-1
    - web-2: canary
    - web-3: [ canary, eu ]

  # A role with settings
  #
  # Otherwise give a hash, with the hosts under \`hosts\`.
  workers:
    hosts:
      - worker-1
      - worker-2: canary

    # Command
    #
    # What the container runs instead of the image's default command. It is split
    # into words the way a shell would.
    cmd: bin/jobs

    # Stop timeout
    #
    # Seconds between SIGTERM and SIGKILL when the role's old containers stop
    # (overrides the root \`stop_timeout\`).
    stop_timeout: 60

    # Docker options
    #
    # Extra options for the container, each as \`name: value\` (\`--name value\` for
    # docker run). \`restart\` sets the restart policy (default \`unless-stopped\`).
    options:
      memory: 2g
      cpus: 2

    # Logging
    #
    # Merged over the root \`logging\` (\`drover docs logging\`).
    logging:
      options:
        max-size: 50m

    # Proxy
    #
    # Only the primary role runs behind kamal-proxy by default. \`proxy: true\` puts
    # another role behind it with the root proxy settings, a hash puts it behind it
    # with those settings merged over the root ones, and \`proxy: false\` takes the
    # primary role out. See \`drover docs proxy\`.
    proxy:
      host: jobs.example.com
      app_port: 3001

    # Labels
    #
    # Extra container labels; \`service\`, \`role\` and \`destination\` are reserved.
    labels:
      queue: default

    # Environment
    #
    # Merged over the root \`env\`; tags are only allowed at the root.
    # See \`drover docs env\`.
    env:
      clear:
        JOB_CONCURRENCY: "5"
      secret:
        - JOBS_API_KEY

    # Asset path
    #
    # Overrides the root \`asset_path\` for this role (only used behind the proxy).
    asset_path: /rails/public/assets
`;

export const ENV_DOC = `# Environment variables
#
# \`env\` sets variables in the app containers, with clear values written in this
# file and secret values read from the secrets files.
#
# The simplest form lists clear values only:
#
#   env:
#     DATABASE_HOST: db-1
#     DATABASE_PORT: 3306
#
# Secrets
#
# Secret values come from .kamal/secrets-common and then .kamal/secrets (with a
# destination, .kamal/secrets.<destination> instead of .kamal/secrets); later files
# override earlier ones. The files use dotenv syntax with variable and command
# substitution, and \`kamal secrets\` / \`drover secrets\` fetch values from password
# managers:
#
#   SECRETS=$(drover secrets fetch --adapter 1password --from Vault/Item DB_PASSWORD)
#   DB_PASSWORD=$(drover secrets extract DB_PASSWORD \${SECRETS})
#   RAILS_MASTER_KEY=$(cat config/master.key)
#
# Keep the secrets files out of version control if they hold values rather than
# commands.
#
# Once secrets are involved, clear values move under \`clear\` and secret names are
# listed under \`secret\`. Secret values are not put on the command line: they go to
# an env file (mode 0600) on the host that the container reads. Drover sends them to
# the controller with the deployment, where they are stored encrypted, and never
# prints them.
env:
  clear:
    DB_USER: app
    RAILS_ENV: production
  secret:
    - RAILS_MASTER_KEY

    # Aliased secrets
    #
    # \`NAME:SECRET\` sets the variable NAME from the secret SECRET, e.g. to give the
    # same variable a different value per host tag or per accessory.
    - DB_PASSWORD:MAIN_DB_PASSWORD

  # Tags
  #
  # Extra variables for the hosts carrying a tag (\`drover docs servers\`), in the
  # simple or the \`clear\`/\`secret\` form. A host gets the root values, then its
  # role's, then those of each of its tags in the order the host lists them. Tags
  # are only allowed in the root \`env\`.
  tags:
    canary:
      FEATURE_PREVIEW: "true"
    replica:
      clear:
        DB_HOST: db-replica
      secret:
        - DB_PASSWORD:REPLICA_DB_PASSWORD
`;
