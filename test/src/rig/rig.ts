import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Docker from 'dockerode';
import { createGateway, removeInboundDrop } from './gateway.js';
import { createHost, type RigHost } from './host.js';
import { buildImage, pushImage } from './images.js';
import { ensureOperator, type OperatorSide } from './operator.js';
import { ensurePackages } from './packages.js';
import { buildProxyImage } from './proxy-image.js';
import type { RegistryInfo } from './registry.js';
import { writeSampleAppContext, type SampleAppOptions } from './sample-app.js';
import { allocateSlot, teardownSlot } from './slots.js';
import { hostTopology, slotTopology, type SlotTopology } from './topology.js';

export interface RigOptions {
  /** Names of the simulated servers, e.g. ['web-1', 'web-2']. */
  hosts: string[];
  /** Hosts created without a dockerd, as a bare server (boot systemd on them and install Docker there). */
  dockerless?: string[];
  /** Leave the rig up after this process exits (the demo); removed by `rig down`. */
  keep?: boolean;
  log?: (line: string) => void;
}

/**
 * A set of simulated servers behind a NAT gateway, with the operator side
 * (build dockerd + registry) they pull from. See test/src/rig/README.md.
 */
export class Rig {
  private constructor(
    readonly topology: SlotTopology,
    readonly operator: OperatorSide,
    readonly hosts: RigHost[],
  ) {}

  static async start(options: RigOptions): Promise<Rig> {
    const log = options.log ?? (() => {});
    if (new Set(options.hosts).size !== options.hosts.length) throw new Error('rig: host names must be distinct');
    await ensurePackages(log);
    // The slot first: while it is live, `stopOperatorUnlessShared` leaves the operator side running.
    const slot = await allocateSlot(options.keep ?? false);
    const topology = slotTopology(slot);
    try {
      const operator = await ensureOperator();
      await createGateway(topology);
      const hosts = await Promise.all(
        options.hosts.map((name, i) => createHost(topology, hostTopology(topology, name, i), operator.registry, Docker, { dockerd: !options.dockerless?.includes(name) })),
      );
      log(`rig ${topology.prefix}: ${hosts.map((h) => `${h.name} (${h.address})`).join(', ')} behind NAT; operator side ${operator.address}`);
      return new Rig(topology, operator, hosts);
    } catch (e) {
      await teardownSlot(slot);
      throw e;
    }
  }

  get registry(): RegistryInfo {
    return this.operator.registry;
  }

  host(name: string): RigHost {
    const host = this.hosts.find((h) => h.name === name);
    if (!host) throw new Error(`rig: no host named ${name} (have ${this.hosts.map((h) => h.name).join(', ')})`);
    return host;
  }

  /** Builds the sample app on the operator side and pushes it; returns the image reference hosts pull. */
  async buildSampleApp(options: SampleAppOptions): Promise<string> {
    const service = options.service ?? 'sample-app';
    const ref = `${this.registry.server}/drover/${service}:${options.version}`;
    const dir = mkdtempSync(join(tmpdir(), 'drover-sample-'));
    try {
      writeSampleAppContext(join(dir, 'ctx'), options);
      await buildImage(this.operator.docker, join(dir, 'ctx'), ref);
      await pushImage(this.operator.docker, ref, this.registry);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
    return ref;
  }

  /** Builds and pushes the kamal-proxy-compatible image from proxy/dist; returns its reference. */
  async buildProxyImage(version?: string): Promise<string> {
    return buildProxyImage(this.operator.docker, this.registry, version);
  }

  /** Test-only: removes the gateway's inbound-drop rule (proves the NAT test depends on it). */
  async unsafeRemoveInboundDrop(): Promise<void> {
    await removeInboundDrop(this.topology);
  }

  /** Removes the hosts, their daemons and containers, and the gateway. The operator side stays for other rigs. */
  async stop(): Promise<void> {
    await teardownSlot(this.topology.slot);
  }
}
