import { arch, hostname, platform } from 'node:os';
import { DROVER_VERSION } from '@drover/shared';
import type { InventoryInput } from '@drover/shared/protocol';
import type Docker from 'dockerode';
import { dockerInfo } from './docker-info.js';

/** What the agent reports about its host on every (re)connect. */
export async function collectInventory(docker: Docker | null): Promise<InventoryInput> {
  return {
    t: 'inventory',
    hostname: hostname().slice(0, 255),
    agentVersion: DROVER_VERSION,
    os: platform(),
    arch: arch(),
    docker: await dockerInfo(docker),
    containers: [],
  };
}
