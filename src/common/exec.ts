/**
 * Running the tools builds need (qemu-img, tar, make, packer, az) without a shell, so no input
 * is ever interpreted by one. Injected as functions, so tests can stand in for any of them.
 */
import { execFile, spawn } from 'node:child_process';
import { ConfigurationError } from './errors.js';

export interface CommandResult {
  readonly code: number;
  readonly stdout: string;
  readonly stderr: string;
}

export interface CommandOptions {
  readonly cwd?: string;
  readonly env?: NodeJS.ProcessEnv;
}

/** Runs `command` to completion and returns its exit code and output; never throws for a code. */
export type RunCommand = (
  command: string,
  args: readonly string[],
  options?: CommandOptions,
) => Promise<CommandResult>;

/** `qemu-img map` of a fragmented 100 GiB disk prints tens of MB of JSON. */
const MAX_OUTPUT = 512 * 1024 * 1024;

export const runCommand: RunCommand = (command, args, options = {}) =>
  new Promise((resolve, reject) => {
    execFile(
      command,
      [...args],
      {
        cwd: options.cwd,
        env: options.env ?? process.env,
        maxBuffer: MAX_OUTPUT,
        encoding: 'utf8',
      },
      (error, stdout, stderr) => {
        if (error && isMissingProgram(error)) {
          reject(missingProgram(command));
          return;
        }
        if (error && typeof error.code !== 'number') {
          reject(error);
          return;
        }
        resolve({ code: error ? (error.code as number) : 0, stdout, stderr });
      },
    );
  });

export interface StreamOptions extends CommandOptions {
  /** Each line of stdout and stderr, as soon as it is complete, without its line break. */
  readonly onLine: (line: string, stream: 'stdout' | 'stderr') => void;
  /** Stops the process (SIGTERM, then SIGKILL after 10 s) when this signal aborts. */
  readonly signal?: AbortSignal;
}

/** How a streamed process ended. */
export interface StreamResult {
  readonly code: number | null;
  readonly signal: NodeJS.Signals | null;
}

/** Runs `command` and hands over its output line by line while it runs (hour-long builds). */
export type StreamCommand = (
  command: string,
  args: readonly string[],
  options: StreamOptions,
) => Promise<StreamResult>;

export const streamCommand: StreamCommand = (command, args, options) =>
  new Promise((resolve, reject) => {
    const child = spawn(command, [...args], {
      cwd: options.cwd,
      env: options.env ?? process.env,
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    const split = (stream: 'stdout' | 'stderr') => {
      let rest = '';
      child[stream].setEncoding('utf8');
      child[stream].on('data', (chunk: string) => {
        const lines = (rest + chunk).split(/\r?\n/);
        rest = lines.pop() ?? '';
        for (const line of lines) options.onLine(line, stream);
      });
      child[stream].on('end', () => {
        if (rest) options.onLine(rest, stream);
        rest = '';
      });
    };
    split('stdout');
    split('stderr');
    let killTimer: NodeJS.Timeout | undefined;
    const abort = () => {
      child.kill('SIGTERM');
      killTimer = setTimeout(() => child.kill('SIGKILL'), 10_000);
      killTimer.unref();
    };
    options.signal?.addEventListener('abort', abort, { once: true });
    child.on('error', (error) => {
      options.signal?.removeEventListener('abort', abort);
      reject(isMissingProgram(error) ? missingProgram(command) : error);
    });
    child.on('close', (code, signal) => {
      options.signal?.removeEventListener('abort', abort);
      if (killTimer) clearTimeout(killTimer);
      resolve({ code, signal });
    });
  });

function isMissingProgram(error: unknown): boolean {
  return (error as NodeJS.ErrnoException).code === 'ENOENT';
}

const INSTALL_HINTS: Readonly<Record<string, string>> = {
  'qemu-img': 'install it with `sudo apt-get install -y qemu-utils`',
  packer: 'install it with hashicorp/setup-packer or from https://developer.hashicorp.com/packer',
  make: 'install it with `sudo apt-get install -y make`',
  az: 'install the Azure CLI',
  tar: 'install GNU tar',
};

function missingProgram(command: string): ConfigurationError {
  const name = command.split('/').pop() ?? command;
  const hint = INSTALL_HINTS[name];
  return new ConfigurationError(`'${command}' was not found on PATH${hint ? `: ${hint}` : ''}.`);
}
