/**
 * build-image's work once the inputs are checked: run the chosen builder, then write the build
 * manifest and say what the outputs are. Everything outside (credential, tools, time, the
 * environment's provenance) comes in through {@link BuildContext}, so tests run it in-process.
 */
import { join } from 'node:path';
import type { RunCommand, StreamCommand } from '../../common/exec.js';
import { type BuildManifest, MANIFEST_SCHEMA, writeManifest } from '../manifest.js';
import type { PageBlobTarget } from '../upload/page-blob.js';
import type { PackerSignInRequest } from '../packer/sign-in.js';
import type { QemuImg } from '../vhd/qemu-img.js';
import type { Fetch } from '../source.js';
import type { RetryPolicy } from '../upload/upload.js';
import type { Logger } from '../../common/logger.js';
import type { BuildImageSettings } from '../../actions/build-image/inputs.js';
import { buildWithImageBuilder, buildWithPacker } from './packer.js';
import { buildFromDisk, buildFromStemcell } from './vhd.js';

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
export type BuilderOutcome = Omit<BuildResult, 'manifestPath' | 'manifest'> & {
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
