import { spawn, type ChildProcess, type SpawnOptions } from 'node:child_process';
import { mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type Docker from 'dockerode';
import { run, waitFor, type ExecResult, type RunOptions } from './exec.js';
import { bootSystemd, localAptSource, ownDocker, rigDocker } from './boot.js';
import { startDockerd } from './dockerd.js';
import { createMountNs, createNetns, killAll, mountNsPin, netnsPath, processesInCgroup, processesInNamespace, removeCgroup, removeMountNs } from './namespaces.js';
import { ensureLocalArchive } from './packages.js';
import { RIG_DATA_DIR } from './paths.js';
import type { RegistryInfo } from './registry.js';
import { publishRules, type HostTopology, type SlotTopology } from './topology.js';

/** What a dockerless host lacks, and can install from the rig's local archive once booted. */
const DOCKERLESS_INSTALLS = ['docker.io'];

/** One simulated server: its own network, mount and UTS namespaces and its own dockerd, behind the rig's NAT gateway. */
export class RigHost {
  private readonly published = new Set<number>();
  /** Set by `bootSystemd`: the pid (outside) of the host's systemd, whose namespaces commands then enter. */
  private systemdPid: number | null = null;

  constructor(
    readonly topology: HostTopology,
    private readonly slot: SlotTopology,
    /** The dockerd the rig started for the host; null for a host created without one (`dockerless`). */
    private readonly daemon: { docker: Docker; socketPath: string } | null,
  ) {}

  /** dockerode connected to this host's own dockerd. */
  get docker(): Docker {
    return this.rigDaemon().docker;
  }

  /** The host's docker socket as reachable from the operator side (inside the host it is /var/run/docker.sock). */
  get dockerSocketPath(): string {
    return this.rigDaemon().socketPath;
  }

  private rigDaemon(): { docker: Docker; socketPath: string } {
    if (!this.daemon) throw new Error(`rig: ${this.name} was created without a dockerd (dockerless); use docker on the host itself`);
    return this.daemon;
  }

  get name(): string { return this.topology.name; }
  /** LAN address behind the gateway; not reachable from the operator side. */
  get address(): string { return this.topology.lanAddress; }
  get netnsPath(): string { return netnsPath(this.topology.netns); }
  get mountNsPath(): string { return mountNsPin(this.topology.netns); }
  get utsNsPath(): string { return `${this.mountNsPath}.uts`; }

  /** Pulls the host's cable: its link on the gateway's LAN goes down (nothing in or out) until `restoreNetwork`. */
  async cutNetwork(): Promise<void> {
    await run(['ip', '-n', this.slot.gatewayNetns, 'link', 'set', this.topology.vethGateway, 'down']);
  }

  async restoreNetwork(): Promise<void> {
    await run(['ip', '-n', this.slot.gatewayNetns, 'link', 'set', this.topology.vethGateway, 'up']);
  }

  /** The argv prefix that enters this host's namespaces (once booted, those of its systemd, PID namespace included). */
  enterArgs(): string[] {
    if (this.systemdPid !== null) return ['nsenter', '-t', String(this.systemdPid), '--net', '--mount', '--uts', '--pid', '--'];
    return ['nsenter', `--net=${this.netnsPath}`, `--mount=${this.mountNsPath}`, `--uts=${this.utsNsPath}`, '--'];
  }

  /**
   * Boots systemd on the host (boot.ts): from then on, commands run beside it with `systemctl` working, on a
   * root of their own whose writes are lost with the host, and apt knows only the rig's local archive. A host
   * with the rig's dockerd keeps it (Docker's units stand in for it); a dockerless one has no Docker at all
   * (the machine's package is purged from its root) until it installs one, whose state is kept off the overlay.
   * `spawn` then returns nsenter, which forks into the PID namespace: stop such processes from inside (e.g.
   * with systemctl). `binds`: directories of the machine and where the host sees them, read-only (e.g. this
   * checkout, which may be under the machine's /tmp).
   */
  async bootSystemd(binds: ReadonlyArray<readonly [source: string, target: string]> = []): Promise<void> {
    if (this.systemdPid !== null) return;
    const dirs = hostDirs(this.slot, this.name);
    const docker = this.daemon
      ? rigDocker()
      : ownDocker(dirs);
    const scratch = join(dirs.data, 'boot');
    mkdirSync(scratch, { recursive: true });
    this.systemdPid = await bootSystemd({
      enterArgs: this.enterArgs(), hostname: this.name, cgroup: `${this.topology.netns}/boot`, scratch, logFile: join(dirs.data, 'boot.log'), binds,
      // Only a dockerless host needs packages in the archive (downloaded once); the others get it empty.
      setup: [...docker, ...localAptSource(await ensureLocalArchive(this.daemon ? [] : DOCKERLESS_INSTALLS))],
    });
    if (!this.daemon) await this.exec(['dpkg', '--purge', ...DOCKERLESS_INSTALLS], { env: { PATH: '/usr/sbin:/usr/bin:/sbin:/bin', DEBIAN_FRONTEND: 'noninteractive' } });
  }

  /** Runs a command on the host (as a process in its namespaces) and waits for it. */
  exec(argv: readonly string[], options: RunOptions = {}): Promise<ExecResult> {
    return run([...this.enterArgs(), ...argv], options);
  }

  /** Starts a long-running process on the host, e.g. an agent. */
  spawn(argv: readonly string[], options: SpawnOptions = {}): ChildProcess {
    const [nsenter, ...rest] = this.enterArgs();
    return spawn(nsenter!, [...rest, ...argv], options);
  }

  /**
   * Forwards the given TCP ports of the host's public address to the host, like a
   * router's port forwarding. Nothing else becomes reachable. Returns the public address.
   */
  async publish(ports: readonly number[]): Promise<string> {
    const fresh = ports.filter((p) => !this.published.has(p));
    if (this.published.size === 0 && fresh.length > 0) {
      await run(['ip', '-n', this.slot.gatewayNetns, 'addr', 'add', `${this.topology.publicAddress}/24`, 'dev', 'wan0']);
    }
    for (const rule of publishRules(this.topology, fresh)) await run(['nsenter', `--net=${netnsPath(this.slot.gatewayNetns)}`, 'iptables', ...rule]);
    fresh.forEach((p) => this.published.add(p));
    return this.topology.publicAddress;
  }
}

export function hostDirs(slot: SlotTopology, host: string) {
  const data = join(RIG_DATA_DIR, slot.prefix, host);
  // The daemon's socket, pidfile and log; not under /run, which is private inside the host.
  return {
    data, state: join(data, 'daemon'),
    // Docker's directories on the host (bound over /etc/docker, /var/lib/docker, /var/lib/containerd).
    etcDocker: join(data, 'etc-docker'), varLibDocker: join(data, 'docker'), varLibContainerd: join(data, 'containerd'),
  };
}

/** Creates a host: namespaces, its leg on the gateway's LAN, a private /root, /etc/docker, /var/lib/docker and /run, and its dockerd. */
export async function createHost(
  slot: SlotTopology, t: HostTopology, registry: RegistryInfo, Dockerode: typeof Docker, o: { dockerd: boolean } = { dockerd: true },
): Promise<RigHost> {
  const gw = slot.gatewayNetns;
  await createNetns(t.netns);
  await run(['ip', 'link', 'add', t.vethHost, 'type', 'veth', 'peer', 'name', t.vethGateway]);
  await run(['ip', 'link', 'set', t.vethGateway, 'netns', gw]);
  await run(['ip', '-n', gw, 'link', 'set', t.vethGateway, 'master', 'lan0', 'up']);
  await run(['ip', 'link', 'set', t.vethHost, 'netns', t.netns]);
  await run(['ip', '-n', t.netns, 'link', 'set', t.vethHost, 'name', 'eth0']);
  await run(['ip', '-n', t.netns, 'addr', 'add', `${t.lanAddress}/24`, 'dev', 'eth0']);
  await run(['ip', '-n', t.netns, 'link', 'set', 'eth0', 'up']);
  await run(['ip', '-n', t.netns, 'route', 'add', 'default', 'via', slot.lanGatewayAddress]);

  const dirs = hostDirs(slot, t.name);
  rmSync(dirs.data, { recursive: true, force: true });
  mkdirSync(dirs.state, { recursive: true });
  const { etcDocker } = dirs;
  mkdirSync(join(etcDocker, 'certs.d', registry.server), { recursive: true });
  writeFileSync(join(etcDocker, 'certs.d', registry.server, 'ca.crt'), readFileSync(registry.caFile));
  const pin = await createMountNs(t.netns, {
    binds: [
      [join(dirs.data, 'root'), '/root'],
      [etcDocker, '/etc/docker'],
      [dirs.varLibDocker, '/var/lib/docker'],
    ],
    privateRun: true,
  });
  const uts = `${pin}.uts`;
  writeFileSync(uts, '');
  await run(['unshare', `--uts=${uts}`, 'hostname', t.name]);

  if (!o.dockerd) return new RigHost(t, slot, null);
  const dockerd = await startDockerd({ netns: netnsPath(t.netns), mountNs: pin, stateDir: dirs.state, cgroupParent: t.netns });
  return new RigHost(t, slot, { docker: new Dockerode({ socketPath: dockerd.socketPath }), socketPath: dockerd.socketPath });
}

/** Everything a host left running: its daemons (net/mount namespace) and its containers (cgroup). */
export function hostProcesses(namespaceName: string): number[] {
  return [
    ...processesInNamespace(netnsPath(namespaceName), 'net'),
    ...processesInNamespace(mountNsPin(namespaceName), 'mnt'),
    ...processesInCgroup(namespaceName),
  ];
}

export async function destroyHostNamespaces(namespaceName: string): Promise<void> {
  // Twice: a dying containerd may have been mid-way through starting a shim.
  for (let i = 0; i < 2; i++) killAll(hostProcesses(namespaceName));
  await removeMountNs(namespaceName);
  await run(['umount', `${mountNsPin(namespaceName)}.uts`], { check: false });
  rmSync(`${mountNsPin(namespaceName)}.uts`, { force: true });
  await run(['ip', 'netns', 'del', namespaceName], { check: false });
  // A cgroup can only go once the killed processes are reaped (a booted host's systemd takes its units along).
  await waitFor(`the processes of ${namespaceName} to be gone`, async () => (processesInCgroup(namespaceName).length === 0 ? true : undefined), 10_000)
    .catch(() => {});
  await removeCgroup(namespaceName);
}
