// `drover proxy …` (Kamal's `kamal proxy`): kamal-proxy on the hosts that run it for a role or accessory.
import type { CommandSpec, Invocation } from '../framework/spec.js';
import { call, containerDetails, loadTarget, onHosts, report } from '../hosts.js';
import { withClient } from '../with-client.js';
import { LOG_OPTIONS } from './app-reads.js';
import { PROXY_STEPS } from './internal-steps.js';
import { jobCommand } from './job.js';
import { logOptions } from './log-options.js';

async function details(inv: Invocation): Promise<number> {
  const { config, specifics, performer } = await loadTarget(inv);
  const outcomes = await withClient(inv, (client) => onHosts(specifics.proxyHosts, (host) => call(client, host, 'proxy.details', { service: config.service, destination: config.destination, performer })));
  return report(inv, 'Proxy', outcomes, (d) => containerDetails(d, 'kamal-proxy'));
}

async function logs(inv: Invocation): Promise<number> {
  const { specifics } = await loadTarget(inv);
  const { logSelection } = await import('../../plan/read-params.js');
  const o = logOptions(inv);
  const { streamLogs } = await import('./log-stream.js');
  return streamLogs(inv, 'Proxy', 'proxy.logs', specifics.proxyHosts.map((host) => ({ host, params: logSelection(o) })), o.follow);
}

const DEPRECATED = 'The proxy boot_config command is deprecated - set the config in the deploy YAML at proxy/run instead';

/** Kamal 2.12 still accepts `proxy boot_config`; Drover reads kamal-proxy's settings only from deploy.yml. */
function bootConfig(action: 'set' | 'get' | 'reset'): CommandSpec {
  return {
    name: action,
    summary: action === 'set' ? 'Deprecated: set proxy/run in deploy.yml' : action === 'get' ? 'Deprecated: shows where the settings come from' : 'Deprecated: nothing to reset',
    options: action === 'set' ? {
      publish: { type: 'string', value: 'true|false', description: 'Publish ports (proxy/run/publish)' },
      'publish-host-ip': { type: 'string', multiple: true, value: 'IP', description: 'proxy/run/publish_host_ip' },
      'http-port': { type: 'string', value: 'PORT', description: 'proxy/run/http_port' },
      'https-port': { type: 'string', value: 'PORT', description: 'proxy/run/https_port' },
      'log-max-size': { type: 'string', value: 'SIZE', description: 'proxy/run/log_max_size' },
      registry: { type: 'string', value: 'HOST', description: 'proxy/run/registry' },
      repository: { type: 'string', value: 'NAME', description: 'proxy/run/repository' },
      'image-version': { type: 'string', value: 'VERSION', description: 'proxy/run/version' },
      'metrics-port': { type: 'string', value: 'PORT', description: 'proxy/run/metrics_port' },
      debug: { type: 'boolean', description: 'proxy/run/debug' },
      'docker-options': { type: 'string', multiple: true, value: 'K=V', description: 'proxy/run/options' },
    } : {},
    async run(inv) {
      inv.io.err(DEPRECATED);
      inv.io.err(action === 'get'
        ? "Drover's agents start kamal-proxy with the settings under proxy/run in deploy.yml (`drover config` shows them)."
        : 'Drover keeps no boot config on the hosts: nothing was changed. Put these settings under proxy/run in deploy.yml, then run `drover proxy reboot`.');
      return 0;
    },
  };
}

const CONFIRM = { confirmed: { type: 'boolean', short: 'y', description: 'Do not ask for confirmation' } } as const;

export const proxyCommand: CommandSpec = {
  name: 'proxy',
  summary: 'Manage kamal-proxy on the servers',
  subcommands: [
    jobCommand('boot', 'proxy boot', { summary: 'Boot kamal-proxy on the servers (a running one is left alone)' }),
    { name: 'boot_config', aliases: ['boot-config'], summary: 'Deprecated: kamal-proxy settings live in deploy.yml under proxy/run', subcommands: [bootConfig('set'), bootConfig('get'), bootConfig('reset')] },
    jobCommand('reboot', 'proxy reboot', {
      summary: 'Reboot kamal-proxy on the servers (stop, remove, start), with the pre/post-proxy-reboot hooks',
      options: { rolling: { type: 'boolean', description: 'One host at a time' }, ...CONFIRM },
      commandOptions: (inv) => ({ rolling: inv.options.rolling === true }),
      confirm: 'This will cause a brief outage on each host.',
    }),
    jobCommand('start', 'proxy start', { summary: 'Start an existing kamal-proxy container on the servers' }),
    jobCommand('stop', 'proxy stop', { summary: 'Stop the kamal-proxy container on the servers' }),
    jobCommand('restart', 'proxy restart', { summary: 'Restart the kamal-proxy container on the servers' }),
    { name: 'details', summary: 'Show details about the kamal-proxy container', run: details },
    { name: 'logs', summary: 'Show log lines from kamal-proxy on the servers', options: LOG_OPTIONS, run: logs },
    jobCommand('remove', 'proxy remove', {
      summary: 'Remove kamal-proxy from the servers (only where no app uses it, unless --force)',
      options: { force: { type: 'boolean', description: 'Also where other apps still use it' } },
      commandOptions: (inv) => ({ force: inv.options.force === true }),
    }),
    ...PROXY_STEPS,
  ],
};
