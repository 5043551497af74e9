/**
 * The builders that run Packer: `image-builder` (kubernetes-sigs/image-builder's make goals)
 * and `packer` (the user's own template). Both end with Packer's artifact: a managed image and,
 * usually, a version in the staging gallery.
 */
import { mkdir } from 'node:fs/promises';
import { runImageBuilder } from '../packer/image-builder.js';
import { runPacker } from '../packer/template.js';
import type { AzureArtifact } from '../packer/output.js';
import { BuildFailedError } from '../packer/run.js';
import { type PackerSignInRequest, signInForPacker } from '../packer/sign-in.js';
import type { Logger } from '../../common/logger.js';
import { parseKubernetesVersion } from '../../kubernetes/version.js';
import { type BuildContext, type BuilderOutcome, type BuiltImage, identity } from './context.js';
import type { BuildRequest } from './request.js';

/** image-builder's make goal, then the image as Packer reported it. */
export async function buildWithImageBuilder(
  settings: BuildRequest,
  builder: Extract<BuildRequest['builder'], { kind: 'image-builder' }>,
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
export async function buildWithPacker(
  settings: BuildRequest,
  builder: Extract<BuildRequest['builder'], { kind: 'packer' }>,
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

function packerSignIn(settings: BuildRequest, ctx: BuildContext): PackerSignInRequest {
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
