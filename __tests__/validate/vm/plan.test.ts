import { describe, expect, it } from '@jest/globals';
import { sizeFacts } from '../../../emulator/vm-rules.js';
import { parseGalleryImageVersionId } from '../../../src/gallery/identifiers.js';
import { resourceGroupNameRule, isValidName } from '../../../src/gallery/names.js';
import type { ImageFacts } from '../../../src/validate/image.js';
import {
  planVm,
  resourceGroupName,
  runIdentity,
  throwawaySshKey,
  vmCredentials,
} from '../../../src/validate/vm/plan.js';

const ID =
  '/subscriptions/00000000-0000-0000-0000-000000000000/resourceGroups/rg/providers/Microsoft.Compute/galleries/g/images/capi-ubuntu-2404/versions/1.31.2';
const image = (facts: Partial<ImageFacts> = {}): ImageFacts => ({
  id: ID,
  ref: parseGalleryImageVersionId(ID)!,
  osType: 'Linux',
  hyperVGeneration: 'V2',
  architecture: 'x64',
  securityType: 'TrustedLaunchSupported',
  diskControllerTypes: ['SCSI'],
  replicatedRegions: ['westus2'],
  location: 'westus2',
  ...facts,
});

describe('planVm', () => {
  it.each([
    [
      'a Trusted Launch gen2 image',
      {},
      undefined,
      { size: 'Standard_D2s_v5', securityType: 'TrustedLaunch' },
    ],
    [
      'a gen1 image',
      { hyperVGeneration: 'V1' as const, securityType: 'Standard' },
      undefined,
      { size: 'Standard_D2s_v3', securityType: 'Standard' },
    ],
    [
      'a confidential image',
      { securityType: 'ConfidentialVmSupported' },
      undefined,
      { size: 'Standard_DC2as_v5', securityType: 'ConfidentialVM' },
    ],
    [
      'an image that supports both',
      { securityType: 'TrustedLaunchAndConfidentialVmSupported' },
      undefined,
      { securityType: 'TrustedLaunch' },
    ],
    ['an Arm64 image', { architecture: 'Arm64' as const }, undefined, { size: 'Standard_D2ps_v5' }],
    [
      'an NVMe-only image',
      { diskControllerTypes: ['NVMe'] },
      undefined,
      { diskControllerType: 'NVMe' },
    ],
    [
      'a SCSI+NVMe image on a v6 size',
      { diskControllerTypes: ['SCSI', 'NVMe'] },
      'Standard_D2ads_v6',
      { size: 'Standard_D2ads_v6', diskControllerType: 'NVMe' },
    ],
  ])('boots %s as its definition asks', (_what, facts, vmSize, expected) => {
    expect(planVm(image(facts), vmSize)).toMatchObject(expected);
  });

  it('picks default sizes the stand-in agrees can boot the image', () => {
    for (const facts of [
      { hyperVGeneration: 'V1' as const, securityType: 'Standard' },
      {},
      { architecture: 'Arm64' as const },
      { securityType: 'ConfidentialVmSupported' },
    ]) {
      const i = image(facts);
      const plan = planVm(i, undefined);
      const size = sizeFacts(plan.size);
      expect(size.generations).toContain(i.hyperVGeneration);
      expect(size.arm64).toBe(i.architecture === 'Arm64');
      if (plan.securityType === 'ConfidentialVM') expect(size.confidential).toBe(true);
    }
  });
});

describe('names and credentials', () => {
  it('names the resource group after the run, within Azure’s 90 characters', () => {
    const run = runIdentity(
      { GITHUB_RUN_ID: '12345678901', GITHUB_RUN_ATTEMPT: '2', GITHUB_JOB: 'validate' },
      new Date(),
    );
    const name = resourceGroupName(run, image(), 'vm');
    expect(name).toMatch(/^cga-validate-12345678901-2-capi-ubuntu-2404-1\.31\.2-[0-9a-f]{6}$/);
    const long = image({ ref: { ...image().ref, imageDefinition: 'd'.repeat(80) } });
    const longName = resourceGroupName(run, long, 'vm');
    expect(longName.length).toBeLessThanOrEqual(90);
    expect(isValidName(resourceGroupNameRule, longName)).toBe(true);
    expect(resourceGroupName(run, image(), 'cluster')).not.toBe(name);
    const otherLeg = runIdentity(
      { GITHUB_RUN_ID: '12345678901', GITHUB_RUN_ATTEMPT: '2', GITHUB_JOB: 'other' },
      new Date(),
    );
    expect(resourceGroupName(otherLeg, image(), 'vm')).not.toBe(name);
  });

  it('makes an OpenSSH RSA key, and a Windows password Azure accepts', async () => {
    const key = await throwawaySshKey();
    const blob = Buffer.from(key.split(' ')[1]!, 'base64');
    expect(blob.subarray(4, 11).toString()).toBe('ssh-rsa');
    expect(blob.length).toBeGreaterThan(380);
    const { adminPassword } = await vmCredentials('Windows');
    expect(adminPassword!.length).toBeGreaterThanOrEqual(12);
    expect([/[A-Z]/, /[a-z]/, /\d/, /[^A-Za-z0-9]/].every((re) => re.test(adminPassword!))).toBe(
      true,
    );
  });
});
