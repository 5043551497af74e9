/**
 * One step's process, run the way the GitHub runner runs it: fresh GITHUB_OUTPUT, GITHUB_ENV,
 * GITHUB_PATH, GITHUB_STATE and GITHUB_STEP_SUMMARY files, the job's environment, and the
 * workflow commands in its stdout (`::add-mask::`, `::error::`, `::warning::`, groups) read back
 * as the runner reads them. Used for node actions (main and post) and for `run:` scripts.
 */
import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { parseCommandFile } from './smoke.js';

export interface ProcessRequest {
  command: string;
  args: string[];
  cwd: string;
  /** The whole environment of the process. */
  env: Record<string, string>;
  /** Where the step's files are made (the job's runner temp). */
  runnerTemp: string;
  timeoutMs: number;
  /** Every line of stdout and stderr, masked, as it comes. */
  onLine?: (line: string, stream: 'stdout' | 'stderr') => void;
}

export interface ProcessResult {
  code: number | null;
  timedOut: boolean;
  /** GITHUB_OUTPUT. */
  outputs: Record<string, string>;
  /** GITHUB_ENV: variables for the later steps of the job. */
  env: Record<string, string>;
  /** GITHUB_PATH: folders the later steps find first on PATH. */
  path: string[];
  /** GITHUB_STATE, for the action's post step. */
  state: Record<string, string>;
  summary: string;
  annotations: { level: 'error' | 'warning' | 'notice'; message: string }[];
  /** The log, masked. */
  log: string;
  durationMs: number;
}

/** Values that `::add-mask::` hid, shared by every step of a run, as on GitHub. */
export class Masks {
  private readonly values = new Set<string>();

  add(value: string): void {
    if (value.trim().length >= 4) this.values.add(value.trim());
  }

  apply(text: string): string {
    let out = text;
    for (const value of [...this.values].sort((a, b) => b.length - a.length)) {
      out = out.split(value).join('***');
    }
    return out;
  }
}

export async function runProcess(request: ProcessRequest, masks: Masks): Promise<ProcessResult> {
  const dir = mkdtempSync(path.join(request.runnerTemp, '_runner_file_commands-'));
  const files = {
    GITHUB_OUTPUT: path.join(dir, 'output'),
    GITHUB_ENV: path.join(dir, 'env'),
    GITHUB_PATH: path.join(dir, 'path'),
    GITHUB_STATE: path.join(dir, 'state'),
    GITHUB_STEP_SUMMARY: path.join(dir, 'summary'),
  };
  for (const file of Object.values(files)) writeFileSync(file, '');
  const annotations: ProcessResult['annotations'] = [];
  const log: string[] = [];
  const started = performance.now();
  const onText = (stream: 'stdout' | 'stderr') => {
    let pending = '';
    return (chunk: string, end = false): void => {
      pending += chunk;
      const lines = pending.split(/\r?\n/);
      pending = end ? '' : (lines.pop() ?? '');
      for (const raw of lines) {
        if (end && raw === '' && lines.length === 1) continue;
        const line = readCommand(raw, masks, annotations);
        if (line === undefined) continue;
        const masked = masks.apply(line);
        log.push(masked);
        request.onLine?.(masked, stream);
      }
    };
  };
  const { code, timedOut } = await new Promise<{ code: number | null; timedOut: boolean }>(
    (resolve, reject) => {
      const child = spawn(request.command, request.args, {
        cwd: request.cwd,
        env: { ...request.env, ...files },
        stdio: ['ignore', 'pipe', 'pipe'],
      });
      const out = onText('stdout');
      const err = onText('stderr');
      child.stdout.setEncoding('utf8').on('data', (c: string) => out(c));
      child.stderr.setEncoding('utf8').on('data', (c: string) => err(c));
      let killed = false;
      const timer = setTimeout(() => {
        killed = true;
        child.kill('SIGKILL');
      }, request.timeoutMs);
      child.on('error', (error) => {
        clearTimeout(timer);
        reject(error);
      });
      child.on('close', (exitCode) => {
        clearTimeout(timer);
        out('', true);
        err('', true);
        resolve({ code: exitCode, timedOut: killed });
      });
    },
  );
  try {
    const read = (file: string): string => readFileSync(file, 'utf8');
    return {
      code,
      timedOut,
      outputs: parseCommandFile(read(files.GITHUB_OUTPUT)),
      env: parseCommandFile(read(files.GITHUB_ENV)),
      path: read(files.GITHUB_PATH)
        .split(/\r?\n/)
        .filter((line) => line.trim() !== ''),
      state: parseCommandFile(read(files.GITHUB_STATE)),
      summary: read(files.GITHUB_STEP_SUMMARY),
      annotations,
      log: log.join('\n'),
      durationMs: Math.round(performance.now() - started),
    };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

/**
 * Acts on a workflow command line; returns what the log shows for it (undefined for none).
 * https://docs.github.com/actions/reference/workflows-and-actions/workflow-commands
 */
function readCommand(
  line: string,
  masks: Masks,
  annotations: ProcessResult['annotations'],
): string | undefined {
  const command = /^::([a-z-]+)(?: [^:]*)?::(.*)$/.exec(line);
  if (!command) return line;
  const [, name, data = ''] = command;
  const message = data.replace(/%0A/g, '\n').replace(/%0D/g, '\r').replace(/%25/g, '%');
  switch (name) {
    case 'add-mask':
      masks.add(message);
      return undefined;
    case 'debug':
      return undefined;
    case 'group':
      return `▸ ${message}`;
    case 'endgroup':
      return undefined;
    case 'error':
    case 'warning':
    case 'notice':
      annotations.push({ level: name, message: masks.apply(message) });
      return `${name === 'notice' ? 'Notice' : name === 'error' ? 'Error' : 'Warning'}: ${message}`;
    default:
      return line;
  }
}
