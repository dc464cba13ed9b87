// A Drover fleet on the rig for end-to-end tests: NAT'd hosts, a real controller on the operator side,
// an enrolled agent on every host (dialling out), and the operator's `drover` as a real process.
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import assert from 'node:assert/strict';
import { Proc } from '@drover/controller/e2e/harness';
import { OPERATOR_ADDRESS, Rig, type RigHost } from '../rig/index.js';
import { agentOnHost, drover, DROVER_MAIN, freePort, serveController, type RigController } from './channel-procs.js';

const AGENT_DIR = '/root/.drover-agent';

export interface DroverRun {
  code: number | null;
  out: string;
  err: string;
  all: string;
}

export class Fleet {
  readonly agents = new Map<string, Proc>();

  private constructor(
    readonly rig: Rig,
    /** Replaced by `restartController`. */
    public controller: RigController,
    readonly dir: string,
    /** DROVER_* for an admin operator, plus DOCKER_HOST = the operator side's build dockerd. */
    readonly env: NodeJS.ProcessEnv,
  ) {}

  /** `enrolled`: the hosts whose agents enroll now (default all); the others wait for `enroll`. `dockerless`: as the rig's. */
  static async start(hosts: string[], opts: { enrolled?: string[]; dockerless?: string[] } = {}): Promise<Fleet> {
    const rig = await Rig.start({ hosts, dockerless: opts.dockerless });
    const dir = mkdtempSync(join(tmpdir(), 'drover-fleet-'));
    try {
      const port = await freePort(OPERATOR_ADDRESS);
      const controller = await serveController(OPERATOR_ADDRESS, port, join(dir, 'ctl'));
      const admin = await drover(['controller', 'token', 'create', '--scope', 'admin', '--data-dir', join(dir, 'ctl')]);
      assert.equal(admin.code, 0, admin.err);
      const env = {
        DROVER_CONFIG_DIR: join(dir, 'cfg'), DROVER_CONTROLLER: controller.url, DROVER_TOKEN: admin.out.trim(),
        DROVER_FINGERPRINT: controller.fingerprint, DOCKER_HOST: `unix://${rig.operator.dockerSocketPath}`,
      };
      const fleet = new Fleet(rig, controller, dir, env);
      const enrolled = opts.enrolled ?? hosts;
      await Promise.all(enrolled.map((h) => fleet.enroll(h)));
      return fleet;
    } catch (err) {
      await rig.stop();
      rmSync(dir, { recursive: true, force: true });
      throw err;
    }
  }

  host(name: string): RigHost {
    return this.rig.host(name);
  }

  /** Mints a join token (with `labels`, `k=v,...`), enrolls the host's agent with it and starts it. */
  async enroll(name: string, labels?: string): Promise<void> {
    const host = this.host(name);
    const minted = await drover(['agents', 'token', '--name', host.name, ...(labels ? ['--labels', labels] : []), '--json'], this.env);
    assert.equal(minted.code, 0, minted.err);
    const enroll = agentOnHost(host, ['enroll', '--data-dir', AGENT_DIR], { DROVER_JOIN_TOKEN: (JSON.parse(minted.out) as { token: string }).token });
    assert.equal(await enroll.exited, 0, enroll.all);
    await this.startAgent(host.name);
  }

  async startAgent(name: string): Promise<void> {
    const agent = agentOnHost(this.host(name), ['run', '--data-dir', AGENT_DIR]);
    this.agents.set(name, agent);
    await agent.waitFor(/info connected/, 20_000);
  }

  async stopAgent(name: string): Promise<void> {
    await this.agents.get(name)?.stop('SIGKILL');
    this.agents.delete(name);
  }

  /** Kills the controller (SIGKILL, no shutdown) and starts it again on the same address and data dir. */
  async restartController(): Promise<void> {
    await this.controller.proc.stop('SIGKILL');
    this.controller = await serveController(OPERATOR_ADDRESS, Number(new URL(this.controller.url).port), join(this.dir, 'ctl'));
  }

  /** Runs `drover ARGS` in `cwd` as the operator would, to completion. */
  run(args: string[], cwd: string, env: NodeJS.ProcessEnv = {}): Promise<DroverRun> {
    const p = this.spawn(args, cwd, env);
    return p.exited.then((code) => ({ code, out: p.out, err: p.err, all: p.all }));
  }

  /** `drover ARGS` in `cwd`, running. */
  spawn(args: string[], cwd: string, env: NodeJS.ProcessEnv = {}): Proc {
    return new Proc(spawn(process.execPath, [DROVER_MAIN, ...args], { cwd, env: { ...process.env, ...this.env, ...env }, stdio: ['ignore', 'pipe', 'pipe'] }));
  }

  async stop(): Promise<void> {
    await Promise.all([...this.agents.values()].map((a) => a.stop('SIGKILL')));
    await this.controller.proc.stop();
    await this.rig.stop();
    rmSync(this.dir, { recursive: true, force: true });
  }
}
