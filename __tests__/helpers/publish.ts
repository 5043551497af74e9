import { BlobClient } from '@azure/storage-blob';
import { getInputs } from '../../src/actions/publish-to-gallery/inputs.js';
import type { PublishToGallerySettings } from '../../src/actions/publish-to-gallery/inputs.js';
import type { PublishContext } from '../../src/gallery/publish.js';
import { createClients } from '../../src/azure/clients.js';
import { createCredential } from '../../src/azure/credentials.js';
import { RecordingLogger } from '../../src/common/logger.js';
import { systemClock } from '../../src/gallery/clock.js';
import { blobDigest } from '../../src/gallery/digest.js';
import { recordInputReader } from '../../src/common/inputs.js';
import { SupportCalendar } from '../../src/kubernetes/support.js';
import { endOfLifeYaml, scheduleYaml } from '../fixtures/kubernetes/release-calendar.js';
import { CLIENT, SUBSCRIPTION, TENANT } from './emulator.js';
import type { TestEmulator } from './emulator.js';

/** The release calendar of our own fixture (as it stood in the autumn of 2024). */
export function fixtureCalendar(): SupportCalendar {
  return SupportCalendar.fromYaml(scheduleYaml, endOfLifeYaml);
}

/** Inputs as a workflow would give them, pointed at the stand-in. */
export function publishInputs(
  emu: TestEmulator,
  inputs: Record<string, string>,
): Record<string, string> {
  return {
    'subscription-id': SUBSCRIPTION,
    'tenant-id': TENANT,
    'client-id': CLIENT,
    'arm-endpoint': emu.endpoint,
    'authority-host': emu.authorityHost,
    'resource-group': 'rg-publish',
    location: 'westus2',
    gallery: 'staging_gallery',
    'image-definition': 'capi-ubuntu-2404',
    publisher: 'capz',
    offer: 'capi',
    sku: 'ubuntu-2404',
    ...inputs,
  };
}

export function settingsFor(
  emu: TestEmulator,
  inputs: Record<string, string>,
  now = new Date(),
): PublishToGallerySettings {
  return getInputs(recordInputReader(publishInputs(emu, inputs)), now);
}

/** What the action's main builds, with a recording logger and fast polling. */
export function publishContext(
  emu: TestEmulator,
  settings: PublishToGallerySettings,
  logger = new RecordingLogger(),
): PublishContext & { logger: RecordingLogger } {
  const signedIn = createCredential(settings.azure, {
    env: { AZURE_CLIENT_SECRET: 'local-secret' },
    getIdToken: () => Promise.reject(new Error('no OIDC in this test')),
    maskSecret: () => undefined,
    logger,
  });
  return {
    clients: createClients(settings.azure, signedIn.credential, 'test'),
    logger,
    clock: systemClock,
    pollIntervalMs: 25,
    now: new Date(),
    loadSupportCalendar: async () => fixtureCalendar(),
    readBlobDigest: async (uri) =>
      blobDigest((await new BlobClient(uri, signedIn.credential).getProperties()).metadata),
    provenance: { 'published-by': 'https://github.com/local/test/actions/runs/1' },
  };
}
