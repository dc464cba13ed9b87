/** `drover docs registry|builder`. */

export const REGISTRY_DOC = `# Registry
#
# The registry that \`drover deploy\` pushes the image to and the hosts pull it from.
# Without \`server\` it is Docker Hub.
#
# \`username\` and \`password\` are each either written out, or a list holding the name
# of a secret (\`[NAME]\`), which is then read from the secrets files (never from the
# environment). Prefer a secret for the password. Both are required, except for a
# local registry.
registry:
  server: ghcr.io
  username: acme
  password:
    - KAMAL_REGISTRY_PASSWORD

# Docker Hub
#
# Leave out \`server\`. Docker Hub makes new repositories public unless you create a
# private one first or change your account's default:
#
#   registry:
#     username: acme
#     password:
#       - KAMAL_REGISTRY_PASSWORD

# A local registry
#
# A server of the form \`localhost:PORT\` means no registry at all for Drover: the
# image is built and kept on your machine, uploaded to the controller, and the
# controller streams it to each agent, which loads it. No login happens, and the
# hosts need no route back to your machine. \`image\` defaults to the service name.
#
#   registry:
#     server: localhost:5555

# Short-lived tokens (AWS ECR, GCP Artifact Registry)
#
# Kamal files often run a CLI from ERB to get a token, which Drover's ERB subset
# does not do. Put the command in .kamal/secrets instead and refer to the secret:
#
#   # .kamal/secrets
#   ECR_PASSWORD=$(aws ecr get-login-password)
#
#   registry:
#     server: 123456789012.dkr.ecr.eu-west-1.amazonaws.com
#     username: AWS
#     password:
#       - ECR_PASSWORD
#
# For Artifact Registry, use a service account key (base64 of its JSON key) as the
# password secret and \`_json_key_base64\` as the username, with a server such as
# europe-west1-docker.pkg.dev.
`;

export const BUILDER_DOC = `# Builder
#
# \`drover deploy\` builds the image on the machine you run it on, through the Docker
# Engine API of the local daemon (DOCKER_HOST, or /var/run/docker.sock): neither
# the docker CLI nor buildx is needed. It tags the image \`<server>/<image>:<version>\`
# and \`<server>/<image>:latest\` (\`latest-<destination>\` with a destination) and
# pushes both.
#
# Every key below is accepted, so the file still works with Kamal. The settings
# that need buildx or BuildKit are listed commented out: Drover refuses a build that
# uses them, naming the key, rather than silently building something else.
builder:

  # Architecture
  #
  # Required. One architecture, \`amd64\` or \`arm64\`, or a list of them. Drover
  # builds for the local daemon's own architecture only, so this must match it.
  arch: amd64

  # Build context
  #
  # Unset, the build uses a fresh clone of the repository at HEAD, so uncommitted
  # changes are not built. \`.\` (or another directory) builds that directory as it
  # is; the version then gets an \`_uncommitted_…\` suffix when the tree is dirty.
  context: .

  # Dockerfile
  #
  # Relative to the build directory. Default Dockerfile.
  dockerfile: Dockerfile.production

  # Target
  #
  # The stage of a multi-stage Dockerfile to build; unset, the last one.
  target: production

  # Build arguments
  #
  # Passed as \`--build-arg NAME=value\`; read them with \`ARG NAME\` in the Dockerfile.
  args:
    RUBY_VERSION: 3.3.4
    ENVIRONMENT: production

  # Driver
  #
  # The buildx driver Kamal uses (default \`docker-container\`). Drover builds with
  # the daemon either way, except for Docker Build Cloud (\`cloud org/builder\`),
  # which it refuses.
  driver: docker

  # Provenance and SBOM
  #
  # Build attestations. Drover can only build without them: \`provenance: false\`
  # is accepted, \`sbom: true\` and other provenance values are refused.
  provenance: false
  sbom: false

  # Refused by Drover (buildx or BuildKit needed):
  #
  # A remote builder for the architectures the local machine lacks, and whether
  # to build locally at all (default true):
  #
  #   remote: ssh://docker@docker-builder
  #   local: true
  #
  # Cloud Native Buildpacks through the pack CLI (one architecture only):
  #
  #   pack:
  #     builder: heroku/builder:24
  #     buildpacks:
  #       - heroku/ruby
  #       - heroku/procfile
  #
  # A build cache, \`type\` gha or registry; \`image\` names the registry cache image
  # (default \`<image>-build-cache\`) and does not work with the docker driver:
  #
  #   cache:
  #     type: registry
  #     options: mode=max
  #     image: storefront-build-cache
  #
  # Build secrets, read from the secrets files and mounted with
  # \`RUN --mount=type=secret,id=GITHUB_TOKEN\`:
  #
  #   secrets:
  #     - GITHUB_TOKEN
  #
  # An SSH agent socket or keys for the build:
  #
  #   ssh: default=$SSH_AUTH_SOCK
`;
