/**
 * Benchmark: requests/s and p50/p99 latency with wrk, straight to a target vs through
 * @drover/proxy (`kamal-proxy run`, 1 worker and one per CPU) vs through Debian's nginx as a
 * reverse proxy (1 worker and `auto`, logging every request as Debian's nginx.conf does; plus
 * `auto` with access_log off); small and 100 KB responses. The target is nginx serving static
 * files (one worker), so the proxies are what is measured. Needs `nginx` and `wrk`.
 *
 *   node bench/dist/proxy/proxy-bench.js [--duration 5] [--connections 50]
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { chmodSync, mkdtempSync, mkdirSync, openSync, rmSync, writeFileSync } from 'node:fs';
import { cpus, tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import net from 'node:net';

const { values } = parseArgs({ options: { duration: { type: 'string', default: '5' }, connections: { type: 'string', default: '50' } } });
const DURATION = Number(values.duration);
const CONNECTIONS = Number(values.connections);
const CLI = fileURLToPath(new URL('../../../proxy/dist/cli/main.js', import.meta.url));

const freePort = (): Promise<number> => new Promise((resolve) => {
  const s = net.createServer().listen(0, '127.0.0.1', () => {
    const port = (s.address() as net.AddressInfo).port;
    s.close(() => resolve(port));
  });
});

/** The http-block settings of Debian's /etc/nginx/nginx.conf that apply to proxying (access log on). */
const DEBIAN_HTTP = 'sendfile on; tcp_nopush on; types_hash_max_size 2048; gzip on;';

function nginxConfig(dir: string, name: string, workers: string, accessLog: boolean, body: string): string {
  return `worker_processes ${workers};
daemon off;
pid ${dir}/nginx-${name}.pid;
error_log ${dir}/error.log warn;
events { worker_connections 4096; }
http {
  ${DEBIAN_HTTP}
  access_log ${accessLog ? `${dir}/access-${name}.log` : 'off'};
  client_body_temp_path ${dir}/body; proxy_temp_path ${dir}/proxy; fastcgi_temp_path ${dir}/fcgi;
  uwsgi_temp_path ${dir}/uwsgi; scgi_temp_path ${dir}/scgi;
  ${body}
}
`;
}

function startNginx(dir: string, name: string, config: string): ChildProcess {
  const file = join(dir, `${name}.conf`);
  writeFileSync(file, config);
  return spawn('nginx', ['-c', file, '-p', dir], { stdio: 'ignore' });
}

async function waitForPort(port: number): Promise<void> {
  for (let i = 0; i < 100; i++) {
    const ok = await new Promise<boolean>((r) => {
      const s = net.connect(port, '127.0.0.1', () => { s.destroy(); r(true); });
      s.on('error', () => r(false));
    });
    if (ok) return;
    await new Promise((r) => setTimeout(r, 50));
  }
  throw new Error(`port ${port} never opened`);
}

interface Result { rps: number; p50: string; p99: string }

function wrk(port: number, path: string): Result {
  const r = spawnSync('wrk', ['-t2', `-c${CONNECTIONS}`, `-d${DURATION}s`, '--latency', `http://127.0.0.1:${port}${path}`], { encoding: 'utf8' });
  const out = r.stdout;
  const rps = Number(/Requests\/sec:\s+([\d.]+)/.exec(out)?.[1] ?? 0);
  const p50 = /\s50%\s+(\S+)/.exec(out)?.[1] ?? '?';
  const p99 = /\s99%\s+(\S+)/.exec(out)?.[1] ?? '?';
  const errors = /Non-2xx or 3xx responses: (\d+)|Socket errors: (.*)/.exec(out);
  if (errors) console.error(`wrk reported errors on ${port}${path}: ${errors[0]}`);
  return { rps, p50, p99 };
}

async function main(): Promise<void> {
  const dir = mkdtempSync(join(tmpdir(), 'drover-proxy-bench-'));
  const children: ChildProcess[] = [];
  try {
    chmodSync(dir, 0o755); // nginx workers run unprivileged and must read the files
    mkdirSync(join(dir, 'www'));
    writeFileSync(join(dir, 'www', 'small'), 'hello world\n');
    writeFileSync(join(dir, 'www', 'large'), Buffer.alloc(100 * 1024, 'x'));
    writeFileSync(join(dir, 'www', 'up'), 'ok\n');
    const [targetPort, nginx1Port, nginx2Port, nginxQuietPort, proxy1Port, proxyNPort, proxyBufferedPort] = (await Promise.all([1, 2, 3, 4, 5, 6, 7].map(() => freePort()))) as
      [number, number, number, number, number, number, number];
    children.push(startNginx(dir, 'target', nginxConfig(dir, 'target', '1', false, `server { listen 127.0.0.1:${targetPort}; root ${dir}/www; default_type text/plain; keepalive_requests 1000000; }`)));
    const proxyBlock = (port: number): string => `upstream app { server 127.0.0.1:${targetPort}; keepalive 100; }
  server { listen 127.0.0.1:${port}; keepalive_requests 1000000;
    location / { proxy_pass http://app; proxy_http_version 1.1; proxy_set_header Connection ""; proxy_set_header Host $host;
      proxy_set_header X-Forwarded-For $proxy_add_x_forwarded_for; proxy_set_header X-Forwarded-Proto $scheme; proxy_buffering off; } }`;
    children.push(startNginx(dir, 'proxy1', nginxConfig(dir, 'proxy1', '1', true, proxyBlock(nginx1Port))));
    children.push(startNginx(dir, 'proxy2', nginxConfig(dir, 'proxy2', 'auto', true, proxyBlock(nginx2Port))));
    children.push(startNginx(dir, 'quiet', nginxConfig(dir, 'quiet', 'auto', false, proxyBlock(nginxQuietPort))));
    // Ours logs every request as JSON on stdout (kamal-proxy does); it goes to a file, like nginx's access log.
    const startProxy = async (name: string, port: number, workers: string, deployFlags: string[] = []): Promise<void> => {
      const env = {
        ...process.env, KAMAL_PROXY_SOCKET: join(dir, `${name}.sock`), XDG_CONFIG_HOME: join(dir, `config-${name}`),
        KAMAL_PROXY_BIND: '127.0.0.1', KAMAL_PROXY_WORKERS: workers,
      };
      const log = openSync(join(dir, `${name}.log`), 'a');
      children.push(spawn(process.execPath, [CLI, 'run', `--http-port=${port}`, `--https-port=${await freePort()}`], { env, stdio: ['ignore', log, 'inherit'] }));
      await waitForPort(port);
      // The RPC socket opens once every worker listens: retry while it is not there yet.
      for (let attempt = 0; ; attempt++) {
        const deploy = spawnSync(process.execPath, [CLI, 'deploy', 'bench', `--target=127.0.0.1:${targetPort}`, ...deployFlags], { env, encoding: 'utf8' });
        if (deploy.status === 0) break;
        if (attempt > 50 || !deploy.stderr.includes('dial unix')) throw new Error(`deploy failed: ${deploy.stderr}`);
        await new Promise((r) => setTimeout(r, 100));
      }
    };
    await Promise.all([targetPort, nginx1Port, nginx2Port, nginxQuietPort].map(waitForPort));
    await startProxy('ours1', proxy1Port, '1');
    await startProxy('oursN', proxyNPort, String(cpus().length));
    // Kamal deploys every app with both buffering flags.
    await startProxy('oursBuffered', proxyBufferedPort, String(cpus().length), ['--buffer-requests', '--buffer-responses']);

    const rows: string[] = [];
    const ratios: string[] = [];
    for (const [label, path] of [['small (12 B)', '/small'], ['100 KB', '/large']] as const) {
      // Warm-up of the JIT and connection pools, not recorded.
      wrk(proxy1Port, path);
      wrk(proxyNPort, path);
      wrk(proxyBufferedPort, path);
      const direct = wrk(targetPort, path);
      const ours1 = wrk(proxy1Port, path);
      const oursN = wrk(proxyNPort, path);
      const buffered = wrk(proxyBufferedPort, path);
      const n1 = wrk(nginx1Port, path);
      const n2 = wrk(nginx2Port, path);
      const quiet = wrk(nginxQuietPort, path);
      const line = (name: string, r: Result): string => `| ${label} | ${name} | ${r.rps.toFixed(0)} | ${r.p50} | ${r.p99} |`;
      rows.push(
        line('direct to target', direct), line('@drover/proxy, 1 worker', ours1), line(`@drover/proxy, ${cpus().length} workers (default)`, oursN),
        line(`@drover/proxy, ${cpus().length} workers, buffered (Kamal's deploy flags)`, buffered),
        line('nginx proxy, 1 worker', n1), line('nginx proxy, auto workers (Debian default)', n2), line('nginx proxy, auto workers, access_log off', quiet),
      );
      const ratio = (a: Result, b: Result): string => `${(a.rps / b.rps).toFixed(2)}×`;
      ratios.push(`| ${label} | ${ratio(oursN, n1)} | ${ratio(oursN, n2)} | ${ratio(oursN, quiet)} | ${ratio(ours1, n1)} | ${ratio(buffered, n1)} | ${ratio(buffered, n2)} |`);
    }
    console.log(`machine: ${cpus().length} × ${cpus()[0]?.model ?? '?'}, node ${process.version}`);
    console.log(`wrk -t2 -c${CONNECTIONS} -d${DURATION}s --latency (keep-alive)\n`);
    console.log('| response | path | req/s | p50 | p99 |');
    console.log('|---|---|---|---|---|');
    for (const r of rows) console.log(r);
    console.log(`\n| response | ours (${cpus().length} workers) ÷ nginx 1 worker | ÷ nginx auto | ÷ nginx auto, no access log | ours 1 worker ÷ nginx 1 worker | buffered ÷ nginx 1 worker | buffered ÷ nginx auto |`);
    console.log('|---|---|---|---|---|---|---|');
    for (const r of ratios) console.log(r);
  } finally {
    for (const c of children) c.kill('SIGTERM');
    await new Promise((r) => setTimeout(r, 300));
    rmSync(dir, { recursive: true, force: true });
  }
}

await main();
