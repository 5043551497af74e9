/**
 * `builder: image-builder`: CAPZ's way. With a checkout of kubernetes-sigs/image-builder, run
 * `make -C images/capi build-azure-sig-<os>` as its own workflow does, with the Kubernetes
 * version set through a var file (semver, series, deb and rpm versions; the deb revision read
 * from pkgs.k8s.io unless given), `--var sig_image_version=<version>` so the staging version is
 * named after the release, and `--var image_name=<definition>` (with SIG_IMAGE_DEFINITION for
 * init-sig.sh) so the definition follows the CAPZ naming of docs/design.md ("naming"). The checkout is never changed.
 */
import { access, writeFile } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { ConfigurationError, InputError } from '../../common/errors.js';
import type { Logger } from '../../common/logger.js';
import type { KubernetesVersion } from '../../kubernetes/version.js';
import { type RunCommand, runCommand, type StreamCommand } from '../../common/exec.js';
import { fetchDebVersion, kubeProxyImage, kubeProxyImageExists } from './kubernetes-packages.js';
import { type PackerRunResult, runPackerProcess } from './run.js';
import type { PackerSignIn } from './sign-in.js';
import type { Fetch } from '../source.js';

export interface ImageBuilderRequest {
  /** `image-builder-path`. */
  readonly path: string;
  /** The OS target, a `build-azure-sig-<os>` goal. */
  readonly os: string;
  readonly kubernetesVersion: KubernetesVersion;
  /** `kubernetes-version` as the user wrote it, for messages. */
  readonly kubernetesText: string;
  /** `kubernetes-deb-version`. */
  readonly debVersion?: string;
  readonly skipKubeProxyCheck: boolean;
  readonly location: string;
  readonly resourceGroup: string;
  readonly gallery: string;
  readonly definition: string;
  readonly imageVersion: string;
  /** Scratch space for the var file. */
  readonly workDir: string;
}

export interface ImageBuilderDependencies {
  readonly logger: Logger;
  /** The environment the build inherits (the runner's). */
  readonly env: NodeJS.ProcessEnv;
  readonly stream?: StreamCommand;
  readonly run?: RunCommand;
  readonly fetch?: Fetch;
  readonly signal?: AbortSignal;
  /** Signs Packer in (`signInForPacker`); called once every check has passed. */
  readonly signIn: () => Promise<PackerSignIn>;
}

export interface ImageBuilderResult extends PackerRunResult {
  readonly debVersion: string;
  /** `git describe` of the checkout, when it is a git checkout. */
  readonly imageBuilderVersion?: string;
  readonly imageBuilderCommit?: string;
}

export async function runImageBuilder(
  request: ImageBuilderRequest,
  deps: ImageBuilderDependencies,
): Promise<ImageBuilderResult> {
  const capi = resolve(request.path, 'images', 'capi');
  try {
    await access(join(capi, 'Makefile'));
  } catch {
    throw new InputError(
      'image-builder-path',
      request.path,
      'It has no images/capi/Makefile. Expected a checkout of kubernetes-sigs/image-builder.',
    );
  }
  const v = request.kubernetesVersion;
  const semver = `v${v.major}.${v.minor}.${v.patch}`;
  if (request.os.startsWith('windows') && !request.skipKubeProxyCheck) {
    await checkKubeProxy(semver, request.kubernetesText, deps);
  }
  const debVersion = request.debVersion ?? (await fetchDebVersion(v, request.kubernetesText, deps));
  const varFile = join(request.workDir, 'kubernetes-version.json');
  await writeFile(
    varFile,
    JSON.stringify(
      {
        kubernetes_semver: semver,
        kubernetes_series: `v${v.major}.${v.minor}`,
        kubernetes_deb_version: debVersion,
        kubernetes_rpm_version: `${v.major}.${v.minor}.${v.patch}`,
      },
      null,
      2,
    ),
  );
  const [version, commit] = await Promise.all([
    git(deps.run, request.path, ['describe', '--tags', '--always', '--dirty']),
    git(deps.run, request.path, ['rev-parse', 'HEAD']),
  ]);
  if (version) deps.logger.info(`image-builder ${version}${commit ? ` (${commit})` : ''}.`);

  const signIn = await deps.signIn();
  let result: PackerRunResult;
  try {
    const env = buildEnvironment(deps.env, request, varFile, signIn.env);
    const goal = `build-azure-sig-${request.os}`;
    result = await runPackerProcess(
      { command: 'make', args: ['-C', capi, goal], env, title: `make ${goal}` },
      {
        logger: deps.logger,
        ...(deps.stream ? { stream: deps.stream } : {}),
        ...(deps.signal ? { signal: deps.signal } : {}),
      },
    );
  } finally {
    signIn.stop();
  }
  return {
    ...result,
    debVersion,
    ...(version ? { imageBuilderVersion: version } : {}),
    ...(commit ? { imageBuilderCommit: commit } : {}),
  };
}

/** The runner's environment without our INPUT_* variables, plus what image-builder reads. */
function buildEnvironment(
  base: NodeJS.ProcessEnv,
  request: ImageBuilderRequest,
  varFile: string,
  signInEnv: Readonly<Record<string, string>>,
): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = Object.fromEntries(
    Object.entries(base).filter(([name]) => !name.startsWith('INPUT_')),
  );
  const flags = [
    base.PACKER_FLAGS,
    `--var sig_image_version=${request.imageVersion}`,
    `--var image_name=${request.definition}`,
  ].filter(Boolean);
  return {
    ...env,
    ...signInEnv,
    AZURE_LOCATION: request.location,
    RESOURCE_GROUP_NAME: request.resourceGroup,
    GALLERY_NAME: request.gallery,
    SIG_IMAGE_DEFINITION: request.definition,
    PACKER_FLAGS: flags.join(' '),
    PACKER_VAR_FILES: [base.PACKER_VAR_FILES, varFile].filter(Boolean).join(' '),
    // Plain text in the job log; colours would only be escape codes there.
    PACKER_COLOR: 'false',
  };
}

async function checkKubeProxy(
  semver: string,
  text: string,
  deps: ImageBuilderDependencies,
): Promise<void> {
  const { repository, tag } = kubeProxyImage(semver);
  const exists = await kubeProxyImageExists(semver, deps);
  if (exists === false) {
    throw new ConfigurationError(
      `The Windows kube-proxy image ${repository}:${tag} does not exist yet, so nodes built for ` +
        `Kubernetes ${text} would not become ready. Wait for it, or set skip-kube-proxy-check: true.`,
    );
  }
  if (exists) deps.logger.info(`${repository}:${tag} exists.`);
}

async function git(
  run: RunCommand | undefined,
  path: string,
  args: string[],
): Promise<string | undefined> {
  try {
    const result = await (run ?? runCommand)('git', ['-C', path, ...args]);
    return result.code === 0 ? result.stdout.trim() || undefined : undefined;
  } catch {
    return undefined;
  }
}
