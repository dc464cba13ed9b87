import type { CommandSpec } from '../framework/spec.js';

export const configCommand: CommandSpec = {
  name: 'config',
  summary: 'Show the combined configuration as Kamal prints it (or Drover\'s resolved view with --json)',
  description: `Prints what \`kamal config\` prints (roles, hosts, primary_host, version, repository, absolute_image,
service_with_version, volume_args, logging, builder, accessories, ...) so scripts that read it keep working.
--json prints Drover's resolved configuration (documented in docs/configuration.md). Secret values are
never shown. Hosts are the names of enrolled agents: \`drover agents\` lists them.`,
  async run(inv) {
    const { loadConfig, configView } = await import('@drover/shared/config');
    const config = await loadConfig({ cwd: inv.io.cwd, env: inv.io.env, configFile: inv.globals.configFile, destination: inv.globals.destination, version: inv.globals.version });
    if (inv.globals.json) return (inv.io.out(JSON.stringify(configView(config), null, 2)), 0);
    const { kamalConfigView, kamalConfigYaml } = await import('../../operator/kamal-config-view.js');
    inv.io.write(kamalConfigYaml(kamalConfigView(config)));
    return 0;
  },
};
