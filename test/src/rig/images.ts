import { chmodSync, copyFileSync, existsSync, mkdirSync, readdirSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import type Docker from 'dockerode';
import { run } from './exec.js';
import type { RegistryInfo } from './registry.js';

export const BUSYBOX_IMAGE = 'drover/busybox:1';
export const NODE_RUNTIME_IMAGE = `drover/node-runtime:${process.versions.node}`;

/** Waits for a dockerode progress stream, failing on the first error entry (Docker reports build/push errors in-band). */
export function followProgress(docker: Docker, stream: NodeJS.ReadableStream, onEvent?: (e: Record<string, unknown>) => void): Promise<Array<Record<string, unknown>>> {
  return new Promise((resolve, reject) => {
    docker.modem.followProgress(
      stream,
      (err: Error | null, output: Array<Record<string, unknown>>) => {
        if (err) return reject(err);
        const failed = output.find((o) => o.error || o.errorDetail);
        if (failed) return reject(new Error(String(failed.error ?? JSON.stringify(failed.errorDetail))));
        resolve(output);
      },
      onEvent,
    );
  });
}

export async function imageExists(docker: Docker, ref: string): Promise<boolean> {
  try {
    await docker.getImage(ref).inspect();
    return true;
  } catch {
    return false;
  }
}

function busyboxTree(root: string): void {
  mkdirSync(join(root, 'bin'), { recursive: true });
  for (const d of ['etc', 'tmp', 'root', 'proc', 'sys', 'dev', 'var/run', 'usr/local/bin']) mkdirSync(join(root, d), { recursive: true });
  chmodSync(join(root, 'tmp'), 0o1777);
  copyFileSync('/bin/busybox', join(root, 'bin/busybox'));
  chmodSync(join(root, 'bin/busybox'), 0o755);
  writeFileSync(join(root, 'etc/passwd'), 'root:x:0:0:root:/root:/bin/sh\nnobody:x:65534:65534:nobody:/nonexistent:/bin/false\n');
  writeFileSync(join(root, 'etc/group'), 'root:x:0:\nnogroup:x:65534:\n');
}

async function linkApplets(root: string): Promise<void> {
  const { stdout } = await run([join(root, 'bin/busybox'), '--list']);
  for (const applet of stdout.split('\n').filter((a) => a && a !== 'busybox')) {
    const link = join(root, 'bin', applet);
    if (!existsSync(link)) symlinkSync('busybox', link);
  }
}

/** Copies an executable and every shared library `ldd` lists for it, keeping their paths. */
async function copyWithLibraries(root: string, binary: string, target: string): Promise<void> {
  mkdirSync(dirname(join(root, target)), { recursive: true });
  copyFileSync(binary, join(root, target));
  chmodSync(join(root, target), 0o755);
  const { stdout } = await run(['ldd', binary]);
  for (const line of stdout.split('\n')) {
    const path = line.match(/(\/\S+)\s+\(0x/)?.[1];
    if (!path) continue;
    mkdirSync(dirname(join(root, path)), { recursive: true });
    copyFileSync(path, join(root, path));
  }
}

async function tarTree(root: string, tarFile: string): Promise<void> {
  await run(['tar', '--numeric-owner', '--owner=0', '--group=0', '-C', root, '-cf', tarFile, '.']);
}

async function importTree(docker: Docker, tarFile: string, ref: string, changes: string[]): Promise<void> {
  const [repo, tag] = ref.split(':') as [string, string];
  const stream = await docker.importImage(tarFile, { repo, tag, changes } as Parameters<Docker['importImage']>[1]);
  await followProgress(docker, stream);
}

/**
 * The two base images nothing on the internet can give us: busybox, and a node runtime
 * made of the host's node binary and the libraries it links.
 */
export async function ensureBaseImages(docker: Docker, workDir: string): Promise<void> {
  if (!(await imageExists(docker, BUSYBOX_IMAGE))) {
    const root = join(workDir, 'busybox-rootfs');
    rmSync(root, { recursive: true, force: true });
    busyboxTree(root);
    await linkApplets(root);
    await tarTree(root, `${root}.tar`);
    await importTree(docker, `${root}.tar`, BUSYBOX_IMAGE, ['CMD ["sh"]']);
    rmSync(root, { recursive: true, force: true });
  }
  if (!(await imageExists(docker, NODE_RUNTIME_IMAGE))) {
    const root = join(workDir, 'node-rootfs');
    rmSync(root, { recursive: true, force: true });
    busyboxTree(root);
    await linkApplets(root);
    await copyWithLibraries(root, process.execPath, '/usr/local/bin/node');
    await tarTree(root, `${root}.tar`);
    await importTree(docker, `${root}.tar`, NODE_RUNTIME_IMAGE, ['CMD ["node"]', 'ENV PATH=/usr/local/bin:/bin']);
    rmSync(root, { recursive: true, force: true });
  }
}

/** Builds an image from a context directory (every file in it is sent). */
export async function buildImage(docker: Docker, contextDir: string, tag: string, labels: Record<string, string> = {}): Promise<void> {
  const src = readdirSync(contextDir);
  const stream = await docker.buildImage({ context: contextDir, src }, { t: tag, labels, rm: true, forcerm: true });
  await followProgress(docker, stream);
}

export async function pushImage(docker: Docker, ref: string, registry: RegistryInfo): Promise<void> {
  const stream = await docker.getImage(ref).push({
    authconfig: { username: registry.username, password: registry.password, serveraddress: registry.server },
  } as Parameters<Docker.Image['push']>[0]);
  await followProgress(docker, stream);
}
