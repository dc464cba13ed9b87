#!/usr/bin/env node
import { expandAlias } from './aliases.js';
import { runCli } from './framework/run.js';
import { exitWhenFlushed, processIO } from './framework/stdio.js';
import { DROVER } from './tree.js';

runCli(DROVER, process.argv.slice(2), processIO(), { expandAlias }).then(exitWhenFlushed);
