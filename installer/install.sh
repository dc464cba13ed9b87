#!/bin/sh
# Installs, upgrades or removes the Drover agent on this host (docs/install.md).
#
# The controller serves this script at /install.sh with its URL and TLS key pin filled in below, and
# `drover agents token` prints the line that runs it, e.g.
#   printf '%s\n' 'TOKEN' | sudo sh -c "$(curl -fsSL --pinnedpubkey 'sha256//…' -k https://HOST:PORT/install.sh || echo exit 1)" install.sh --token-stdin
# The token travels on stdin (printf is a shell builtin), so it is in no process's argv and on no disk.
#
# Options: see usage() below. Without systemd the agent runs under $INSTALL_DIR/supervise, a restart loop
# started with setsid; it does not start at boot by itself (docs/install.md).
set -eu

# drover:controller-values (the controller replaces this line with the two assignments below)
DROVER_CONTROLLER_URL=${DROVER_CONTROLLER_URL:-}
DROVER_CONTROLLER_PIN=${DROVER_CONTROLLER_PIN:-}

INSTALL_DIR=/opt/drover-agent
CONFIG_DIR=/etc/drover-agent
DATA_DIR=/var/lib/drover-agent
UNIT_FILE=/etc/systemd/system/drover-agent.service
PID_FILE=/run/drover-agent.pid
# Seconds a stopping agent has to finish operations in progress (a boot: deploy_timeout and its grace) before it is killed.
STOP_TIMEOUT=150
# The binary (~100 MB) plus its download beside it.
MIN_FREE_KB=262144

say() { printf 'drover-install: %s\n' "$*" >&2; }
die() { printf 'drover-install: error: %s\n' "$*" >&2; exit 1; }

usage() {
  cat <<'EOF'
Usage: install.sh [--token-stdin] [--name NAME] [--no-docker] [--controller URL --pin sha256//...]
       install.sh --upgrade | --uninstall [--purge]

  --token-stdin      read the join token from the first line of stdin (or set DROVER_JOIN_TOKEN)
  --name NAME        the agent's name (default: the token's, else the host name)
  --controller URL   the controller (default: the one that served this script)
  --pin sha256//...  the controller's TLS public key pin (default: the one that served this script)
  --no-docker        fail if Docker is not reachable instead of installing it from the distribution
  --upgrade          replace the agent binary of an installed agent and restart it (app containers keep running)
  --uninstall        stop and remove the agent, its service and its identity (app containers and volumes stay)
  --purge            with --uninstall: also remove the app containers, kamal-proxy and their volumes

Without systemd the agent runs under /opt/drover-agent/supervise (start|stop|status), a restart loop;
add `/opt/drover-agent/supervise start` to the boot sequence (rc.local, cron @reboot).
EOF
}

parse_args() {
  mode=install token_stdin=false name='' no_docker=false purge=false
  while [ $# -gt 0 ]; do
    case $1 in
      --token-stdin) token_stdin=true ;;
      --name) [ $# -ge 2 ] || die "--name needs a value"; name=$2; shift ;;
      --controller) [ $# -ge 2 ] || die "--controller needs a value"; DROVER_CONTROLLER_URL=$2; shift ;;
      --pin) [ $# -ge 2 ] || die "--pin needs a value"; DROVER_CONTROLLER_PIN=$2; shift ;;
      --no-docker) no_docker=true ;;
      --upgrade) mode=upgrade ;;
      --uninstall) mode=uninstall ;;
      --purge) purge=true ;;
      -h|--help) usage; exit 0 ;;
      --token) die "--token would put the token in the process list; pipe it with --token-stdin or set DROVER_JOIN_TOKEN" ;;
      *) die "unknown option: $1 (--help lists them)" ;;
    esac
    shift
  done
  if [ "$purge" = true ] && [ "$mode" != uninstall ]; then die "--purge only goes with --uninstall"; fi
}

check_platform() {
  [ "$(uname -s)" = Linux ] || die "drover-agent runs on Linux only (this is $(uname -s))"
  [ "$(id -u)" = 0 ] || die "run as root (e.g. with sudo): the agent is installed in $INSTALL_DIR and runs as a service"
  machine=$(uname -m)
  case $machine in
    x86_64|amd64) arch=x64 ;;
    aarch64|arm64) arch=arm64 ;;
    *) die "unsupported architecture: $machine (drover-agent is built for x86_64 and aarch64)" ;;
  esac
  for tool in curl sha256sum df; do
    command -v "$tool" >/dev/null 2>&1 || die "$tool is required; install it with the distribution's packages"
  done
}

docker_socket() {
  case ${DOCKER_HOST:-} in
    unix://*) printf '%s\n' "${DOCKER_HOST#unix://}" ;;
    '') printf '%s\n' /var/run/docker.sock ;;
    *) die "DOCKER_HOST=$DOCKER_HOST: the agent only talks to a local unix:// socket" ;;
  esac
}

docker_reachable() { curl -fsS --max-time 10 --unix-socket "$1" http://docker/_ping >/dev/null 2>&1; }

# Docker from the distribution's own packages, started and enabled (what Kamal's docker setup does over SSH).
install_docker() {
  say "Docker is not reachable; installing it from the distribution's packages"
  # Each step checked on its own: under `set -e` a failure inside an && list would not stop the script.
  if command -v apt-get >/dev/null 2>&1; then
    apt-get update -q || die "apt-get update failed (above); Docker was not installed"
    DEBIAN_FRONTEND=noninteractive apt-get install -yq docker.io || die "apt-get install docker.io failed (above)"
  elif command -v dnf >/dev/null 2>&1; then dnf install -y docker || dnf install -y moby-engine || die "dnf could not install Docker (above)"
  elif command -v yum >/dev/null 2>&1; then yum install -y docker || die "yum install docker failed (above)"
  elif command -v apk >/dev/null 2>&1; then
    apk add docker || die "apk add docker failed (above)"
    rc-update add docker default || die "rc-update add docker default failed (above)"
  elif command -v zypper >/dev/null 2>&1; then zypper --non-interactive install docker || die "zypper install docker failed (above)"
  else die "no known package manager to install Docker with; install Docker, then run this again"
  fi
  started=true
  if has_systemd; then systemctl enable --now docker || started=false
  elif command -v rc-service >/dev/null 2>&1; then rc-service docker start || started=false
  else service docker start || started=false
  fi
  [ "$started" = true ] || die "Docker was installed but did not start (above)"
}

check_docker() {
  socket=$(docker_socket)
  docker_reachable "$socket" && return 0
  [ "$no_docker" = true ] && die "Docker is not reachable at $socket (--no-docker: not installing it); start Docker or install it, then run this again"
  install_docker
  docker_reachable "$socket" || die "Docker was installed but is not reachable at $socket"
}

check_disk() {
  mkdir -p "$INSTALL_DIR"
  free_kb=$(df -Pk "$INSTALL_DIR" | awk 'NR == 2 { print $4 }')
  [ "${free_kb:-0}" -ge "$MIN_FREE_KB" ] || die "not enough disk space in $INSTALL_DIR: ${free_kb:-0} KiB free, $MIN_FREE_KB KiB needed"
}

# curl against the controller, trusting nothing but its pinned key (-k only skips the CA chain a
# self-signed certificate cannot pass; the pin is still checked).
controller_curl() { curl -fsS --proto '=https' --pinnedpubkey "$DROVER_CONTROLLER_PIN" -k "$@"; }

check_controller() {
  [ -n "$DROVER_CONTROLLER_URL" ] || die "no controller URL: run the line \`drover agents token\` prints, or pass --controller and --pin"
  [ -n "$DROVER_CONTROLLER_PIN" ] || die "no controller key pin: pass --pin sha256//… (from \`drover agents token\`)"
  case $DROVER_CONTROLLER_URL in https://*) ;; *) die "--controller must be an https:// URL: $DROVER_CONTROLLER_URL" ;; esac
  if ! err=$(controller_curl --max-time 20 -o /dev/null "$DROVER_CONTROLLER_URL/healthz" 2>&1); then
    die "cannot reach the controller at $DROVER_CONTROLLER_URL with the pinned key $DROVER_CONTROLLER_PIN: $err"
  fi
}

# Downloads the artifact next to the installed one, checks its sum, and renames it over the old binary:
# a running agent keeps its (now unlinked) file until it restarts. Sets `replaced` when the binary changed.
fetch_agent() {
  artifact=drover-agent-linux-$arch
  partial=$INSTALL_DIR/.$artifact.download
  trap 'rm -f "$partial"' EXIT
  expected=$(controller_curl --max-time 30 "$DROVER_CONTROLLER_URL/artifacts/$artifact.sha256" | awk '{ print $1 }') \
    || die "cannot download $artifact.sha256 from the controller"
  printf '%s\n' "$expected" | grep -Eq '^[0-9a-f]{64}$' || die "the controller sent no valid sum for $artifact"
  replaced=true
  if [ -x "$INSTALL_DIR/drover-agent" ] && [ "$(sha256sum "$INSTALL_DIR/drover-agent" | awk '{ print $1 }')" = "$expected" ]; then
    replaced=false
    say "the agent binary is already the controller's ($expected)"
    return 0
  fi
  say "downloading $artifact from $DROVER_CONTROLLER_URL"
  controller_curl --max-time 900 -o "$partial" "$DROVER_CONTROLLER_URL/artifacts/$artifact" || die "cannot download $artifact from the controller"
  actual=$(sha256sum "$partial" | awk '{ print $1 }')
  [ "$actual" = "$expected" ] || die "$artifact: checksum mismatch (got $actual, the controller says $expected); nothing was installed"
  chmod 0755 "$partial"
  mv -f "$partial" "$INSTALL_DIR/drover-agent"
}

write_config() {
  mkdir -p "$CONFIG_DIR" "$DATA_DIR"
  chmod 0700 "$CONFIG_DIR" "$DATA_DIR"
  (
    umask 077
    {
      printf 'DROVER_AGENT_DATA_DIR=%s\n' "$DATA_DIR"
      if [ -n "${DOCKER_HOST:-}" ]; then printf 'DOCKER_HOST=%s\n' "$DOCKER_HOST"; fi
    } >"$CONFIG_DIR/agent.env"
  )
  chmod 0600 "$CONFIG_DIR/agent.env"
}

enrolled() { [ -f "$DATA_DIR/identity.json" ]; }

enroll_agent() {
  if enrolled; then
    say "already enrolled ($DATA_DIR/identity.json)"
    return 0
  fi
  token=${DROVER_JOIN_TOKEN:-}
  if [ "$token_stdin" = true ]; then IFS= read -r token || true; fi
  [ -n "$token" ] || die "this host is not enrolled yet and no join token was given: pipe one with --token-stdin (see \`drover agents token\`)"
  if [ -n "$name" ]; then set -- --name "$name"; else set --; fi
  DROVER_JOIN_TOKEN=$token "$INSTALL_DIR/drover-agent" enroll --data-dir "$DATA_DIR" --controller "$DROVER_CONTROLLER_URL" "$@" \
    || die "enrollment failed (see the message above); nothing is running"
}

has_systemd() { [ -d /run/systemd/system ] && command -v systemctl >/dev/null 2>&1; }

write_systemd_unit() {
  cat >"$UNIT_FILE" <<EOF
[Unit]
Description=Drover agent
Wants=network-online.target docker.service
After=network-online.target docker.service

[Service]
EnvironmentFile=$CONFIG_DIR/agent.env
ExecStart=$INSTALL_DIR/drover-agent run
Restart=always
RestartSec=2
# On SIGTERM the agent lets operations in progress finish (a boot waits for its health gate) before it exits.
TimeoutStopSec=$STOP_TIMEOUT

[Install]
WantedBy=multi-user.target
EOF
}

write_supervisor() {
  cat >"$INSTALL_DIR/supervise" <<EOF
#!/bin/sh
# Keeps drover-agent running on a host without systemd (installed by install.sh): start | stop | status.
set -eu
pid_file=$PID_FILE
running() { [ -f "\$pid_file" ] && kill -0 "\$(cat "\$pid_file")" 2>/dev/null; }
case \${1:-} in
  start)
    running && exit 0
    # The loop's own shell expands these (its pid, the pid file argument): single quotes on purpose.
    # shellcheck disable=SC2016
    setsid sh -c 'echo \$\$ >"\$1"; set -a; . $CONFIG_DIR/agent.env; set +a
      while :; do $INSTALL_DIR/drover-agent run; sleep 2; done' supervise "\$pid_file" \\
      </dev/null >>$DATA_DIR/agent.log 2>&1 &
    i=0; while ! running && [ \$i -lt 50 ]; do sleep 0.1; i=\$((i + 1)); done
    running ;;
  stop)
    # The whole group (loop and agent), and only back once the agent is gone: two agents must not overlap.
    # The agent finishes operations in progress first (a boot waits for its health gate), up to the limit.
    if running; then
      group=\$(cat "\$pid_file")
      kill -TERM "-\$group"
      i=0; while kill -0 "-\$group" 2>/dev/null && [ \$i -lt $((STOP_TIMEOUT * 10)) ]; do sleep 0.1; i=\$((i + 1)); done
      if kill -0 "-\$group" 2>/dev/null; then kill -KILL "-\$group"; sleep 0.5; fi
    fi
    rm -f "\$pid_file" ;;
  status) running ;;
  *) echo "usage: \$0 start|stop|status" >&2; exit 64 ;;
esac
EOF
  chmod 0755 "$INSTALL_DIR/supervise"
}

# Starts the service, or restarts it when the binary changed or `restart` is asked for.
start_service() {
  if has_systemd; then
    write_systemd_unit
    systemctl daemon-reload
    systemctl enable drover-agent >/dev/null 2>&1
    if [ "$1" = restart ]; then systemctl restart drover-agent; else systemctl start drover-agent; fi
    say "drover-agent runs as the systemd service drover-agent (journalctl -u drover-agent)"
  else
    write_supervisor
    if [ "$1" = restart ]; then "$INSTALL_DIR/supervise" stop; fi
    "$INSTALL_DIR/supervise" start || die "the agent did not start; see $DATA_DIR/agent.log"
    say "no systemd: drover-agent runs under $INSTALL_DIR/supervise (log: $DATA_DIR/agent.log); add \`$INSTALL_DIR/supervise start\` to the boot sequence"
  fi
}

stop_service() {
  if has_systemd && [ -f "$UNIT_FILE" ]; then
    systemctl disable --now drover-agent >/dev/null 2>&1 || true
    rm -f "$UNIT_FILE"
    systemctl daemon-reload
  fi
  if [ -x "$INSTALL_DIR/supervise" ]; then "$INSTALL_DIR/supervise" stop; fi
}

# Removes the app containers (a `service` label, as Kamal sets) and kamal-proxy, with their anonymous volumes.
purge_containers() {
  socket=$(docker_socket)
  docker_reachable "$socket" || die "--purge: Docker is not reachable at $socket"
  ids=$(curl -fsS --unix-socket "$socket" -G http://docker/containers/json --data-urlencode all=1 --data-urlencode 'filters={"label":["service"]}' | grep -o '"Id":"[0-9a-f]*"' | cut -d'"' -f4)
  proxy=$(curl -fsS --unix-socket "$socket" -G http://docker/containers/json --data-urlencode all=1 --data-urlencode 'filters={"name":["^/kamal-proxy$"]}' | grep -o '"Id":"[0-9a-f]*"' | cut -d'"' -f4)
  removed=0
  for id in $ids $proxy; do
    curl -fsS --unix-socket "$socket" -X DELETE "http://docker/containers/$id?force=1&v=1" >/dev/null
    removed=$((removed + 1))
  done
  say "--purge: removed $removed containers"
}

# A directory that is a mount point of its own (an admin's choice) keeps the mount, emptied.
remove_dir() { rm -rf "$1" 2>/dev/null || [ -z "$(ls -A "$1" 2>/dev/null)" ] || die "cannot remove $1"; }

uninstall() {
  stop_service
  if [ "$purge" = true ]; then purge_containers; fi
  for dir in "$INSTALL_DIR" "$CONFIG_DIR" "$DATA_DIR"; do remove_dir "$dir"; done
  say "drover-agent removed; app containers and volumes were $([ "$purge" = true ] && echo removed || echo kept). Revoke the agent on the controller: drover agents revoke NAME"
}

main() {
  parse_args "$@"
  check_platform
  if [ "$mode" = uninstall ]; then uninstall; return 0; fi
  if [ "$mode" = upgrade ] && ! enrolled; then die "--upgrade: no agent is installed here ($DATA_DIR/identity.json is missing); install it first"; fi
  check_docker
  check_disk
  check_controller
  fetch_agent
  write_config
  enroll_agent
  if [ "$mode" = upgrade ] || [ "$replaced" = true ]; then start_service restart; else start_service start; fi
  say "done: drover-agent $("$INSTALL_DIR/drover-agent" version) is running; it shows up in \`drover agents\`"
}

# Last line on purpose: a truncated download defines nothing and runs nothing.
main "$@"
