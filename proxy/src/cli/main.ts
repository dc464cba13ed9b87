#!/usr/bin/env node
/** `kamal-proxy`: entry point of the kamal-proxy-compatible CLI and server. */
import { runCli } from './app.js';

const code = await runCli(process.argv.slice(2), {
  out: (text) => process.stdout.write(text),
  err: (text) => process.stderr.write(text),
  env: process.env,
});
process.exit(code);
