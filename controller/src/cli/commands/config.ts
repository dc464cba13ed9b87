import { parseArgs } from 'node:util';
import { stringify } from 'yaml';
import { UserError } from '@drover/shared';
import { configView, loadConfig } from '@drover/shared/config';
import type { Command } from '../command.js';

const USAGE = `Usage: drover config [-c FILE] [-d DESTINATION] [--version VERSION] [--json]

Prints the resolved configuration (roles, hosts, image, version, container names, env, proxy
arguments, accessories). Secret values are never shown, only their names. Hosts are the names of
enrolled agents: \`drover agents\` lists them.

Options:
  -c, --config-file FILE   Path to the config file (default: config/deploy.yml)
  -d, --destination DEST   Merge config/deploy.DEST.yml over the base file
      --version VERSION    Use this version instead of $VERSION or the git SHA
      --json               Print JSON (stable shape, see docs/configuration.md)
  -h, --help               Show this help`;

export const command: Command = {
  summary: 'Show the resolved deploy configuration (YAML, or --json)',
  async run(argv) {
    let values;
    try {
      ({ values } = parseArgs({
        args: argv,
        options: {
          'config-file': { type: 'string', short: 'c' },
          destination: { type: 'string', short: 'd' },
          version: { type: 'string' },
          json: { type: 'boolean' },
          help: { type: 'boolean', short: 'h' },
        },
        strict: true,
        allowPositionals: false,
      }));
    } catch (err) {
      throw new UserError(`${(err as Error).message}\n\n${USAGE}`, { exitCode: 64 });
    }
    if (values.help) {
      console.log(USAGE);
      return 0;
    }
    const config = await loadConfig({
      configFile: values['config-file'],
      destination: values.destination,
      version: values.version,
    });
    const view = configView(config);
    const hint = '# hosts are the names of enrolled agents (`drover agents` lists them)\n';
    process.stdout.write(values.json ? `${JSON.stringify(view, null, 2)}\n` : hint + stringify(view, { lineWidth: 0 }));
    return 0;
  },
};
