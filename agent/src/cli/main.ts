#!/usr/bin/env node
import { describeError, DROVER_VERSION } from '@drover/shared';

async function main(argv: string[]): Promise<number> {
  const [name] = argv;
  if (name === 'version' || name === '--version') {
    console.log(DROVER_VERSION);
    return 0;
  }
  console.error('Usage: drover-agent <enroll|run|version> [options]');
  return 64;
}

main(process.argv.slice(2)).then(
  (code) => { process.exitCode = code; },
  (err: unknown) => {
    console.error(`drover-agent: ${describeError(err)}`);
    process.exitCode = (err as { exitCode?: number }).exitCode ?? 1;
  },
);
