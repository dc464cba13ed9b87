#!/usr/bin/env node
// `node test/dist/rig/cli.js up|down|status`: the rig by hand, for debugging and for `npm test`'s final cleanup.
import { parseArgs } from 'node:util';
import { ensurePackages } from './packages.js';
import { liveSlots, stopOperatorUnlessShared, sweepStale, teardownSlot } from './slots.js';

async function main(): Promise<number> {
  const { positionals, values } = parseArgs({ allowPositionals: true, options: { all: { type: 'boolean', default: false } } });
  switch (positionals[0]) {
    case 'down': {
      // Default: only what crashed runs left behind, and the operator side once no rig uses it.
      // --all also removes rigs kept on purpose (the demo).
      const swept = await sweepStale();
      if (values.all) for (const slot of await liveSlots()) await teardownSlot(slot);
      const { live } = await stopOperatorUnlessShared();
      console.log(`rig: removed ${swept.length} stale rig(s)${live.length ? `; ${live.length} rig(s) still in use, operator side kept` : '; operator side stopped'}`);
      return 0;
    }
    case 'status':
      console.log(`rig: live slots: ${(await liveSlots()).join(', ') || 'none'}`);
      return 0;
    case 'packages':
      await ensurePackages((l) => console.log(l));
      return 0;
    default:
      console.error('usage: rig <down [--all]|status|packages>');
      return 64;
  }
}

main().then((code) => { process.exitCode = code; }, (e: Error) => { console.error(`rig: ${e.message}`); process.exitCode = 1; });
