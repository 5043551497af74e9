/**
 * build-image's work once the inputs are checked: run the chosen builder, then write the build
 * manifest and say what the outputs are. Everything outside (credential, tools, time, the
 * environment's provenance) comes in through {@link BuildContext}, so tests run it in-process.
 */
import { join } from 'node:path';
import { type BuildManifest, MANIFEST_SCHEMA, writeManifest } from '../manifest.js';
import type { BuildContext, BuilderOutcome, BuildResult } from './context.js';
import type { BuildRequest } from './request.js';
import { buildWithImageBuilder, buildWithPacker } from './packer.js';
import { buildFromDisk, buildFromStemcell } from './vhd.js';

export type {
  BuildContext,
  BuilderOutcome,
  BuildResult,
  BuiltImage,
  Provenance,
} from './context.js';

export async function buildImage(settings: BuildRequest, ctx: BuildContext): Promise<BuildResult> {
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

async function runBuilder(settings: BuildRequest, ctx: BuildContext): Promise<BuilderOutcome> {
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
