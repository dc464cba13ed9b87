/** `drover docs accessory`. */
export const ACCESSORY_DOC = `# Accessories
#
# Accessories are long-running services next to the app: databases, caches, search
# engines. \`drover setup\` boots them and \`drover remove\` removes them, while
# \`drover deploy\` leaves them alone; they get no zero-downtime switch. Their hosts
# are agent names like any other host and need not appear under \`servers\`.
#
# Each accessory is a hash under \`accessories\`, keyed by its name.
accessories:
  mysql:

    # Service name
    #
    # The container's name and \`service\` label. Default \`<service>-<name>\`, here
    # storefront-mysql.
    service: storefront-db

    # Image
    #
    # The image to run, as you would pass it to docker run. It is pulled with the
    # root registry's login unless the accessory has its own \`registry\`.
    image: mysql:8.0

    # Hosts
    #
    # Exactly one of \`host\`, \`hosts\`, \`role\`, \`roles\`, \`tag\` or \`tags\` says where
    # the accessory runs; the other accessories below show each of them.
    host: db-1

    # Port
    #
    # Published with --publish: "3306" means 3306:3306 on all interfaces, so prefer
    # binding to an address as here. Docker's published ports bypass most host
    # firewalls.
    port: "127.0.0.1:3306:3306"

    # Command
    #
    # Replaces the image's default command.
    cmd: --character-set-server=utf8mb4

    # Labels
    #
    # Extra container labels; \`service\` is set from the service name.
    labels:
      backup: nightly

    # Docker options
    #
    # Extra docker run options as \`name: value\`; \`restart\` sets the restart policy
    # (default unless-stopped).
    options:
      restart: always
      memory: 4g

    # Environment
    #
    # Only the accessory's own \`clear\` and \`secret\` values; the root \`env\` does not
    # apply. See \`drover docs env\`.
    env:
      clear:
        MYSQL_ROOT_HOST: "%"
      secret:
        - MYSQL_ROOT_PASSWORD

    # Files
    #
    # Local files copied to the host and mounted into the container, as
    # \`local:remote[:options]\` (options such as \`ro\`, or \`z\`/\`Z\` for SELinux), or as a
    # hash when you need a mode (default 755) or an owner (root only). A host keeps
    # them under \`<accessory service>/<remote path>\` in the agent user's home.
    # Files ending in .erb are rendered on your machine first, with the same ERB
    # subset as deploy.yml.
    files:
      - config/mysql/my.cnf:/etc/mysql/my.cnf:ro
      - local: config/mysql/init.sql.erb
        remote: /docker-entrypoint-initdb.d/init.sql
        mode: "0600"
        owner: "999:999"

    # Directories
    #
    # Directories created on the host and mounted, in the same two forms. A relative
    # local path lives under \`<accessory service>/\` in the agent user's home; an
    # absolute one is used as it is.
    directories:
      - data:/var/lib/mysql
      - local: logs
        remote: /var/log/mysql
        mode: "0750"
        options: z

    # Volumes
    #
    # Any other mounts, passed to docker run as they are and not created first.
    volumes:
      - /srv/backups:/backups

    # Network
    #
    # The Docker network to join. Default kamal, which the app containers share.
    network: kamal

  redis:
    image: redis:7
    hosts:
      - cache-1
      - cache-2

  search:
    # Registry
    #
    # A registry of the accessory's own (\`drover docs registry\`). The image name is
    # then written without the server, which is put in front of it.
    image: acme/search:2.1
    registry:
      server: registry.example.com
      username: deploy
      password:
        - SEARCH_REGISTRY_PASSWORD
    role: web

  node-exporter:
    image: prom/node-exporter:v1.8.2
    roles:
      - web
      - workers

  log-shipper:
    image: fluent/fluent-bit:3.1
    tag: eu

  grafana:
    image: grafana/grafana:11.2.0
    tags:
      - monitoring

    # Proxy
    #
    # Put the accessory behind the host's kamal-proxy, with the same settings as an
    # app role (\`drover docs proxy\`). It does not inherit the root \`proxy\`.
    proxy:
      host: grafana.example.com
      app_port: 3000

# The roles and tags the accessories above refer to:
servers:
  web:
    - web-1: eu
  workers:
    - worker-1: [ eu, monitoring ]
`;
