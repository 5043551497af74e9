/**
 * `builder: image-builder`: CAPZ's way. With a checkout of kubernetes-sigs/image-builder, run
 * `make -C images/capi build-azure-sig-<os>` as its own workflow does, with the Kubernetes
 * version set through a var file (semver, series, deb and rpm versions; the deb revision read
 * from pkgs.k8s.io unless given), `--var sig_image_version=<version>` so the staging version is
 * named after the release. image-builder's own definition names are kept (they agree with
 * CAPZ's); only a definition the caller names overrides both init-sig.sh's SIG_IMAGE_DEFINITION
 * and Packer's `image_name`, the latter without the `-containerd` that Windows appends
 * (image-builder-contract.ts). IB_VERSION and IB_COMMIT are exported so the image and its tags
 * carry image-builder's provenance. The checkout is never changed.
 */
import { access, readFile, writeFile } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { ConfigurationError, InputError } from '../../common/errors.js';
import type { Logger } from '../../common/logger.js';
import type { KubernetesVersion } from '../../kubernetes/version.js';
import { type RunCommand, runCommand, type StreamCommand } from '../../common/exec.js';
import {
  compareDotted,
  IB_VERSION_COMMAND,
  imageBuilderNames,
  installedAnsibleCore,
  packerImageName,
  pinnedAnsibleCore,
} from './image-builder-contract.js';
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
  /** The definition; image-builder's own name unless the caller chose another. */
  readonly definition: string;
  /** Whether `definition` was the caller's choice (then both names are overridden). */
  readonly definitionGiven?: boolean;
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
  /** The plan, when the caller made it already (planImageBuilder). */
  readonly plan?: ImageBuilderPlan;
  /** Signs Packer in (`signInForPacker`); called once every check has passed. */
  readonly signIn: () => Promise<PackerSignIn>;
}

export interface ImageBuilderResult extends PackerRunResult {
  readonly debVersion: string;
  /** `git describe` of the checkout, when it is a git checkout. */
  readonly imageBuilderVersion?: string;
  readonly imageBuilderCommit?: string;
  /** The definition Packer was told to publish to (image-builder's own name by default). */
  readonly definition: string;
}

/** What a build will be run with, found out before anything long starts. */
export interface ImageBuilderPlan {
  readonly definition: string;
  /** `--var image_name=…` to pass, when the caller overrode the definition. */
  readonly imageName?: string;
  readonly ibVersion: string;
  readonly ibCommit: string;
}

/**
 * Everything image-builder will need later, checked in seconds: the checkout, the names, the
 * provenance (a shallow clone without tags has no IB_VERSION), ansible-core.
 */
export async function planImageBuilder(
  request: ImageBuilderRequest,
  deps: Pick<ImageBuilderDependencies, 'env' | 'run' | 'logger'>,
): Promise<ImageBuilderPlan> {
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
  const names = imageBuilderNames(request.os, {
    ...(deps.env.FLATCAR_CHANNEL ? { channel: deps.env.FLATCAR_CHANNEL } : {}),
    ...(deps.env.FLATCAR_VERSION ? { version: deps.env.FLATCAR_VERSION } : {}),
  });
  const overridden = request.definitionGiven === true && request.definition !== names.definition;
  // Flatcar's name carries a version the Makefile resolves at run time unless FLATCAR_VERSION
  // pins it: then it is known only from Packer's artifact ('').
  const definition = overridden ? request.definition : names.definition;
  const imageName = overridden ? packerImageName(names, request.definition) : undefined;

  const [described, commit, shallow] = await Promise.all([
    git(deps.run, request.path, [...IB_VERSION_COMMAND]),
    git(deps.run, request.path, ['rev-parse', 'HEAD']),
    git(deps.run, request.path, ['rev-parse', '--is-shallow-repository']),
  ]);
  const ibVersion = deps.env.IB_VERSION ?? described ?? '';
  const ibCommit = deps.env.IB_COMMIT ?? commit ?? '';
  if (!ibVersion) {
    throw new ConfigurationError(
      `image-builder at '${request.path}' gives no version: its Makefile runs 'git describe ` +
        `--dirty', which needs the tags${shallow === 'true' ? ', and this is a shallow clone without them' : ''}. ` +
        'Without IB_VERSION the image carries no /etc/image-builder-release and its validation ' +
        'fails. Check it out with fetch-depth: 0 (actions/checkout), or set IB_VERSION.',
    );
  }
  await checkAnsible(capi, deps);
  return { definition, ...(imageName ? { imageName } : {}), ibVersion, ibCommit };
}

/** hack/ensure-ansible.sh exits 2 on an older ansible-core; say so before the build. */
async function checkAnsible(
  capi: string,
  deps: Pick<ImageBuilderDependencies, 'run' | 'logger'>,
): Promise<void> {
  let utils = '';
  try {
    utils = await readFile(join(capi, 'hack', 'utils.sh'), 'utf8');
  } catch {
    return;
  }
  const pinned = pinnedAnsibleCore(utils);
  if (!pinned) return;
  let output: string | undefined;
  try {
    const result = await (deps.run ?? runCommand)('ansible', ['--version']);
    output = result.code === 0 ? result.stdout : undefined;
  } catch {
    output = undefined;
  }
  const found = output ? installedAnsibleCore(output) : undefined;
  if (!found) {
    deps.logger.info(`ansible is not installed; image-builder installs ansible-core ${pinned}.`);
    return;
  }
  if (compareDotted(found, pinned) < 0) {
    throw new ConfigurationError(
      `ansible-core ${found} on this runner is older than the ${pinned} image-builder needs ` +
        `(its hack/ensure-ansible.sh would stop the build with exit code 2). ` +
        `Install it first: pip install "ansible-core==${pinned}".`,
    );
  }
  deps.logger.info(`ansible-core ${found} (image-builder needs ${pinned} or later).`);
}

export async function runImageBuilder(
  request: ImageBuilderRequest,
  deps: ImageBuilderDependencies,
): Promise<ImageBuilderResult> {
  const capi = resolve(request.path, 'images', 'capi');
  const plan = deps.plan ?? (await planImageBuilder(request, deps));
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
  deps.logger.info(`image-builder ${plan.ibVersion}${plan.ibCommit ? ` (${plan.ibCommit})` : ''}.`);
  if (!deps.env.PACKER_GITHUB_API_TOKEN) {
    deps.logger.warning(
      "PACKER_GITHUB_API_TOKEN is not set: 'packer init' asks GitHub for the Azure plugin " +
        'anonymously and fails once the rate limit is spent. Set it to ${{ github.token }}.',
    );
  }

  const signIn = await deps.signIn();
  let result: PackerRunResult;
  try {
    const env = buildEnvironment(deps.env, request, plan, varFile, signIn.env);
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
    definition: plan.definition,
    ...(plan.ibVersion ? { imageBuilderVersion: plan.ibVersion } : {}),
    ...(plan.ibCommit ? { imageBuilderCommit: plan.ibCommit } : {}),
  };
}

/** The runner's environment without our INPUT_* variables, plus what image-builder reads. */
function buildEnvironment(
  base: NodeJS.ProcessEnv,
  request: ImageBuilderRequest,
  plan: ImageBuilderPlan,
  varFile: string,
  signInEnv: Readonly<Record<string, string>>,
): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = Object.fromEntries(
    Object.entries(base).filter(([name]) => !name.startsWith('INPUT_')),
  );
  const flags = [
    base.PACKER_FLAGS,
    `--var sig_image_version=${request.imageVersion}`,
    plan.imageName ? `--var image_name=${plan.imageName}` : '',
  ].filter(Boolean);
  // packer.json reads both only from the environment (l. 212-213): export them, or the image
  // and its Azure tags get an empty commit while our manifest records one.
  const provenance = { IB_VERSION: plan.ibVersion, IB_COMMIT: plan.ibCommit };
  // `packer init` (deps-azure) asks GitHub for plugin releases; without a token it shares the
  // runner's anonymous rate limit (image-builder's own workflow passes one, l. 183).
  // image.yml sets it on the build step; the runner's environment carries it through.
  return {
    ...env,
    ...signInEnv,
    AZURE_LOCATION: request.location,
    RESOURCE_GROUP_NAME: request.resourceGroup,
    GALLERY_NAME: request.gallery,
    ...(plan.imageName ? { SIG_IMAGE_DEFINITION: plan.definition } : {}),
    ...provenance,
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
