#!/usr/bin/env node
// The README's first command: the embedded default, for real. Brings up the rig (operator
// side + two NAT'd hosts), starts the controller on the operator side, enrolls an agent on
// each host (they dial out through the NAT), builds and pushes the sample app, runs it on
// both hosts, publishes port 80 of each host like an office router would, and prints what
// to try. `npm run demo -- down` removes it.
import { existsSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { processAlive } from '../rig/lock.js';
import { DROVER, drover, listAgents, startAgent, startController } from './drover-processes.js';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { Rig, waitFor } from '../rig/index.js';
import { deployThroughAgents, writeSampleProject } from './deploy-through-drover.js';
import { RIG_DATA_DIR } from '../rig/paths.js';
import { teardownSlot } from '../rig/slots.js';
import { httpGet } from '../e2e/http-get.js';

const STATE = join(RIG_DATA_DIR, 'demo.json');
const CONTROLLER_DATA = join(RIG_DATA_DIR, 'demo', 'controller');
const CONTROLLER_PORT = 7443;
const HOSTS = ['web-1', 'web-2'];
const started = Date.now();
const elapsed = () => `${((Date.now() - started) / 1000).toFixed(1)}s`;
const say = (line: string) => console.log(`[${elapsed().padStart(6)}] ${line}`);

async function removePrevious(): Promise<void> {
  if (!existsSync(STATE)) return;
  const { slot, controllerPid } = JSON.parse(readFileSync(STATE, 'utf8')) as { slot: number; controllerPid?: number };
  say(`removing the previous demo (rig slot ${slot})`);
  if (controllerPid && processAlive(controllerPid)) process.kill(controllerPid, 'SIGTERM');
  await teardownSlot(slot);
  rmSync(join(RIG_DATA_DIR, 'demo'), { recursive: true, force: true });
  rmSync(STATE, { force: true });
}

async function up(): Promise<void> {
  await removePrevious();
  say('starting the rig: operator side (build dockerd + registry), NAT gateway, hosts ' + HOSTS.join(', '));
  const rig = await Rig.start({ hosts: HOSTS, keep: true, log: say });
  writeFileSync(STATE, JSON.stringify({ slot: rig.topology.slot }));

  say(`starting the controller on the operator side (https://${rig.operator.address}:${CONTROLLER_PORT})`);
  const controller = await startController(CONTROLLER_DATA, rig.operator.address, CONTROLLER_PORT);
  writeFileSync(STATE, JSON.stringify({ slot: rig.topology.slot, controllerPid: controller.pid }));
  // Log this machine's operator in, so `drover agents` works after the demo.
  drover(['login', controller.url, '--token', controller.adminToken, '--fingerprint', controller.fingerprint]);
  const operatorEnv = { ...process.env, DROVER_CONTROLLER: controller.url, DROVER_TOKEN: controller.adminToken, DROVER_FINGERPRINT: controller.fingerprint };
  await Promise.all(rig.hosts.map(async (host) => {
    const t0 = Date.now();
    await startAgent(host, operatorEnv);
    await waitFor(`agent ${host.name} online`, async () => listAgents(operatorEnv).find((a) => a.name === host.name && a.online), 30_000, 250);
    say(`${host.name}: agent enrolled and connected outbound through the NAT (${((Date.now() - t0) / 1000).toFixed(1)}s)`);
  }));
  const version = `demo-${new Date().toISOString().slice(0, 19).replace(/[-:T]/g, '')}`;
  say(`building and pushing the sample app ${version} and the kamal-proxy image`);
  const [, proxyImage] = await Promise.all([rig.buildSampleApp({ version }), rig.buildProxyImage()]);
  const projectDir = join(RIG_DATA_DIR, 'demo', 'app');
  writeSampleProject(projectDir, rig);
  say(`deploying ${projectDir}/config/deploy.yml through the agents`);
  await deployThroughAgents(projectDir, version, proxyImage, controller, say);
  const urls: string[] = [];
  for (const host of rig.hosts) {
    const url = `http://${await host.publish([80, 443])}/`;
    await waitFor(`the app on ${host.name}`, async () => ((await httpGet(`${url}up`)).status === 200 ? true : undefined), 30_000);
    urls.push(url);
    say(`${host.name}: answering at ${url} through kamal-proxy`);
  }

  const h = rig.hosts[0]!;
  console.log([
    '',
    'Drover demo is up. Two hosts sit behind a NAT gateway: nothing on this machine can',
    'connect into them, except the ports their "router" forwards (80/443). Their agents',
    `dialed out to the controller at ${controller.url}.`,
    '',
    `  alias drover="node ${DROVER}"`,
    '  drover agents          # both hosts online, address as seen = the NAT gateway',
    '',
    ...urls.map((u) => `  curl ${u}cgi-bin/whoami`),
    '',
    `  # the project that was deployed (an ordinary Kamal 2 config):`,
    `  cat ${projectDir}/config/deploy.yml`,
    `  drover config -c ${projectDir}/config/deploy.yml --version ${version}`,
    '',
    `  # a shell on ${h.name}, which sees only its own dockerd (kamal-proxy + the app, named as Kamal names them):`,
    `  ${h.enterArgs().join(' ')} docker ps`,
    `  # the host's LAN address is not reachable inbound (this times out):`,
    `  curl --max-time 3 http://${h.address}/`,
    '',
    'Remove it with: npm run demo -- down',
  ].join('\n'));
}

async function down(): Promise<void> {
  await removePrevious();
  say('demo removed');
}

const { positionals } = parseArgs({ allowPositionals: true });
(positionals[0] === 'down' ? down() : up()).then(
  () => process.exit(0),
  (e: Error) => {
    console.error(`demo: ${e.message}`);
    process.exit(1);
  },
);
