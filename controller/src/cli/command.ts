/** One `drover <name>` command: its own file under cli/commands/, parsing its own argv. */
export interface Command {
  /** One line for `drover help`. */
  summary: string;
  /** Runs with the arguments after the command name; resolves to the exit code. */
  run(argv: string[]): Promise<number>;
}
