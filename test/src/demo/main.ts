#!/usr/bin/env node
// The README's first command: the embedded default, for real. Brings up the rig (operator side + two
// NAT'd hosts), starts the controller on the operator side, enrolls an agent on each host (they dial out
// through the NAT), then runs a plain `drover deploy` of a Kamal project (a git repository with a
// Dockerfile, built and pushed by drover) and a second version under load with zero downtime, and
// prints what to try. `npm run demo -- down` removes it all.
import { spawn } from 'node:child_process';
import { existsSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { processAlive } from '../rig/lock.js';
import { Rig, waitFor } from '../rig/index.js';
import { RIG_DATA_DIR } from '../rig/paths.js';
import { stopOperatorUnlessShared, teardownSlot } from '../rig/slots.js';
import { SampleProject } from '../e2e/deploy-project.js';
import { httpGet } from '../e2e/http-get.js';
import { startLoad } from '../e2e/load.js';
import { DROVER, drover, listAgents, startAgent, startController } from './drover-processes.js';

const STATE = join(RIG_DATA_DIR, 'demo.json');
const DEMO_DIR = join(RIG_DATA_DIR, 'demo');
const PROJECT_DIR = join(DEMO_DIR, 'sample-app');
const CONTROLLER_PORT = 7443;
const CONTEXT = 'drover-demo';
const HOSTS = ['web-1', 'web-2'];
const BIN = '/usr/local/bin/drover';
const started = Date.now();
const say = (line: string) => console.log(`[${((Date.now() - started) / 1000).toFixed(1).padStart(6)}s] ${line}`);

interface DemoEnv { DROVER_CONTEXT: string; DOCKER_HOST: string }

interface DemoState { slot: number; controllerPid?: number; linkedBin?: boolean }

function readState(): DemoState | null {
  return existsSync(STATE) ? (JSON.parse(readFileSync(STATE, 'utf8')) as DemoState) : null;
}

async function removePrevious(): Promise<void> {
  const state = readState();
  if (!state) return;
  say(`removing the previous demo (rig slot ${state.slot})`);
  if (state.controllerPid && processAlive(state.controllerPid)) process.kill(state.controllerPid, 'SIGTERM');
  await teardownSlot(state.slot);
  try {
    drover(['context', 'remove', CONTEXT]);
  } catch { /* already gone */ }
  if (state.linkedBin && isOurLink()) rmSync(BIN, { force: true });
  rmSync(DEMO_DIR, { recursive: true, force: true });
  rmSync(STATE, { force: true });
}

const WRAPPER_MARK = '# drover, put on the PATH by `npm run demo` (removed by `npm run demo -- down`)';

/**
 * The demo's `drover`: talks to the demo's controller and builds with the rig's operator dockerd unless the
 * caller says otherwise, so the README's "edit, commit, drover deploy" works in any new shell.
 */
function wrapperText(env: DemoEnv): string {
  return [
    '#!/bin/sh',
    WRAPPER_MARK,
    `export DROVER_CONTEXT="\${DROVER_CONTEXT:-${env.DROVER_CONTEXT}}" DOCKER_HOST="\${DOCKER_HOST:-${env.DOCKER_HOST}}"`,
    `exec '${process.execPath}' '${DROVER}' "$@"`,
    '',
  ].join('\n');
}

function isOurLink(): boolean {
  try {
    return readFileSync(BIN, 'utf8').split('\n')[1] === WRAPPER_MARK;
  } catch {
    return false;
  }
}

/** Puts `drover` on the PATH unless something else already answers to that name. */
function linkDrover(env: DemoEnv): boolean {
  if (existsSync(BIN) && !isOurLink()) return false;
  writeFileSync(BIN, wrapperText(env), { mode: 0o755 });
  return true;
}

/** Runs `drover ARGS` in the project as the operator would, its output streamed; resolves to its exit code. */
function droverLive(args: string[], env: NodeJS.ProcessEnv): Promise<number> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, [DROVER, ...args], { cwd: PROJECT_DIR, env: { ...process.env, ...env }, stdio: ['ignore', 'inherit', 'inherit'] });
    child.on('exit', (code) => resolve(code ?? 1));
  });
}

async function up(): Promise<void> {
  await removePrevious();
  say(`starting the rig: operator side (build dockerd + registry), NAT gateway, hosts ${HOSTS.join(', ')}`);
  const rig = await Rig.start({ hosts: HOSTS, keep: true, log: say });
  const state: DemoState = { slot: rig.topology.slot };
  writeFileSync(STATE, JSON.stringify(state));

  say(`starting the controller on the operator side (https://${rig.operator.address}:${CONTROLLER_PORT})`);
  const controller = await startController(join(DEMO_DIR, 'controller'), rig.operator.address, CONTROLLER_PORT);
  state.controllerPid = controller.pid;
  writeFileSync(STATE, JSON.stringify(state));
  // Its own context: an operator's existing login stays as it is.
  drover(['login', controller.url, '--token', controller.adminToken, '--fingerprint', controller.fingerprint, '--context', CONTEXT, '--no-use']);
  const env = { DROVER_CONTEXT: CONTEXT, DOCKER_HOST: `unix://${rig.operator.dockerSocketPath}` };
  await Promise.all(rig.hosts.map(async (host) => {
    const t0 = Date.now();
    await startAgent(host, { ...process.env, ...env });
    await waitFor(`agent ${host.name} online`, async () => listAgents({ ...process.env, ...env }).find((a) => a.name === host.name && a.online), 30_000, 250);
    say(`${host.name}: agent enrolled and connected outbound through the NAT (${((Date.now() - t0) / 1000).toFixed(1)}s)`);
  }));
  say('pushing the kamal-proxy image to the rig registry (hosts cannot reach Docker Hub)');
  await rig.buildProxyImage();
  const project = SampleProject.create(PROJECT_DIR, rig, { servers: { web: HOSTS } }, 'hello from Drover, version 1');
  say(`the sample app: a Kamal project and git repository at ${PROJECT_DIR}`);

  say('$ drover deploy');
  if (await droverLive(['deploy'], env) !== 0) throw new Error('drover deploy failed (see above)');
  const urls: string[] = [];
  for (const host of rig.hosts) urls.push(`http://${await host.publish([80, 443])}`);
  for (const url of urls) await waitFor(`the app at ${url}`, async () => ((await httpGet(`${url}/up`)).status === 200 ? true : undefined), 30_000);

  project.commit('hello from Drover, version 2');
  say('a second version, deployed while a load generator keeps requesting both hosts');
  say('$ drover deploy');
  const load = startLoad(urls.map((u) => `${u}/version`), { ratePerSecond: 100 });
  const code = await droverLive(['deploy'], env);
  const tally = await load.stop();
  if (code !== 0) throw new Error('the second drover deploy failed (see above)');
  say(`load during the deploy: ${tally.ok} requests, ${tally.failed.length} failed (${Math.round(tally.ok / tally.seconds)} req/s)`);
  state.linkedBin = linkDrover(env);
  writeFileSync(STATE, JSON.stringify(state));
  printNextSteps(rig, urls, env, state.linkedBin);
}

function printNextSteps(rig: Rig, urls: string[], env: Record<string, string>, linked: boolean): void {
  const h = rig.hosts[0]!;
  console.log([
    '',
    'Drover demo is up. Two hosts sit behind a NAT gateway: nothing on this machine can connect',
    'into them except the ports their "router" forwards (80/443). Their agents dialed out to the',
    'controller, which ran Kamal\'s deploy through them.',
    '',
    ...(linked ? [] : [
      `  alias drover="node ${DROVER}"      # ${BIN} exists and is not ours`,
      `  export DROVER_CONTEXT=${env.DROVER_CONTEXT} DOCKER_HOST=${env.DOCKER_HOST}`,
    ]),
    `  cd ${PROJECT_DIR}`,
    '',
    ...urls.map((u) => `  curl ${u}/version`),
    '  drover agents                      # both hosts online, address as seen = the NAT gateway',
    '  drover deployments                 # what ran, by whom, how long',
    '  drover lock status',
    '',
    '  # edit the app, commit, deploy again (the version is the git SHA):',
    '  echo "my change" > app/www/version && git commit -qam change && drover deploy',
    '  drover rollback <an earlier SHA>   # git log --format=%H',
    '',
    `  # a shell on ${h.name}, which sees only its own dockerd (kamal-proxy and the app, named as Kamal names them):`,
    `  ${h.enterArgs().join(' ')} docker ps`,
    '',
    'Remove it all with: npm run demo -- down',
  ].join('\n'));
}

async function down(): Promise<void> {
  await removePrevious();
  // The operator side (build dockerd, registry) came up with the demo's rig; a test run may share it.
  const { stopped, live } = await stopOperatorUnlessShared();
  say(stopped ? 'demo removed, operator side stopped' : `demo removed; operator side kept: rig slot(s) ${live.join(', ')} still use it`);
}

const { positionals } = parseArgs({ allowPositionals: true });
(positionals[0] === 'down' ? down() : up()).then(
  () => process.exit(0),
  (e: Error) => {
    console.error(`demo: ${e.message}`);
    process.exit(1);
  },
);
