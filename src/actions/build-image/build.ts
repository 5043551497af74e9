/**
 * build-image's work once the inputs are checked: run the chosen builder, then write the build
 * manifest and say what the outputs are. Everything outside (credential, tools, time, the
 * environment's provenance) comes in through {@link BuildContext}, so tests run it in-process.
 */
import { join } from 'node:path';
import { mkdir, rm } from 'node:fs/promises';
import { importDisk } from '../../build/import-disk.js';
import { type BuildManifest, MANIFEST_SCHEMA, writeManifest } from '../../build/manifest.js';
import type { PageBlobTarget } from '../../build/page-blob.js';
import type { RunCommand, StreamCommand } from '../../build/exec.js';
import { runImageBuilder } from '../../build/image-builder.js';
import { runPacker } from '../../build/packer.js';
import type { AzureArtifact } from '../../build/packer-output.js';
import { BuildFailedError } from '../../build/packer-run.js';
import { type PackerSignInRequest, signInForPacker } from '../../build/packer-sign-in.js';
import type { QemuImg } from '../../build/qemu-img.js';
import { formatChecksum, type Fetch, resolveSource } from '../../build/source.js';
import { extractStemcell, stemcellImage } from '../../build/stemcell.js';
import type { RetryPolicy } from '../../build/upload.js';
import { type UploadedVhd, uploadVhdFile } from '../../build/vhd-upload.js';
import type { Logger } from '../../common/logger.js';
import { parseKubernetesVersion } from '../../kubernetes/version.js';
import { BLOB_MANAGED_BY_KEY, MANAGED_BY } from '../../gallery/leftovers.js';
import type { BuildImageSettings, UploadSettings } from './inputs.js';

/** Where a build's facts come from, so that the manifest can say who built what. */
export interface Provenance {
  readonly repository?: string;
  readonly commit?: string;
  readonly runUrl?: string;
  readonly workflow?: string;
}

export interface BuildContext {
  readonly logger: Logger;
  /** Scratch space for downloads and conversions. */
  readonly workDir: string;
  /** Where the manifest is written. */
  readonly manifestDir: string;
  /** The page blob at a URL, signed in with the Entra credential. */
  readonly pageBlob: (url: string) => PageBlobTarget;
  readonly provenance: Provenance;
  readonly now?: () => Date;
  readonly qemu?: QemuImg;
  readonly fetch?: Fetch;
  readonly retry?: Partial<RetryPolicy>;
  readonly progressIntervalMs?: number;
  /** How Packer signs in to Azure (image-builder, packer). */
  readonly signIn?: PackerSignInRequest;
  /** The environment builds inherit; process.env in the action. */
  readonly env?: NodeJS.ProcessEnv;
  readonly stream?: StreamCommand;
  readonly run?: RunCommand;
  /** How often the Azure CLI session is renewed during an OIDC image-builder build. */
  readonly cliRefreshMs?: number;
}

/** The image as built: every field an output. */
export interface BuiltImage {
  readonly definition: string;
  readonly version: string;
  readonly osType: string;
  readonly hyperVGeneration: string;
}

export interface BuildResult {
  readonly image: BuiltImage;
  readonly vhd?: {
    readonly uri: string;
    readonly storageAccountId: string;
    readonly sha256: string;
    readonly size: number;
    readonly dataBytes: number;
    readonly bytesSent: number;
    readonly ms: number;
    readonly reused: boolean;
    readonly replacedPartial: boolean;
  };
  readonly managedImageId?: string;
  readonly imageVersionId?: string;
  readonly manifestPath: string;
  readonly manifest: BuildManifest;
}

/** What a builder found out, before the manifest is written. */
type BuilderOutcome = Omit<BuildResult, 'manifestPath' | 'manifest'> & {
  readonly manifest: Partial<BuildManifest>;
};

export async function buildImage(
  settings: BuildImageSettings,
  ctx: BuildContext,
): Promise<BuildResult> {
  const now = ctx.now ?? (() => new Date());
  const startedAt = now().toISOString();
  const outcome = await runBuilder(settings, ctx);
  const manifest: BuildManifest = {
    schema: MANIFEST_SCHEMA,
    builder: settings.builder.kind,
    ...(settings.kubernetesVersion ? { kubernetesVersion: settings.kubernetesVersion } : {}),
    ...(settings.os ? { os: settings.os } : {}),
    image: outcome.image,
    ...outcome.manifest,
    ...(outcome.managedImageId ? { managedImageId: outcome.managedImageId } : {}),
    ...(outcome.imageVersionId ? { imageVersionId: outcome.imageVersionId } : {}),
    provenance: ctx.provenance,
    startedAt,
    finishedAt: now().toISOString(),
  };
  const manifestPath = join(
    ctx.manifestDir,
    `build-manifest-${outcome.image.definition}-${outcome.image.version}.json`,
  );
  await writeManifest(manifestPath, manifest);
  ctx.logger.info(`Wrote the build manifest to ${manifestPath}.`);
  return { ...outcome, manifestPath, manifest };
}

async function runBuilder(
  settings: BuildImageSettings,
  ctx: BuildContext,
): Promise<BuilderOutcome> {
  const builder = settings.builder;
  switch (builder.kind) {
    case 'disk':
      return buildFromDisk(settings, builder, ctx);
    case 'stemcell':
      return buildFromStemcell(settings, builder, ctx);
    case 'image-builder':
      return buildWithImageBuilder(settings, builder, ctx);
    case 'packer':
      return buildWithPacker(settings, builder, ctx);
  }
}

/** The image identity a builder must have by now; inputs guarantee it for `disk`. */
function identity(settings: BuildImageSettings): BuiltImage {
  const { definition, version, osType, hyperVGeneration } = settings.image;
  if (!definition || !version || !osType || !hyperVGeneration) {
    throw new Error(`The image is not fully named: ${JSON.stringify(settings.image)}.`);
  }
  return { definition, version, osType, hyperVGeneration };
}

async function buildFromDisk(
  settings: BuildImageSettings,
  builder: Extract<BuildImageSettings['builder'], { kind: 'disk' }>,
  ctx: BuildContext,
): Promise<BuilderOutcome> {
  const image = identity(settings);
  const name = `${image.definition}-${image.version}`;
  const imported = await importDisk(
    {
      location: builder.source.location,
      ...(builder.source.checksum ? { checksum: builder.source.checksum } : {}),
      destination: destination(builder.upload, name),
      name,
      metadata: blobMetadata(settings, image, ctx.provenance),
    },
    {
      workDir: ctx.workDir,
      target: ctx.pageBlob,
      logger: ctx.logger,
      ...(ctx.qemu ? { qemu: ctx.qemu } : {}),
      ...(ctx.fetch ? { fetch: ctx.fetch } : {}),
      ...(ctx.retry ? { retry: ctx.retry } : {}),
      ...(ctx.progressIntervalMs !== undefined
        ? { progressIntervalMs: ctx.progressIntervalMs }
        : {}),
    },
  );
  const { uploaded, vhd, source } = imported;
  return {
    image,
    vhd: vhdOutcome(uploaded),
    manifest: {
      source: {
        location: source.location,
        ...(source.checksum ? { checksum: formatChecksum(source.checksum) } : {}),
        format: vhd.sourceFormat,
        virtualSize: vhd.sourceVirtualSize,
      },
      vhd: manifestVhd(uploaded),
    },
  };
}

/** A BOSH stemcell: its root.vhd, checked fixed and aligned, uploaded as it is. */
async function buildFromStemcell(
  settings: BuildImageSettings,
  builder: Extract<BuildImageSettings['builder'], { kind: 'stemcell' }>,
  ctx: BuildContext,
): Promise<BuilderOutcome> {
  await mkdir(ctx.workDir, { recursive: true });
  const tarball = await resolveSource(builder.source.location, {
    input: 'source-disk',
    checksumInput: 'source-checksum',
    workDir: ctx.workDir,
    logger: ctx.logger,
    ...(builder.source.checksum ? { checksum: builder.source.checksum } : {}),
    ...(ctx.fetch ? { fetch: ctx.fetch } : {}),
  });
  try {
    const stemcell = await extractStemcell(tarball, { workDir: ctx.workDir, logger: ctx.logger });
    try {
      const image = stemcellImage(stemcell.manifest, tarball.location, {
        ...(settings.image.definition ? { definition: settings.image.definition } : {}),
        ...(settings.image.version ? { version: settings.image.version } : {}),
      });
      const uploaded = await uploadVhdFile(
        stemcell.vhdPath,
        destination(builder.upload, `${image.definition}-${image.version}`),
        {
          ...blobMetadata(settings, image, ctx.provenance),
          stemcellname: stemcell.manifest.name,
          stemcellversion: stemcell.manifest.version,
        },
        uploadDependencies(ctx),
      );
      const { manifest } = stemcell;
      return {
        image,
        vhd: vhdOutcome(uploaded),
        manifest: {
          source: {
            location: tarball.location,
            ...(tarball.checksum ? { checksum: formatChecksum(tarball.checksum) } : {}),
            format: 'stemcell',
            virtualSize: uploaded.virtualSize,
          },
          vhd: manifestVhd(uploaded),
          stemcell: {
            name: manifest.name,
            version: manifest.version,
            os: manifest.operatingSystem,
          },
        },
      };
    } finally {
      await rm(stemcell.dir, { recursive: true, force: true });
    }
  } finally {
    if (tarball.temporary) await rm(tarball.path, { force: true });
  }
}

/** image-builder's make goal, then the image as Packer reported it. */
async function buildWithImageBuilder(
  settings: BuildImageSettings,
  builder: Extract<BuildImageSettings['builder'], { kind: 'image-builder' }>,
  ctx: BuildContext,
): Promise<BuilderOutcome> {
  const expected = identity(settings);
  const text = settings.kubernetesVersion!;
  await mkdir(ctx.workDir, { recursive: true });
  const result = await runImageBuilder(
    {
      path: builder.path,
      os: settings.os!,
      kubernetesVersion: parseKubernetesVersion(text, 'kubernetes-version'),
      kubernetesText: text,
      ...(builder.debVersion ? { debVersion: builder.debVersion } : {}),
      skipKubeProxyCheck: builder.skipKubeProxyCheck,
      location: builder.location,
      resourceGroup: builder.resourceGroup,
      gallery: builder.gallery,
      definition: expected.definition,
      imageVersion: expected.version,
      workDir: ctx.workDir,
    },
    {
      logger: ctx.logger,
      env: ctx.env ?? process.env,
      signIn: () =>
        signInForPacker(packerSignIn(settings, ctx), {
          logger: ctx.logger,
          ...(ctx.run ? { run: ctx.run } : {}),
          ...(ctx.cliRefreshMs !== undefined ? { refreshMs: ctx.cliRefreshMs } : {}),
        }),
      ...(ctx.stream ? { stream: ctx.stream } : {}),
      ...(ctx.run ? { run: ctx.run } : {}),
      ...(ctx.fetch ? { fetch: ctx.fetch } : {}),
    },
  );
  const outcome = packerOutcome(result.artifact, expected, ctx.logger);
  return {
    ...outcome,
    manifest: {
      imageBuilder: {
        ...(result.imageBuilderVersion ? { version: result.imageBuilderVersion } : {}),
        ...(result.imageBuilderCommit ? { commit: result.imageBuilderCommit } : {}),
        kubernetesDebVersion: result.debVersion,
      },
    },
  };
}

/** The user's template; its artifact names the image unless the inputs did. */
async function buildWithPacker(
  settings: BuildImageSettings,
  builder: Extract<BuildImageSettings['builder'], { kind: 'packer' }>,
  ctx: BuildContext,
): Promise<BuilderOutcome> {
  const request = packerSignIn(settings, ctx);
  const templateEnv: Record<string, string | undefined> = {
    AZURE_SUBSCRIPTION_ID: settings.azure.subscriptionId,
    AZURE_TENANT_ID: request.tenantId,
    AZURE_CLIENT_ID: request.clientId,
    USE_AZURE_CLI_AUTH: request.kind === 'azure-cli' ? 'True' : undefined,
    AZURE_LOCATION: builder.location,
    RESOURCE_GROUP_NAME: builder.resourceGroup,
    GALLERY_NAME: builder.gallery,
    SIG_IMAGE_DEFINITION: settings.image.definition,
    SIG_IMAGE_VERSION: settings.image.version,
    KUBERNETES_VERSION: settings.kubernetesVersion,
  };
  const result = await runPacker(
    {
      template: builder.template,
      vars: builder.vars,
      templateEnv: Object.fromEntries(
        Object.entries(templateEnv).filter((e): e is [string, string] => e[1] !== undefined),
      ),
    },
    {
      logger: ctx.logger,
      env: ctx.env ?? process.env,
      ...(ctx.stream ? { stream: ctx.stream } : {}),
    },
  );
  const outcome = packerOutcome(result.artifact, settings.image, ctx.logger);
  return { ...outcome, manifest: { packer: { template: builder.template } } };
}

function packerSignIn(settings: BuildImageSettings, ctx: BuildContext): PackerSignInRequest {
  return (
    ctx.signIn ?? {
      kind: 'azure-cli',
      subscriptionId: settings.azure.subscriptionId,
    }
  );
}

/**
 * The image as Packer's artifact names it, falling back on what the inputs said; a managed
 * image or a gallery version must be there, or the build made nothing publishable.
 */
function packerOutcome(
  artifact: AzureArtifact,
  expected: Partial<BuiltImage>,
  logger: Logger,
): Omit<BuilderOutcome, 'manifest'> {
  if (!artifact.managedImageId && !artifact.galleryImageVersionId) {
    throw new BuildFailedError(
      'Packer finished but printed no Azure artifact (no ManagedImageId or ' +
        'ManagedImageSharedImageGalleryId): the template made no image to publish.',
    );
  }
  const pick = (name: string, fromArtifact?: string, fromInputs?: string): string => {
    if (fromArtifact && fromInputs && fromArtifact !== fromInputs) {
      logger.warning(
        `Packer built ${name} '${fromArtifact}', not '${fromInputs}' as the inputs say; using Packer's.`,
      );
    }
    const value = fromArtifact ?? fromInputs;
    if (!value) {
      throw new BuildFailedError(
        `Packer's artifact names no ${name}, and no input gave one; set ${name.replace(/ /g, '-')}.`,
      );
    }
    return value;
  };
  return {
    image: {
      definition: pick('image definition', artifact.galleryImageName, expected.definition),
      version: pick('image version', artifact.galleryImageVersion, expected.version),
      osType: pick('os type', artifact.osType, expected.osType),
      hyperVGeneration: pick('hyper-v generation', undefined, expected.hyperVGeneration),
    },
    ...(artifact.managedImageId ? { managedImageId: artifact.managedImageId } : {}),
    ...(artifact.galleryImageVersionId ? { imageVersionId: artifact.galleryImageVersionId } : {}),
  };
}

function uploadDependencies(ctx: BuildContext) {
  return {
    target: ctx.pageBlob,
    logger: ctx.logger,
    ...(ctx.qemu ? { qemu: ctx.qemu } : {}),
    ...(ctx.retry ? { retry: ctx.retry } : {}),
    ...(ctx.progressIntervalMs !== undefined ? { progressIntervalMs: ctx.progressIntervalMs } : {}),
  };
}

function manifestVhd(uploaded: UploadedVhd) {
  return {
    uri: uploaded.vhdUri,
    storageAccountId: uploaded.storageAccountId,
    sha256: uploaded.upload.sha256,
    size: uploaded.upload.size,
    bytesSent: uploaded.upload.bytesSent,
    reused: uploaded.upload.reused,
  };
}

function destination(upload: UploadSettings, name: string) {
  return {
    container: upload.container,
    blobName: upload.blobName ?? `${name}.vhd`,
    storageAccountId: upload.storageAccountId,
    concurrency: upload.concurrency,
  };
}

function vhdOutcome(uploaded: UploadedVhd) {
  const u = uploaded.upload;
  return {
    uri: uploaded.vhdUri,
    storageAccountId: uploaded.storageAccountId,
    sha256: u.sha256,
    size: u.size,
    dataBytes: u.dataBytes,
    bytesSent: u.bytesSent,
    ms: u.ms,
    reused: u.reused,
    replacedPartial: u.replacedPartial,
  };
}

/** Blob metadata names are C# identifiers; values are ASCII header text. */
function blobMetadata(
  settings: BuildImageSettings,
  image: BuiltImage,
  provenance: Provenance,
): Record<string, string> {
  const entries: [string, string | undefined][] = [
    // cleanup removes staging VHDs with this mark once they are older than its cut-off.
    [BLOB_MANAGED_BY_KEY, MANAGED_BY.value],
    ['imagedefinition', image.definition],
    ['imageversion', image.version],
    ['kubernetesversion', settings.kubernetesVersion],
    ['ostarget', settings.os],
    ['builder', settings.builder.kind],
    ['buildrun', provenance.runUrl],
    ['commit', provenance.commit],
  ];
  return Object.fromEntries(
    entries.filter((e): e is [string, string] => e[1] !== undefined && /^[\x20-\x7e]*$/.test(e[1])),
  );
}
