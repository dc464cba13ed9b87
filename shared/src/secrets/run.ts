import { spawn } from 'node:child_process';

export interface RunResult {
  /** Exit status; null when the program could not be started (not installed). */
  status: number | null;
  stdout: string;
  stderr: string;
}

export interface Runner {
  (command: string, args: string[], options?: { env?: Record<string, string | undefined>; input?: string }): Promise<RunResult>;
}

/**
 * Runs a program directly (no shell, so secret names are never re-parsed). stdin is inherited
 * when no input is given, so a vault CLI can prompt for a password as it does under Kamal.
 */
export function processRunner(baseEnv: Record<string, string | undefined>, cwd?: string): Runner {
  return (command, args, options = {}) =>
    new Promise((resolve) => {
      const child = spawn(command, args, {
        cwd,
        env: { ...baseEnv, ...options.env } as NodeJS.ProcessEnv,
        stdio: [options.input === undefined ? 'inherit' : 'pipe', 'pipe', 'pipe'],
      });
      let stdout = '';
      let stderr = '';
      child.stdout!.setEncoding('utf8').on('data', (d: string) => (stdout += d));
      child.stderr!.setEncoding('utf8').on('data', (d: string) => (stderr += d));
      if (options.input !== undefined) child.stdin?.end(options.input);
      child.on('error', () => resolve({ status: null, stdout, stderr }));
      child.on('close', (code) => resolve({ status: code ?? 1, stdout, stderr }));
    });
}

/** `$(command)` in a secrets file: a shell, like Ruby's backticks; stderr passes through. */
export function shellCommand(baseEnv: Record<string, string | undefined>, cwd?: string): (command: string) => Promise<string> {
  return (command) =>
    new Promise((resolve) => {
      const child = spawn('/bin/sh', ['-c', command], { cwd, env: baseEnv as NodeJS.ProcessEnv, stdio: ['inherit', 'pipe', 'inherit'] });
      let stdout = '';
      child.stdout.setEncoding('utf8').on('data', (d: string) => (stdout += d));
      child.on('error', () => resolve(''));
      child.on('close', () => resolve(stdout));
    });
}
