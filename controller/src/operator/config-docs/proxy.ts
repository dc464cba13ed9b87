/** `drover docs proxy`. */
export const PROXY_DOC = `# Proxy
#
# Each host runs kamal-proxy (https://github.com/basecamp/kamal-proxy) in a container
# named kamal-proxy, listening on ports 80 and 443 and forwarding to the app. A deploy
# starts the new container, has kamal-proxy check its health, switches traffic over
# without dropping requests, and then stops the old container. Drover's agent drives
# kamal-proxy through the Docker API exactly as Kamal does over SSH, so both can share
# a host's proxy.
#
# The root \`proxy\` hash applies to the primary role. These are per-application
# settings, sent with each deploy; several apps on one host share the proxy without
# sharing them. \`run\` is the exception: it configures the proxy container itself.
proxy:

  # Host
  #
  # The host name(s) the app answers to; kamal-proxy only routes matching requests
  # to it. \`host\` takes one name or a comma-separated list, \`hosts\` a list; use one
  # of the two (also after a role's settings are merged over these). Without either,
  # the app gets every request that no other app on the proxy claims with a host name.
  host: shop.example.com
  # or:
  #   hosts:
  #     - shop.example.com
  #     - www.shop.example.com

  # App port
  #
  # The port the app listens on inside its container. Default 80.
  app_port: 3000

  # SSL
  #
  # \`true\` lets kamal-proxy obtain a Let's Encrypt certificate for \`host\`. That
  # needs a host name, a role with a single server, DNS pointing at that server and
  # port 443 reachable for the challenge. Default false. A role can instead bring its
  # own certificate (see the \`api\` role below).
  ssl: true

  # SSL redirect
  #
  # With SSL, plain HTTP requests are redirected to HTTPS. \`false\` passes them to the
  # app instead.
  ssl_redirect: false

  # Forward headers
  #
  # Whether kamal-proxy passes X-Forwarded-For and X-Forwarded-Proto on. Unset, it
  # does when SSL is off and does not when SSL is on; set \`true\` behind a load
  # balancer you trust.
  forward_headers: true

  # Response timeout
  #
  # Seconds a request may take before kamal-proxy gives up on it. Default 30.
  response_timeout: 10

  # Path prefix
  #
  # Route only requests under these paths to the app, to split one host between
  # services. \`path_prefix\` takes one path or a comma-separated list, \`path_prefixes\`
  # a list (it wins when both are set, as in the \`api\` role below).
  path_prefix: /shop

  # Strip the path prefix
  #
  # By default the prefix is removed before the request reaches the app
  # (/shop/cart arrives as /cart). \`false\` keeps it.
  strip_path_prefix: false

  # Health check
  #
  # While deploying, kamal-proxy requests \`path\` every \`interval\` seconds, each
  # attempt allowed \`timeout\` seconds, until the app answers 200 or the deploy
  # timeout runs out. Defaults: /up, every second, 5 seconds.
  healthcheck:
    path: /health
    interval: 3
    timeout: 3

  # Buffering
  #
  # Whether kamal-proxy buffers request and response bodies (both on by default),
  # how much of a body it keeps in memory before using disk (\`memory\`, bytes,
  # default 1 MB), and the largest bodies it accepts (\`max_request_body\`, default
  # 1 GB; \`max_response_body\`, default unlimited; 0 means unlimited).
  buffering:
    requests: true
    responses: true
    memory: 2000000
    max_request_body: 40000000
    max_response_body: 0

  # Request logging
  #
  # The headers kamal-proxy logs with each request. By default the request headers
  # Cache-Control, Last-Modified and User-Agent, and no response headers.
  logging:
    request_headers:
      - Cache-Control
      - X-Request-Start
    response_headers:
      - X-Request-ID

  # Proxy container
  #
  # How the kamal-proxy container is started when a host boots it. All roles and
  # accessories sharing a host must agree on these. Without \`run\`, the settings of
  # the deprecated \`proxy boot_config\` command are used.
  run:
    # Published ports, default 80 and 443, and the addresses to bind them to
    # (default all).
    http_port: 80
    https_port: 443
    bind_ips:
      - 0.0.0.0
    # \`false\` publishes no ports, e.g. when another proxy sits in front; the
    # three settings above are then not allowed.
    publish: true
    # Expose Prometheus metrics on this port.
    metrics_port: 9090
    # Verbose kamal-proxy logs. Default false.
    debug: false
    # Rotate the proxy's Docker log at this size. Default 10m.
    log_max_size: 30m
    # The image: registry (default Docker Hub), repository (default
    # basecamp/kamal-proxy) and version (default v0.9.2).
    registry: registry.example.com
    repository: mirror/kamal-proxy
    version: v0.9.2
    # Extra docker run options for the proxy container.
    options:
      memory: 512m

# Roles and the proxy
#
# The primary role is behind the proxy unless it says \`proxy: false\`; other roles
# only with \`proxy: true\` (root settings) or a hash, which is merged over the root
# settings, \`run\` included.
servers:
  web:
    - web-1
  api:
    hosts:
      - api-1
      - api-2
    proxy:
      host: api.example.com,api.example.org
      path_prefixes:
        - /v1
        - /v2
      # A certificate of your own, for several servers or another CA: the names
      # of the secrets holding the PEM certificate and key. Both are required.
      ssl:
        certificate_pem: API_CERTIFICATE_PEM
        private_key_pem: API_PRIVATE_KEY_PEM
  workers:
    hosts:
      - worker-1
    proxy: false
`;
