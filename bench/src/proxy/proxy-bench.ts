/**
 * Benchmark: requests/s and p50/p99 latency with wrk, straight to a target vs through
 * @drover/proxy (`kamal-proxy run`) vs through Debian's nginx as a reverse proxy; small and
 * 100 KB responses. The target is nginx serving static files (one worker), so the proxies are
 * what is measured. Needs `nginx` and `wrk` (apt-get install -y nginx wrk).
 *
 *   node bench/dist/proxy/proxy-bench.js [--duration 5] [--connections 50]
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { chmodSync, mkdtempSync, mkdirSync, rmSync, writeFileSync } from 'node:fs';
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

function nginxConfig(dir: string, workers: string, body: string): string {
  return `worker_processes ${workers};
daemon off;
pid ${dir}/nginx-${workers}.pid;
error_log ${dir}/error.log warn;
events { worker_connections 4096; }
http {
  access_log off;
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
    const [targetPort, nginx1Port, nginx2Port, proxyPort, proxyTls] = await Promise.all([freePort(), freePort(), freePort(), freePort(), freePort()]);
    children.push(startNginx(dir, 'target', nginxConfig(dir, '1', `server { listen 127.0.0.1:${targetPort}; root ${dir}/www; default_type text/plain; keepalive_requests 1000000; }`)));
    const proxyBlock = (port: number): string => `upstream app { server 127.0.0.1:${targetPort}; keepalive 100; }
  server { listen 127.0.0.1:${port}; keepalive_requests 1000000;
    location / { proxy_pass http://app; proxy_http_version 1.1; proxy_set_header Connection ""; proxy_set_header Host $host;
      proxy_set_header X-Forwarded-For $proxy_add_x_forwarded_for; proxy_set_header X-Forwarded-Proto $scheme; proxy_buffering off; } }`;
    children.push(startNginx(dir, 'proxy1', nginxConfig(dir, '1', proxyBlock(nginx1Port))));
    children.push(startNginx(dir, 'proxy2', nginxConfig(dir, 'auto', proxyBlock(nginx2Port))));
    const env = { ...process.env, KAMAL_PROXY_SOCKET: join(dir, 'kp.sock'), XDG_CONFIG_HOME: join(dir, 'config'), KAMAL_PROXY_BIND: '127.0.0.1' };
    const proxy = spawn(process.execPath, [CLI, 'run', `--http-port=${proxyPort}`, `--https-port=${proxyTls}`], { env, stdio: 'ignore' });
    children.push(proxy);
    await Promise.all([targetPort, nginx1Port, nginx2Port, proxyPort].map(waitForPort));
    const deploy = spawnSync(process.execPath, [CLI, 'deploy', 'bench', `--target=127.0.0.1:${targetPort}`], { env, encoding: 'utf8' });
    if (deploy.status !== 0) throw new Error(`deploy failed: ${deploy.stderr}`);

    const rows: string[] = [];
    for (const [label, path] of [['small (12 B)', '/small'], ['100 KB', '/large']] as const) {
      wrk(proxyPort, path); // warm-up of the JIT and connection pools, not recorded
      const direct = wrk(targetPort, path);
      const ours = wrk(proxyPort, path);
      const n1 = wrk(nginx1Port, path);
      const n2 = wrk(nginx2Port, path);
      const line = (name: string, r: Result): string =>
        `| ${label} | ${name} | ${r.rps.toFixed(0)} | ${r.p50} | ${r.p99} | ${(ours.rps / n1.rps).toFixed(2)}× / ${(ours.rps / n2.rps).toFixed(2)}× |`;
      rows.push(line('direct to target', direct), line('@drover/proxy', ours), line('nginx proxy, 1 worker', n1), line('nginx proxy, auto (2) workers', n2));
    }
    console.log(`machine: ${cpus().length} × ${cpus()[0]?.model ?? '?'}, node ${process.version}`);
    console.log(`wrk -t2 -c${CONNECTIONS} -d${DURATION}s --latency (keep-alive)\n`);
    console.log('| response | path | req/s | p50 | p99 | ours ÷ nginx (1 worker / auto) |');
    console.log('|---|---|---|---|---|---|');
    for (const r of rows) console.log(r);
  } finally {
    for (const c of children) c.kill('SIGTERM');
    await new Promise((r) => setTimeout(r, 300));
    rmSync(dir, { recursive: true, force: true });
  }
}

await main();
