import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createClients } from '../../azure/clients.js';
import { azurePageBlobTarget } from '../../build/upload/page-blob.js';
import {
  actionsLogger,
  runAction,
  packerSignInFromRunner,
  signInFromRunner,
  runProvenance,
  setOutputs,
  writeSummary,
} from '../../runner/runtime.js';
import { declaredInputs } from '../../runner/spec.js';
import { BUILD_IMAGE } from './spec.js';
import { buildImage } from '../../build/builders/build.js';
import { capzImageTarget } from '../../gallery/names.js';
import { getInputs } from './inputs.js';
import { buildSummary } from './summary.js';

const USER_AGENT = 'compute-gallery-actions/build-image';

/** build-image: runs the builder, uploads what needs uploading, writes outputs and a manifest. */
export async function run(): Promise<void> {
  await runAction(async () => {
    // Every input is checked before anything runs or uploads.
    const settings = getInputs(declaredInputs(BUILD_IMAGE));
    for (const name of settings.ignoredInputs) {
      actionsLogger.warning(
        `Input '${name}' is not used with builder: ${settings.builder.kind}; ignoring it.`,
      );
    }
    const signedIn = signInFromRunner(settings.azure);
    const temp = process.env.RUNNER_TEMP ?? tmpdir();
    const workDir = await mkdtemp(join(temp, 'build-image-'));
    try {
      const result = await buildImage(settings, {
        logger: actionsLogger,
        workDir,
        manifestDir: temp,
        pageBlob: (blobUrl) =>
          azurePageBlobTarget(blobUrl, signedIn.credential, { userAgent: USER_AGENT }),
        signIn: packerSignInFromRunner(settings.azure, signedIn),
        env: process.env,
        ...(settings.builder.kind === 'image-builder'
          ? { staging: createClients(settings.azure, signedIn.credential, USER_AGENT).compute }
          : {}),
        provenance: runProvenance(),
      });
      setOutputs(BUILD_IMAGE, {
        'managed-image-id': result.managedImageId,
        'image-version-id': result.imageVersionId,
        'vhd-uri': result.vhd?.uri,
        'vhd-sha256': result.vhd?.sha256 || undefined,
        'content-digest': result.vhd?.contentDigest,
        'storage-account-id': result.vhd?.storageAccountId,
        'os-type': result.image.osType,
        'hyper-v-generation': result.image.hyperVGeneration,
        // One security type per OS target, whichever workflow publishes it (issue 10 item 10).
        'security-type': settings.os ? capzImageTarget(settings.os).securityType : undefined,
        'image-definition': result.image.definition,
        'image-version': result.image.version,
        manifest: result.manifestPath,
      });
      await writeSummary(buildSummary(settings, result));
    } finally {
      await rm(workDir, { recursive: true, force: true });
    }
  });
}
