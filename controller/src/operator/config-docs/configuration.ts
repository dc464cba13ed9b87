/** `drover docs` / `drover docs configuration`: the root keys of config/deploy.yml. */
export const CONFIGURATION_DOC = `# Drover configuration
#
# Drover deploys a Kamal 2 project as it is: the settings live in config/deploy.yml,
# secrets in .kamal/secrets, hooks in .kamal/hooks. This page walks through the root
# keys; \`drover docs <section>\` explains a section in detail (accessory, alias, boot,
# builder, env, logging, output, proxy, registry, role, servers, ssh, sshkit).
#
# Hosts are agents. Wherever Kamal expects a server address, Drover expects the name
# of an enrolled agent (\`drover agents\` lists them). Agents connect out to the
# controller, so nothing needs to reach your servers: no SSH, no inbound ports other
# than the ones your app publishes. Named this way, the file still works with Kamal
# as long as the names resolve to the servers (DNS or /etc/hosts).

# Destinations
#
# With \`-d staging\`, config/deploy.staging.yml is read too and merged over this
# file: hashes are merged key by key, lists and single values from the destination
# file replace those of the base file. KAMAL_DESTINATION holds the destination while
# the files are rendered.

# ERB
#
# Each file is rendered before it is parsed. Drover understands a part of ERB:
# \`<%= ENV["NAME"] %>\`, \`<%= ENV.fetch("NAME") %>\`, \`<%= ENV.fetch("NAME", "default") %>\`,
# comments and the \`-\` trim markers. Other Ruby code (method calls, backticks) is
# reported as an error rather than evaluated; move command output into .kamal/secrets.

# Extensions
#
# Unknown keys are errors, but root keys starting with \`x-\` are skipped. They are a
# place for YAML anchors that you reuse further down.
x-team: &team storefront

# Drover's own settings
#
# \`x-drover\` is the one extension Drover reads; Kamal skips it like any \`x-\` key.
x-drover:
  # The controller to deploy through.
  controller: https://drover.example.com:7443
  # The project's name on the controller (defaults to the service).
  project: storefront
  # Selected agents that are not connected when a deployment starts: \`fail\` it,
  # naming each and when it was last seen (the default, as Kamal fails on an
  # unreachable host); \`skip\` them (the others deploy, the skipped ones are named
  # and recorded with the deployment); or \`wait\` up to agent_timeout seconds.
  offline: wait
  agent_timeout: 60
  # When a boot group fails its health gate, the hosts that already switched to
  # the new version go back to the version they ran before (the old container
  # starts and is registered with kamal-proxy again, the new one stops), and the
  # deployment ends \`rolled_back\` with a line per host. Kamal leaves those hosts on
  # the new version; \`false\` does the same. Default: true.
  auto_rollback: true
  # Roles whose hosts include every enrolled agent carrying these labels (set at
  # enrollment or with \`drover agents label\`), besides the hosts named in servers.
  # Such a role may name no host; if no agent matches, deploys are refused.
  roles:
    web:
      labels: region=eu,tier=edge
  # Canary: the first \`hosts\` app hosts (a count, or a percentage of them) boot
  # first; their new containers must stay healthy (running, Docker health, the
  # health path answering 2xx) for \`soak\` seconds (default 60) before the other
  # hosts boot. A canary that goes bad is rolled back (whatever auto_rollback
  # says) and the deployment ends \`rolled_back\`. Not set: no canary, as Kamal.
  canary:
    hosts: 1
    soak: 60

# Service (required)
#
# The application's name. Containers are named \`<service>-<role>-<version>\` and
# labelled with it. Letters, digits, \`-\` and \`_\` only.
service: storefront

# Image (required)
#
# The image to build and run, without the registry server (that comes from
# \`registry.server\`). With a local registry it defaults to the service name.
image: acme/storefront

# Labels
#
# Extra labels for every app container; \`service\`, \`role\` and \`destination\` are
# always set by Drover itself.
labels:
  team: *team

# Volumes
#
# Extra mounts for every app container, as \`host-path:container-path[:options]\`.
volumes:
  - /var/lib/storefront/storage:/rails/storage

# Registry (required)
#
# Where images are pushed to and pulled from. See \`drover docs registry\`.
registry:
  server: ghcr.io
  username: acme
  password:
    - KAMAL_REGISTRY_PASSWORD

# Servers (required unless the file only runs accessories)
#
# The roles and the agents each one runs on. See \`drover docs servers\` and
# \`drover docs role\`.
servers:
  web:
    - web-1
  workers:
    hosts:
      - worker-1
    cmd: bin/jobs

# Environment
#
# Variables for the app containers, clear or from secrets. See \`drover docs env\`.
env:
  clear:
    RAILS_LOG_TO_STDOUT: "1"
  secret:
    - RAILS_MASTER_KEY

# Asset path
#
# Asset bridging for roles behind the proxy: while a deploy switches versions, the
# old and the new container each serve both versions' assets from a shared volume,
# so a page of one version never misses the fingerprinted files of the other. Give
# the asset directory inside the image, optionally followed by mount options such as
# \`:ro\` or \`:z\`. Not set by default.
asset_path: /rails/public/assets

# Hooks
#
# Where the hook scripts are (default .kamal/hooks). They run on the machine where
# you run \`drover\`, at the same moments as with Kamal.
hooks_path: .kamal/hooks

# Hook output
#
# \`:quiet\` hides what a hook prints, \`:verbose\` shows it. Give one level for every
# hook (\`hooks_output: :quiet\`) or one per hook as below. Unset, hook output follows
# \`-v\`/\`-q\`, which also win over this setting. A failing hook's output is always shown.
hooks_output:
  pre-deploy: :verbose
  pre-build: :quiet

# Secrets path
#
# The secrets file (default .kamal/secrets). \`<secrets_path>-common\` is read first,
# then \`<secrets_path>\`, or \`<secrets_path>.<destination>\` when a destination is
# given; later files override earlier ones.
secrets_path: .kamal/secrets

# Error pages
#
# A directory of HTML pages named after status codes (404.html, 500.html, 502.html,
# 503.html, 504.html) that kamal-proxy serves when the app fails or is unreachable.
error_pages_path: public/errors

# Require a destination
#
# When true, every command needs \`-d\`. Default false.
require_destination: false

# Primary role
#
# The role whose first host is the primary host, and the one that runs behind the
# proxy without asking. Default \`web\`.
primary_role: web

# Empty roles
#
# Whether a role may have no hosts, e.g. one that only some destinations use.
# Default false.
allow_empty_roles: false

# Retained containers
#
# How many previous containers, with their images, pruning keeps. Default 5.
retain_containers: 3

# Minimum version
#
# Refuse to work with an older tool. Drover compares it with the Kamal version it
# follows, 2.12.0. Not set by default.
minimum_version: 2.0.0

# Readiness delay
#
# For roles without a proxy, which have no health check: seconds a new container
# must keep running before it counts as booted. Default 7.
readiness_delay: 7

# Deploy timeout
#
# Seconds a new container gets to pass its health check. Default 30.
deploy_timeout: 30

# Drain timeout
#
# Seconds kamal-proxy lets requests in flight finish on the old container.
# Default 30.
drain_timeout: 30

# Stop timeout
#
# Seconds between SIGTERM and SIGKILL when a container is stopped. Unset, it is the
# drain timeout for roles without a proxy and Docker's 10 seconds for proxied roles.
# A role can set its own.
stop_timeout: 30

# Run directory
#
# Accepted and ignored: as in Kamal 2.12, the files Drover keeps on a host are always
# under .kamal in the home directory of the agent's user.
run_directory: .kamal

# SSH and SSHKit
#
# Accepted and validated so Kamal files load unchanged, and otherwise unused: Drover
# never connects to a host. See \`drover docs ssh\` and \`drover docs sshkit\`.
ssh:
  user: deploy
sshkit:
  max_concurrent_starts: 10

# Builder
#
# How \`drover deploy\` builds the image on your machine. See \`drover docs builder\`.
builder:
  arch: amd64

# Accessories
#
# Services that run next to the app and are not redeployed with it, such as a
# database. See \`drover docs accessory\`.
accessories:
  redis:
    image: redis:7
    host: db-1

# Proxy
#
# How kamal-proxy routes to the app. See \`drover docs proxy\`.
proxy:
  host: shop.example.com
  app_port: 3000

# Boot
#
# Booting a large fleet a few hosts at a time. See \`drover docs boot\`.
boot:
  limit: 25%
  wait: 5

# Logging
#
# The Docker log driver and its options. See \`drover docs logging\`.
logging:
  options:
    max-size: 100m

# Output
#
# Where Kamal ships command logs. See \`drover docs output\`.
output:
  file:
    path: log/deploys

# Aliases
#
# Your own command shortcuts. See \`drover docs alias\`.
aliases:
  console: app exec -i --reuse "bin/rails console"
`;
