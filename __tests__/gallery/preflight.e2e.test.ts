/**
 * Fail before the long work (issue 10 item 10): what promote will need is checked by image.yml's
 * first step, in seconds, instead of after the build and the validation.
 */
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { getPreflightInputs } from '../../src/actions/preflight/inputs.js';
import { InputError } from '../../src/common/errors.js';
import { recordInputReader } from '../../src/common/inputs.js';
import { RecordingLogger } from '../../src/common/logger.js';
import { preflight } from '../../src/gallery/preflight.js';
import { loadWorkflow } from '../../scripts/lib/demo-workflow.js';
import { CLIENT, SUBSCRIPTION, TENANT, startTestEmulator } from '../helpers/emulator.js';
import type { TestEmulator } from '../helpers/emulator.js';
import { seedImageVersion } from '../helpers/gallery-seed.js';
import { runBundledAction } from '../helpers/runner.js';

let emu: TestEmulator;
beforeAll(async () => {
  emu = await startTestEmulator();
  await seedImageVersion(emu, { resourceGroup: 'rg-prod', gallery: 'ClusterAPI' });
});
afterAll(async () => {
  await emu.dispose();
});

const COMMUNITY = {
  'public-name-prefix': 'ClusterAPI',
  'publisher-uri': 'https://capz.sigs.k8s.io',
  'publisher-contact': 'capz@example.com',
  eula: 'https://www.apache.org/licenses/LICENSE-2.0',
};
function inputs(extra: Record<string, string> = {}): Record<string, string> {
  return {
    'subscription-id': SUBSCRIPTION,
    'tenant-id': TENANT,
    'client-id': CLIENT,
    'arm-endpoint': emu.endpoint,
    'authority-host': emu.authorityHost,
    'resource-group': 'rg-prod',
    gallery: 'ClusterAPI',
    sharing: 'private',
    ...extra,
  };
}
const read = (extra: Record<string, string>) => getPreflightInputs(recordInputReader(extra));
const check = (extra: Record<string, string> = {}) =>
  preflight(read(inputs(extra)), { api: emu.compute(), logger: new RecordingLogger() });

describe('preflight inputs', () => {
  it('refuses a community promotion without publisher-uri, before any build', () => {
    const withoutUri: Record<string, string> = { ...inputs(), ...COMMUNITY };
    delete withoutUri.sharing; // left at its default, community
    delete withoutUri['publisher-uri'];
    expect(() => read(withoutUri)).toThrow(InputError);
    expect(() => read(withoutUri)).toThrow(/Invalid input 'publisher-uri'.*sharing: community/);
  });

  it('refuses a run without an identity', () => {
    const anonymous = inputs();
    delete anonymous['client-id'];
    delete anonymous['tenant-id'];
    expect(() => read(anonymous)).toThrow(/Invalid input 'client-id'/);
  });

  it('asks nothing about production of a run that does not promote', async () => {
    const result = await preflight(
      read({
        'subscription-id': SUBSCRIPTION,
        'tenant-id': TENANT,
        'client-id': CLIENT,
        promote: 'false',
      }),
      { logger: new RecordingLogger() },
    );
    expect(result.checks).toEqual(['no promotion']);
  });
});

describe('preflight against the stand-in', () => {
  it('passes an existing production gallery', async () => {
    const result = await check();
    expect(result.checks).toContain('production gallery rg-prod/ClusterAPI exists');
  });

  it('refuses a mistyped production gallery unless create-gallery', async () => {
    await expect(check({ gallery: 'ClusterAPl' })).rejects.toThrow(
      /Invalid input 'gallery': 'ClusterAPl'.*create-gallery: true/s,
    );
    const created = await check({ gallery: 'ClusterAPl', 'create-gallery': 'true' });
    expect(created.checks).toContain('production gallery rg-prod/ClusterAPl will be created');
  });

  it('refuses a gallery whose public name is not the pinned one', async () => {
    await expect(
      check({ 'community-gallery-public-name': 'ClusterAPI-f72ceb4f-5159-4c26-a0fe-2ea738f0d019' }),
    ).rejects.toThrow(/Invalid input 'community-gallery-public-name'/);
  });

  it('fails as a bundle in seconds, naming the input', async () => {
    const given: Record<string, string> = { ...inputs(), ...COMMUNITY, sharing: 'community' };
    delete given['publisher-uri'];
    const started = Date.now();
    const run = await runBundledAction('preflight', given, { NODE_EXTRA_CA_CERTS: emu.caCertPath });
    expect(run.code).toBe(1);
    expect(run.stdout).toMatch(/::error::Invalid input 'publisher-uri'/);
    expect(Date.now() - started).toBeLessThan(30_000);
  });
});

describe('image.yml', () => {
  it('checks what promote needs as the first step of its first job', () => {
    const workflow = loadWorkflow('.github/workflows/image.yml');
    const first = workflow.jobs.build!.steps![0]!;
    expect(first.uses).toBe('$/actions/preflight');
    for (const input of ['publisher-uri', 'public-name-prefix', 'gallery', 'create-gallery']) {
      expect(first.with).toHaveProperty(input);
    }
  });

  it('gives ubuntu-2404-gen2 the security type images.yml gives it, when called directly', () => {
    const workflow = loadWorkflow('.github/workflows/image.yml');
    const publish = workflow.jobs.publish!.steps!.find((s) => s.id === 'publish')!;
    expect(publish.with!['security-type']).toBe(
      '${{ inputs.security-type || needs.build.outputs.security-type }}',
    );
    expect(workflow.jobs.build!.outputs!['security-type']).toBe(
      '${{ steps.build.outputs.security-type }}',
    );
  });
});
