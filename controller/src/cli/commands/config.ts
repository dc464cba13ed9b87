import { describeError } from '@drover/shared';
import type { LoadConfigOptions, ResolvedConfig } from '@drover/shared/config';
import type { CommandSpec, Invocation } from '../framework/spec.js';

/**
 * Roles selected by agent labels show the agents the controller matches, each named on stderr; without
 * a controller at hand, the hosts named in the file and a note.
 */
async function labelled(inv: Invocation, config: ResolvedConfig, load: LoadConfigOptions): Promise<ResolvedConfig> {
  const selectors = Object.entries(config.drover.roleLabels);
  if (selectors.length === 0) return config;
  const { describeSelector } = await import('../../plan/fleets.js');
  const { withLabelHosts } = await import('../label-hosts.js');
  try {
    const { config: matched } = await withLabelHosts(inv, config, load);
    for (const [name, labels] of selectors) {
      const named = config.roles.find((r) => r.name === name)?.hosts.map((h) => h.host) ?? [];
      const added = matched.roles.find((r) => r.name === name)?.hosts.map((h) => h.host).filter((h) => !named.includes(h)) ?? [];
      inv.io.err(`${name}: agents labelled ${describeSelector(labels)}: ${added.join(', ') || 'none'}`);
    }
    return matched;
  } catch (err) {
    inv.io.err(`x-drover/roles: hosts selected by label are not shown (${describeError(err)})`);
    return config;
  }
}

export const configCommand: CommandSpec = {
  name: 'config',
  summary: 'Show the combined configuration as Kamal prints it (or Drover\'s resolved view with --json)',
  description: `Prints what \`kamal config\` prints (roles, hosts, primary_host, version, repository, absolute_image,
service_with_version, volume_args, logging, builder, accessories, ...) so scripts that read it keep working.
--json prints Drover's resolved configuration (documented in docs/configuration.md). Secret values are
never shown. Hosts are the names of enrolled agents: \`drover agents\` lists them. Roles that select agents
by label (x-drover/roles/<role>/labels) show the agents the controller matches, listed on stderr.`,
  async run(inv) {
    const { loadConfig, configView } = await import('@drover/shared/config');
    const load = { cwd: inv.io.cwd, env: inv.io.env, configFile: inv.globals.configFile, destination: inv.globals.destination, version: inv.globals.version };
    const config = await labelled(inv, await loadConfig(load), load);
    if (inv.globals.json) return (inv.io.out(JSON.stringify(configView(config), null, 2)), 0);
    const { kamalConfigView, kamalConfigYaml } = await import('../../operator/kamal-config-view.js');
    inv.io.write(kamalConfigYaml(kamalConfigView(config)));
    return 0;
  },
};
