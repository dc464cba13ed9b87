/** One `kamal-proxy <name>` command: its flags and what it does with them. */
import type { FlagSpecs, ParsedFlags } from './flags.js';

export interface IO {
  out(text: string): void;
  err(text: string): void;
  env: Record<string, string | undefined>;
}

export interface ProxyCommand {
  name: string;
  aliases?: string[];
  summary: string;
  /** e.g. "deploy <service>" */
  use: string;
  flags: FlagSpecs;
  /** cobra.ExactArgs(n); undefined = any */
  exactArgs?: number;
  subcommands?: ProxyCommand[];
  run?(flags: ParsedFlags, io: IO): Promise<number>;
}
