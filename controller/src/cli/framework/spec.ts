/**
 * The `drover` command tree is data: each command declares its arguments, options and subcommands, and
 * the framework parses, dispatches and writes help from that declaration (the model is
 * proxy/src/cli/command.ts). Commands receive their I/O, so they run in-process in tests.
 */
import type { Readable } from 'node:stream';

/** Where a command reads and writes: the process in `main.ts`, buffers in tests. */
export interface CliIO {
  /** One line (or block) of normal output; a newline is added. */
  out(text: string): void;
  /** Diagnostics and progress; a newline is added. */
  err(text: string): void;
  /** Bytes exactly as received (exec and log output, `--raw`). */
  write(chunk: Buffer | string): void;
  env: NodeJS.ProcessEnv;
  cwd: string;
  stdin: Readable & { isTTY?: boolean; setRawMode?(mode: boolean): unknown };
  /** The terminal's size when stdout is one (interactive exec). */
  terminal: { columns: number; rows: number; onResize(listener: () => void): () => void } | null;
}

export interface OptionSpec {
  type: 'boolean' | 'string';
  short?: string;
  /** Repeatable (`-e A=1 -e B=2`); values are collected in order. */
  multiple?: boolean;
  /** The value's name in help (`--since TIME`). */
  value?: string;
  description: string;
}

export type OptionSpecs = Record<string, OptionSpec>;

export type OptionValue = string | boolean | string[] | undefined;

export interface CommandSpec {
  name: string;
  /** One line, for the parent's list of commands. */
  summary: string;
  /** More help text, printed after the usage line. */
  description?: string;
  /** The arguments as written in the usage line, e.g. `VERSION`, `NAME|all`, `[SECTION]`, `CMD...`. */
  usage?: string;
  /** How many arguments it takes (default: none). */
  args?: { min: number; max: number | null };
  /** The arguments are a command line for a container (exec): known options are taken anywhere, as Thor does, unknown ones stay in the command. */
  commandLine?: boolean;
  options?: OptionSpecs;
  /** Kamal's global options (`-v -q --version -r -p -h -c -d -H`, lock-wait) apply; default true. */
  kamalGlobals?: boolean;
  subcommands?: CommandSpec[];
  /** The subcommand to run when none is named (`drover agents` is `drover agents list`). */
  defaultSubcommand?: string;
  /** Accepted but left out of help (Kamal's hidden and deprecated forms). */
  hidden?: boolean;
  /** Other names (`stale_containers` is also `stale-containers`). */
  aliases?: string[];
  run?(inv: Invocation): Promise<number>;
}

/** What a command's `run` gets: its parsed arguments, the global settings, and its I/O. */
export interface Invocation {
  /** The command's words, e.g. ['app', 'logs']. */
  path: string[];
  args: string[];
  options: Record<string, OptionValue>;
  globals: GlobalSettings;
  io: CliIO;
  /** The usage text, for a command's own argument errors. */
  help: string;
}

export type Verbosity = 'quiet' | 'normal' | 'verbose';

export interface GlobalSettings {
  verbosity: Verbosity;
  selection: { roles: string[]; hosts: string[]; primary: boolean };
  version: string | undefined;
  configFile: string | undefined;
  destination: string | undefined;
  skipHooks: boolean;
  lockWait: { timeoutSeconds: number; intervalSeconds: number } | null;
  json: boolean;
  /** `--context NAME`: the controller login to use (else DROVER_CONTEXT, else the current one). */
  context: string | undefined;
}
