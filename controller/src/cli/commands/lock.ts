import { UserError } from '@drover/shared';
import { loadValidatedConfig, serviceAndDestination } from '@drover/shared/config';
import type { Command } from '../command.js';
import { GLOBAL_OPTIONS_HELP, parseKamalArgs } from '../args/kamal-options.js';
import { withClient } from '../with-client.js';

const USAGE = `Usage:
  drover lock status             Show who holds the deploy lock of this service[/destination]
  drover lock acquire -m MESSAGE Take the deploy lock by hand (deploys fail until it is released)
  drover lock release            Release the deploy lock

The lock lives in the controller, one per <service>[-<destination>].

${GLOBAL_OPTIONS_HELP}`;


export const command: Command = {
  summary: 'Show, acquire or release the deploy lock',
  async run(argv) {
    const { values, positionals } = parseKamalArgs(argv, { message: { type: 'string', short: 'm' } }, USAGE);
    const [sub, ...rest] = positionals;
    if (values.help || sub === 'help' || sub === undefined) return (console.log(USAGE), sub === undefined && !values.help ? 64 : 0);
    if (rest.length > 0) throw new UserError(`unexpected argument "${rest[0]}"\n\n${USAGE}`, { exitCode: 64 });
    const { config } = await loadValidatedConfig({ configFile: values['config-file'], destination: values.destination });
    const key = serviceAndDestination(config.service ?? '', values.destination ?? null);
    const json = (v: unknown) => console.log(JSON.stringify(v, null, 2));
    switch (sub) {
      case 'status': {
        const lock = await withClient((c) => c.lockStatus(key));
        if (values.json) json({ lock });
        else console.log(lock ? lock.status : 'There is no deploy lock');
        return 0;
      }
      case 'acquire': {
        const message = typeof values.message === 'string' ? values.message : '';
        if (!message) throw new UserError(`No value provided for required options '--message'\n\n${USAGE}`, { exitCode: 64 });
        const { lockHolderOf } = await import('../../operator/project.js');
        const lock = await withClient((c) => c.acquireLock(key, { message, holder: lockHolderOf(process.cwd()), version: values.version ?? null }));
        if (values.json) json({ lock });
        else console.log('Acquired the deploy lock');
        return 0;
      }
      case 'release': {
        const released = await withClient((c) => c.releaseLock(key));
        if (values.json) json({ released });
        else console.log(released ? 'Released the deploy lock' : 'There is no deploy lock');
        return 0;
      }
      default:
        throw new UserError(`unknown subcommand "${sub}"\n\n${USAGE}`, { exitCode: 64 });
    }
  },
};
