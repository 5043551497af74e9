/**
 * Runs a Packer build (directly, or through image-builder's `make`) with its output streamed
 * into a collapsible log group as it comes, read back for the artifact, and, on failure, the
 * last Packer error made the failure's message, which the action turns into an annotation.
 */
import type { Logger } from '../../common/logger.js';
import { type StreamCommand, streamCommand } from '../../common/exec.js';
import { type AzureArtifact, PackerOutput } from './output.js';

/** A build that ran and failed: the message carries Packer's own last error. */
export class BuildFailedError extends Error {
  constructor(
    message: string,
    readonly packerError?: string,
  ) {
    super(message);
    this.name = 'BuildFailedError';
  }
}

export interface PackerProcess {
  readonly command: string;
  readonly args: readonly string[];
  readonly cwd?: string;
  readonly env: NodeJS.ProcessEnv;
  /** Log group title, e.g. `make build-azure-sig-ubuntu-2404`. */
  readonly title: string;
}

export interface PackerRunResult {
  readonly artifact: AzureArtifact;
  /** Packer's artifact IDs (machine-readable output only). */
  readonly ids: readonly string[];
}

/**
 * Runs `job` and returns the artifact it printed.
 * @throws BuildFailedError when it exits non-zero or is killed.
 */
export async function runPackerProcess(
  job: PackerProcess,
  deps: { logger: Logger; stream?: StreamCommand; signal?: AbortSignal },
): Promise<PackerRunResult> {
  const stream = deps.stream ?? streamCommand;
  const output = new PackerOutput();
  const result = await deps.logger.group(job.title, () =>
    stream(job.command, job.args, {
      env: job.env,
      ...(job.cwd ? { cwd: job.cwd } : {}),
      ...(deps.signal ? { signal: deps.signal } : {}),
      onLine: (line) => {
        const shown = output.feed(line);
        if (shown !== undefined) {
          for (const part of shown.split('\n')) deps.logger.info(neutraliseCommands(part));
        }
      },
    }),
  );
  if (result.code !== 0) {
    const packerError = output.lastError();
    const how = result.signal ? `was stopped by ${result.signal}` : `failed (exit ${result.code})`;
    throw new BuildFailedError(
      `${job.title} ${how}: ${packerError ?? 'no Packer error was printed; see the log group above'}`,
      packerError,
    );
  }
  return { artifact: output.artifact(), ids: output.ids() };
}

/**
 * A tool's line starting with `::` would be taken by the runner as a workflow command (set an
 * output, add a mask, stop commands); a space in between keeps it text.
 */
export function neutraliseCommands(line: string): string {
  return line.startsWith('::') ? `: :${line.slice(2)}` : line;
}
