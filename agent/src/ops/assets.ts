import { cp, readdir } from 'node:fs/promises';
import type Dockerode from 'dockerode';
import { UserError } from '@drover/shared';
import { daemonMessage } from './docker-errors.js';
import { logTail, removeContainer } from './containers.js';
import { makeDirectory, removePath } from './host-files.js';
import { assetsContainerName, hostPaths } from './names.js';

/** Where the helper container sees the service's `assets/` directory. */
const MOUNT = '/drover-assets';

/** `asset_path` is `path[:opts]`; the options go on the volume (`:ro`, …). */
export function splitAssetPath(assetPath: string): { path: string; options: string | null } {
  const i = assetPath.indexOf(':');
  return i < 0 ? { path: assetPath, options: null } : { path: assetPath.slice(0, i), options: assetPath.slice(i + 1) || null };
}

export interface AssetBridge {
  /** The `--volume` entry for the new container: `…/assets/volumes/<role>-<version>:<asset_path>[:opts]`. */
  volume: string;
}

/**
 * Kamal's asset bridging (reference §5 "Assets") through the Docker API.
 * Extract: Kamal creates `<prefix>-assets` from the new image and `docker container cp -L`s `<asset_path>/.`
 * out of it. The agent runs that container instead, with the service's `assets/` directory bind-mounted,
 * and lets it `cp -RL` its own files there (the image needs `sh` and `cp`, as any image that serves assets has).
 * Sync: `cp -rnT` (copy without overwriting) of the new version's files into its volume, then across with
 * the old version both ways, so requests for either version's assets succeed during the switch.
 */
export async function bridgeAssets(docker: Dockerode, p: {
  runDir: string; svcDest: string; prefix: string; role: string; version: string; image: string; assetPath: string; oldVersion: string | null; host: string;
}): Promise<AssetBridge> {
  const { path, options } = splitAssetPath(p.assetPath);
  const extracted = hostPaths.assetsExtracted(p.runDir, p.svcDest);
  const volumes = hostPaths.assetsVolumes(p.runDir, p.svcDest);
  const current = `${p.role}-${p.version}`;
  await makeDirectory(`${extracted}/${current}`, 'asset directory');
  await makeDirectory(`${volumes}/${current}`, 'asset volume directory');

  const name = assetsContainerName(p.prefix);
  await removeContainer(docker, name, true);
  let output = '';
  let status: number;
  try {
    const container = await docker.createContainer({
      name, Image: p.image, User: '0', Entrypoint: ['sh', '-c'],
      // The asset path and target go in as positional parameters: nothing from the config is parsed by the shell.
      Cmd: ['cp -RL "$1"/. "$2"/', 'sh', path, `${MOUNT}/extracted/${current}`],
      HostConfig: { Binds: [`${p.runDir}/apps/${p.svcDest}/assets:${MOUNT}`], NetworkMode: 'none' },
      AttachStdout: true, AttachStderr: true,
    });
    await container.start();
    status = ((await container.wait()) as { StatusCode: number }).StatusCode;
    if (status !== 0) output = (await logTail(docker, container.id, 20)).join('\n').trim();
  } catch (e) {
    await removeContainer(docker, name, true).catch(() => undefined);
    throw new UserError(`extracting assets ${path} from ${p.image} failed on ${p.host}: ${daemonMessage(e)}`, { cause: e });
  }
  await removeContainer(docker, name, true);
  if (status !== 0) throw new UserError(`extracting assets ${path} from ${p.image} failed on ${p.host}: ${output || `exit status ${status}`}`);

  await copyNoClobber(`${extracted}/${current}`, `${volumes}/${current}`);
  if (p.oldVersion && p.oldVersion !== p.version) {
    const old = `${p.role}-${p.oldVersion}`;
    // Kamal: `cp -rnT … || true` both ways; the old version may have had no assets.
    await copyNoClobber(`${extracted}/${current}`, `${volumes}/${old}`).catch(() => undefined);
    await copyNoClobber(`${extracted}/${old}`, `${volumes}/${current}`).catch(() => undefined);
  }
  return { volume: `${volumes}/${current}:${path}${options ? `:${options}` : ''}` };
}

/** `cp -rnT src dst`: recursive, existing files kept, symlinks copied as links. */
async function copyNoClobber(src: string, dst: string): Promise<void> {
  await readdir(src); // a missing source fails like cp does
  await cp(src, dst, { recursive: true, force: false, errorOnExist: false, verbatimSymlinks: true });
}

/** After the old version is stopped: drop every `<role>-*` except the current one, in extracted/ and volumes/. */
export async function cleanupAssets(runDir: string, svcDest: string, role: string, version: string): Promise<void> {
  for (const dir of [hostPaths.assetsExtracted(runDir, svcDest), hostPaths.assetsVolumes(runDir, svcDest)]) {
    for (const entry of await readdir(dir).catch(() => [] as string[])) {
      if (entry.startsWith(`${role}-`) && entry !== `${role}-${version}`) await removePath(`${dir}/${entry}`);
    }
  }
}
