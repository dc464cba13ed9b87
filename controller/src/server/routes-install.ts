import { createReadStream, existsSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { FastifyInstance, FastifyPluginAsync } from 'fastify';
import { z } from 'zod';
import { curlPinOf } from '@drover/shared/protocol';
import { agentFacingUrl, shellQuote } from './agent-facing-url.js';
import { sendError } from './http-errors.js';

/** Where the installer script and the agent artifacts are read from. */
export interface InstallAssets {
  scriptFile: string;
  artifactsDir: string;
}

export interface InstallRouteDeps {
  /** The controller's TLS key fingerprint (`sha256:<hex>`), baked into the script as curl's pin. */
  fingerprint: string;
  publicUrl: string | null;
  scheme: 'https' | 'http';
  assets?: InstallAssets;
}

/** Artifact downloads (~100 MB each) served at once; more wait for a 503 and retry. */
const MAX_CONCURRENT_DOWNLOADS = 8;
const ARTIFACT_NAME = /^drover-agent-linux-(x64|arm64)(\.sha256)?$/;
const VALUES_MARKER = /^# drover:controller-values.*$/m;
const ArtifactParams = z.object({ file: z.string().max(64) });

/**
 * The checkout's installer/install.sh and agent/dist/artifacts (built by `npm run build:artifacts -w
 * @drover/agent`), found from this file (controller/dist/<dir>/, bundled or not);
 * DROVER_ARTIFACTS_DIR points elsewhere.
 */
export function defaultInstallAssets(env: NodeJS.ProcessEnv = process.env): InstallAssets {
  const repoDir = fileURLToPath(new URL('../../..', import.meta.url));
  return {
    scriptFile: join(repoDir, 'installer', 'install.sh'),
    artifactsDir: env.DROVER_ARTIFACTS_DIR || join(repoDir, 'agent', 'dist', 'artifacts'),
  };
}

/**
 * The line `drover agents token` prints. The token reaches the installer on stdin through `printf`, a shell
 * builtin, so it shows in no process list and is never written to disk; curl trusts only the pinned key
 * (`-k` skips just the CA chain a self-signed certificate cannot pass); a failed download runs `exit 1`.
 */
export function installCommand(url: string, fingerprint: string, token: string): string {
  const fetchScript = `curl -fsSL --pinnedpubkey ${shellQuote(curlPinOf(fingerprint))} -k ${shellQuote(`${url}/install.sh`)} || echo exit 1`;
  return `printf '%s\\n' ${shellQuote(token)} | sudo sh -c "$(${fetchScript})" install.sh --token-stdin`;
}

/** GET /install.sh (with this controller's URL and pin filled in) and GET /artifacts/<file>: unauthenticated, read-only. */
export const installRoutes: FastifyPluginAsync<InstallRouteDeps> = async (app: FastifyInstance, deps) => {
  const assets = deps.assets ?? defaultInstallAssets();
  let downloads = 0;

  app.get('/install.sh', async (req, reply) => {
    if (deps.scheme !== 'https') return sendError(reply, 409, 'no_tls', 'the installer pins the controller\'s TLS key; this controller serves plain HTTP (--insecure-http)');
    const url = deps.publicUrl ?? agentFacingUrl(deps.scheme, req.headers.host);
    if (!url) return sendError(reply, 400, 'no_public_url', 'cannot tell which URL agents should use (the Host header is not HOST[:PORT]); start the controller with --public-url');
    if (!existsSync(assets.scriptFile)) return sendError(reply, 404, 'not_found', `the installer is missing on this controller (${assets.scriptFile})`);
    const template = readFileSync(assets.scriptFile, 'utf8');
    if (!VALUES_MARKER.test(template)) throw new Error(`${assets.scriptFile} has no "# drover:controller-values" line`);
    const values = `DROVER_CONTROLLER_URL=${shellQuote(url)}\nDROVER_CONTROLLER_PIN=${shellQuote(curlPinOf(deps.fingerprint))}`;
    return reply.type('text/x-shellscript; charset=utf-8').header('cache-control', 'no-store').send(template.replace(VALUES_MARKER, () => values));
  });

  app.get('/artifacts/:file', { schema: { params: ArtifactParams } }, async (req, reply) => {
    const { file } = req.params as z.output<typeof ArtifactParams>;
    if (!ARTIFACT_NAME.test(file)) return sendError(reply, 404, 'not_found', `no artifact ${file} (there are drover-agent-linux-x64 and drover-agent-linux-arm64, each with .sha256)`);
    const path = join(assets.artifactsDir, file);
    if (!existsSync(path)) return sendError(reply, 404, 'not_found', `${file} is not built on this controller (npm run build:artifacts -w @drover/agent)`);
    if (file.endsWith('.sha256')) return reply.type('text/plain; charset=utf-8').send(readFileSync(path, 'utf8'));
    if (downloads >= MAX_CONCURRENT_DOWNLOADS) return sendError(reply.header('retry-after', '10'), 503, 'busy', `${MAX_CONCURRENT_DOWNLOADS} agent downloads are under way; retry shortly`);
    downloads++;
    reply.raw.once('close', () => { downloads--; });
    return reply.type('application/octet-stream').header('content-length', statSync(path).size).send(createReadStream(path));
  });
};
