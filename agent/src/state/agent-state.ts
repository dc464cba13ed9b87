import { createPrivateKey, type KeyObject } from 'node:crypto';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { z } from 'zod';
import { UserError } from '@drover/shared';
import { FINGERPRINT_PATTERN } from '@drover/shared/protocol';
import { writePrivateFile } from './secure-file.js';

/** What enrollment leaves on the host; no join token is ever kept. */
export const AgentIdentity = z.object({
  agentId: z.string().min(1),
  name: z.string().min(1),
  controllerId: z.string().min(1),
  controllerUrl: z.string().url(),
  fingerprint: z.string().regex(FINGERPRINT_PATTERN),
  enrolledAt: z.number(),
}).strict();
export type AgentIdentity = z.infer<typeof AgentIdentity>;

export function defaultAgentDataDir(env: NodeJS.ProcessEnv = process.env): string {
  return env.DROVER_AGENT_DATA_DIR || '/var/lib/drover-agent';
}

export const identityPath = (dataDir: string) => join(dataDir, 'identity.json');
export const keyPath = (dataDir: string) => join(dataDir, 'agent-key.pem');

export function isEnrolled(dataDir: string): boolean {
  return existsSync(identityPath(dataDir));
}

export function saveIdentity(dataDir: string, identity: AgentIdentity, privateKey: KeyObject): void {
  // Key first: an identity without its key would be unusable.
  writePrivateFile(keyPath(dataDir), privateKey.export({ type: 'pkcs8', format: 'pem' }) as string);
  writePrivateFile(identityPath(dataDir), JSON.stringify(identity, null, 2) + '\n');
}

export function loadIdentity(dataDir: string): { identity: AgentIdentity; privateKey: KeyObject } {
  const idFile = identityPath(dataDir);
  if (!existsSync(idFile)) throw new UserError(`${dataDir}: this host is not enrolled; run \`drover-agent enroll --token T\` first`);
  let raw: unknown;
  try {
    raw = JSON.parse(readFileSync(idFile, 'utf8'));
  } catch {
    throw new UserError(`${idFile}: not valid JSON; enroll again`);
  }
  const parsed = AgentIdentity.safeParse(raw);
  if (!parsed.success) throw new UserError(`${idFile}: ${parsed.error.issues[0]?.path.join('.')}: ${parsed.error.issues[0]?.message}; enroll again`);
  let privateKey: KeyObject;
  try {
    privateKey = createPrivateKey(readFileSync(keyPath(dataDir), 'utf8'));
  } catch (err) {
    throw new UserError(`${keyPath(dataDir)}: cannot read the agent key (${(err as Error).message}); enroll again`);
  }
  if (privateKey.asymmetricKeyType !== 'ed25519') throw new UserError(`${keyPath(dataDir)}: expected an Ed25519 key`);
  return { identity: parsed.data, privateKey };
}
