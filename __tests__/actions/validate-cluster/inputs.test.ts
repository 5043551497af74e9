import { describe, expect, it } from '@jest/globals';
import { getInputs } from '../../../src/actions/validate-cluster/inputs.js';
import { InputError } from '../../../src/common/errors.js';
import { recordInputReader } from '../../../src/github/inputs.js';

const ID =
  '/subscriptions/00000000-0000-0000-0000-000000000000/resourceGroups/rg-staging/providers/Microsoft.Compute/galleries/staging_gallery/images/capi-ubuntu-2404/versions/1.31.2';
const base = { 'subscription-id': '00000000-0000-0000-0000-000000000000', 'image-version-id': ID };
const read = (inputs: Record<string, string>) =>
  getInputs(recordInputReader({ ...base, ...inputs }));

function failure(inputs: Record<string, string>): InputError {
  try {
    read(inputs);
  } catch (err) {
    if (err instanceof InputError) return err;
    throw err;
  }
  throw new Error(`no error for ${JSON.stringify(inputs)}`);
}

describe('validate-cluster inputs', () => {
  it('defaults to a VM test of the version name’s Kubernetes version', () => {
    expect(read({})).toMatchObject({
      imageVersionId: ID,
      imageVersion: {
        gallery: 'staging_gallery',
        imageDefinition: 'capi-ubuntu-2404',
        version: '1.31.2',
      },
      kubernetesVersion: 'v1.31.2',
      mode: 'vm',
      timeoutMinutes: 45,
      pollIntervalSeconds: 15,
    });
    expect(read({})).not.toHaveProperty('location');
  });

  it('reads the optional inputs', () => {
    expect(
      read({
        'kubernetes-version': '1.31.3',
        location: 'EastUS',
        'vm-size': 'Standard_E4-2s_v3',
        'containerd-version': 'v2.0.0',
        'provenance-file': 'C:\\k\\provenance.json',
      }),
    ).toMatchObject({
      kubernetesVersion: 'v1.31.3',
      location: 'eastus',
      vmSize: 'Standard_E4-2s_v3',
      containerdVersion: '2.0.0',
      provenanceFile: 'C:\\k\\provenance.json',
    });
  });

  it.each([
    [{ 'image-version-id': '' }, 'image-version-id', /required/],
    [
      { 'image-version-id': ID.replace('/versions/1.31.2', '') },
      'image-version-id',
      /gallery image version ID/,
    ],
    [
      { 'image-version-id': ID.replace('1.31.2', 'latest') },
      'image-version-id',
      /gallery image version ID/,
    ],
    [
      { 'image-version-id': ID.replace('1.31.2', '2024.1.7') },
      'kubernetes-version',
      /not a Kubernetes version/,
    ],
    [{ 'kubernetes-version': '1.31' }, 'kubernetes-version', /Kubernetes version/],
    [{ mode: 'cluster-api' }, 'mode', /vm, cluster/],
    [{ location: 'West US 2' }, 'location', /region/],
    [{ location: 'atlantis' }, 'location', /Azure region/],
    [{ 'vm-size': 'D2s_v5' }, 'vm-size', /Standard_D2s_v5/],
    [{ 'vm-size': 'Standard D2s v5' }, 'vm-size', /Standard_D2s_v5/],
    [{ 'containerd-version': 'latest' }, 'containerd-version', /1\.7\.22/],
    [{ 'provenance-file': 'provenance.json' }, 'provenance-file', /absolute path/],
    [{ 'timeout-minutes': '0' }, 'timeout-minutes', /1 to 720/],
    [{ 'poll-interval-seconds': 'fast' }, 'poll-interval-seconds', /whole number/],
  ])('refuses %j naming %s', (inputs, input, message) => {
    const err = failure(inputs);
    expect(err.input).toBe(input);
    expect(err.message).toMatch(message);
    expect(err.message).toContain(`Invalid input '${input}'`);
  });
});
