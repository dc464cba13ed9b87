/** `drover docs alias|boot|logging|output|ssh|sshkit`. */

export const ALIAS_DOC = `# Aliases
#
# An alias is a command line of your own under a short name. Running the alias
# runs its command, with any further arguments you type appended.
#
# A name uses lowercase letters, digits, \`-\` and \`_\`, and may not be the name of a
# built-in command such as deploy or config. The command is split into words like
# a shell would, so quote arguments that contain spaces. It may carry options
# such as \`-d\` for a destination.
aliases:
  # \`drover console\` opens a Rails console in a web container.
  console: app exec -i --reuse "bin/rails console"
  # \`drover uname\` prints each web host's kernel.
  uname: app exec -p -q -r web "uname -a"
  # \`drover staging-deploy\` deploys the staging destination.
  staging-deploy: deploy -d staging
`;

export const BOOT_DOC = `# Booting
#
# By default a deploy boots the new containers on all hosts at once. On a large
# fleet you may rather replace a few hosts at a time, keeping the rest serving.
boot:

  # How many hosts boot together: a number, or a percentage of all hosts
  # (accessory hosts included) such as 25%; at least one host per group.
  limit: 25%

  # Seconds to wait after each group before the next one starts.
  wait: 10

  # When a host runs several roles, boot them at the same time (true) or one after
  # the other (false, the default).
  parallel_roles: false
`;

export const LOGGING_DOC = `# Logging
#
# The Docker log driver of the containers and its options. With neither set,
# containers use Docker's default driver with \`max-size=10m\`, so logs do not fill
# the disk.
#
# The root \`logging\` applies to app containers and accessories; a role's own
# \`logging\` is merged over it (\`drover docs role\`).
logging:

  # The driver, passed as --log-driver.
  driver: json-file

  # The driver's options, each passed as --log-opt name=value.
  options:
    max-size: 100m
    max-file: "3"
`;

export const OUTPUT_DOC = `# Output
#
# Kamal can send the log of each command it runs to an OpenTelemetry collector or
# write it to a file on your machine.
#
# Drover accepts and checks these settings, so the file still works with Kamal,
# but does not act on them: the controller records every deployment's progress
# itself (\`drover deployments show <id>\`, \`drover deployments watch <id>\`).
output:

  # OpenTelemetry
  #
  # The OTLP/HTTP endpoint the command logs go to. Required when \`otel\` is set.
  otel:
    endpoint: http://otel-collector:4318

  # File
  #
  # A local directory that gets one log file per command. Required when \`file\` is
  # set.
  file:
    path: log/deploys
`;

export const SSH_DOC = `# SSH
#
# Kamal reaches its hosts over SSH; Drover does not. An agent on each host opens
# the connection to the controller, so the hosts need no SSH server, no open port
# and no keys on your machine.
#
# The \`ssh\` keys are still accepted, and checked for typos, so that a Kamal file
# loads unchanged. Their values have no effect in Drover. For Kamal they mean:
ssh:

  # The login user. Default root.
  user: deploy

  # The SSH port. Default 22.
  port: 2222

  # A jump host, \`host\` or \`user@host\`.
  proxy: bastion.example.com

  # Or a ProxyCommand for older SSH setups.
  #   proxy_command: "ssh -W %h:%p user@bastion.example.com"

  # How much the SSH library logs. Default fatal.
  log_level: fatal

  # Use only the keys below, not all the agent offers.
  keys_only: true

  # Private key files.
  keys:
    - ~/.ssh/id_ed25519

  # Names of secrets holding private keys.
  key_data:
    - SSH_PRIVATE_KEY

  # OpenSSH config files: true for the defaults, false for none, or paths.
  config: true

  # Whether to forward the local SSH agent.
  forward_agent: false
`;

export const SSHKIT_DOC = `# SSHKit
#
# Kamal runs its commands through SSHKit, and these keys tune its SSH connections.
# Drover has none to tune: each agent keeps one connection open to the controller,
# which sends the operations. The keys are accepted and checked so that a Kamal file
# loads unchanged, and otherwise ignored. For Kamal they mean:
sshkit:

  # How many SSH connections may be starting at once. Default 30.
  max_concurrent_starts: 10

  # Seconds an idle connection stays in the pool. Default 900.
  pool_idle_timeout: 300

  # Retries of a failed DNS lookup when connecting. Default 3; 0 disables them.
  dns_retries: 3
`;
