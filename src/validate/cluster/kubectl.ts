/**
 * kubectl against the management cluster (and the workload cluster), run without a shell. The
 * management cluster's kubeconfig comes from the `kubeconfig` input: a path, or the file's
 * content (from a secret), which is written to a private temporary file and never logged.
 */
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parse } from 'yaml';
import type { CommandResult, RunCommand } from '../../common/exec.js';
import { ConfigurationError, InputError } from '../../common/errors.js';

/** The `kubeconfig` input: where the file is, and how to name it in messages. */
export interface KubeconfigSource {
  readonly kind: 'path' | 'content';
  /** The path, or the content. */
  readonly value: string;
}

/** Tells a path from content: content has a line break or starts like YAML/JSON. */
export function kubeconfigSource(value: string): KubeconfigSource {
  return /\n|^\s*(apiVersion|kind|clusters|\{)/.test(value)
    ? { kind: 'content', value }
    : { kind: 'path', value };
}

/** How the input is quoted in errors: never the content, which holds credentials. */
export const shownKubeconfig = (source: KubeconfigSource): string =>
  source.kind === 'path' ? source.value : '<kubeconfig content>';

/**
 * The kubeconfig's text, checked to be a kubeconfig: a `Config` with at least one cluster (with
 * a server), context and user.
 * @throws InputError naming `kubeconfig`.
 */
export async function loadKubeconfig(
  source: KubeconfigSource,
  readText: (path: string) => Promise<string> = (p) => readFile(p, 'utf8'),
): Promise<string> {
  const shown = shownKubeconfig(source);
  let text = source.value;
  if (source.kind === 'path') {
    try {
      text = await readText(source.value);
    } catch (err) {
      throw new InputError('kubeconfig', shown, `Cannot read it: ${(err as Error).message}`);
    }
  }
  let config: unknown;
  try {
    config = parse(text);
  } catch {
    config = undefined;
  }
  const c = config as {
    kind?: string;
    clusters?: { cluster?: { server?: string } }[];
    contexts?: unknown[];
    users?: unknown[];
  } | null;
  const problem =
    !c || typeof c !== 'object'
      ? 'it is not YAML or JSON'
      : c.kind !== undefined && c.kind !== 'Config'
        ? `its kind is '${c.kind}', not Config`
        : !Array.isArray(c.clusters) || !c.clusters.some((x) => x?.cluster?.server)
          ? 'it has no cluster with a server'
          : !Array.isArray(c.contexts) || c.contexts.length === 0
            ? 'it has no context'
            : !Array.isArray(c.users)
              ? 'it has no users'
              : undefined;
  if (problem) {
    throw new InputError(
      'kubeconfig',
      shown,
      `Not a kubeconfig (${problem}). Expected the path or the content of the management cluster's kubeconfig.`,
    );
  }
  return text;
}

/** kubectl with one kubeconfig. */
export class Kubectl {
  constructor(
    private readonly run: RunCommand,
    readonly kubeconfigPath: string,
    private readonly workDir: string,
  ) {}

  /** Runs kubectl; a non-zero exit is returned, not thrown. */
  raw(args: readonly string[]): Promise<CommandResult> {
    return this.run('kubectl', ['--kubeconfig', this.kubeconfigPath, ...args]);
  }

  /** Runs kubectl and returns stdout; a non-zero exit throws with kubectl's message. */
  async text(args: readonly string[]): Promise<string> {
    const result = await this.raw(args);
    if (result.code !== 0) {
      throw new Error(`kubectl ${args.join(' ')}: ${(result.stderr || result.stdout).trim()}`);
    }
    return result.stdout;
  }

  async json<T>(args: readonly string[]): Promise<T> {
    return JSON.parse(await this.text([...args, '-o', 'json'])) as T;
  }

  /** A single object, or undefined when kubectl says NotFound. */
  async getOrUndefined<T>(args: readonly string[]): Promise<T | undefined> {
    const result = await this.raw([...args, '-o', 'json']);
    if (result.code === 0) return JSON.parse(result.stdout) as T;
    if (/NotFound|not found/.test(result.stderr)) return undefined;
    throw new Error(`kubectl ${args.join(' ')}: ${result.stderr.trim()}`);
  }

  /** `kubectl apply -f` of a manifest held in memory. */
  async apply(manifest: string, name: string): Promise<string> {
    const file = join(this.workDir, `${name}.yaml`);
    await writeFile(file, manifest, { mode: 0o600 });
    return this.text(['apply', '-f', file]);
  }
}

/** A private temporary folder for kubeconfigs and manifests, removed by `dispose`. */
export async function kubectlWorkDir(): Promise<{ dir: string; dispose(): Promise<void> }> {
  const dir = await mkdtemp(join(process.env.RUNNER_TEMP ?? tmpdir(), 'cga-kube-'));
  return { dir, dispose: () => rm(dir, { recursive: true, force: true }) };
}

/** Writes kubeconfig text to a private file in `dir`. */
export async function writeKubeconfig(dir: string, name: string, text: string): Promise<string> {
  const path = join(dir, name);
  await writeFile(path, text, { mode: 0o600 });
  return path;
}

/** Makes sure kubectl is there before anything is created. */
export async function requireKubectl(run: RunCommand): Promise<void> {
  let result: CommandResult;
  try {
    result = await run('kubectl', ['version', '--client']);
  } catch (err) {
    throw new ConfigurationError(
      `mode cluster needs kubectl on PATH (azure/setup-kubectl installs it): ${(err as Error).message}`,
    );
  }
  if (result.code !== 0) {
    throw new ConfigurationError(`kubectl version --client failed: ${result.stderr.trim()}`);
  }
}
