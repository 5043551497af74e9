/** record-attestation's inputs: each bad value is refused by name before Azure is called. */
import { describe, expect, it } from '@jest/globals';
import { getRecordAttestationInputs } from '../../../src/actions/record-attestation/inputs.js';
import { recordInputReader } from '../../../src/common/inputs.js';

const SUB = '00000000-0000-0000-0000-000000000000';
const ID = `/subscriptions/${SUB}/resourceGroups/rg-staging/providers/Microsoft.Compute/galleries/staging/images/capi-ubuntu-2404/versions/1.31.2`;
const GOOD = {
  'subscription-id': SUB,
  'image-version-id': ID,
  'attestation-url': 'https://github.com/example/capz-images/attestations/1000001',
  'subject-digest': `sha256:${'AB'.repeat(32)}`,
};
const read = (over: Record<string, string>) =>
  getRecordAttestationInputs(recordInputReader({ ...GOOD, ...over }));

describe('record-attestation inputs', () => {
  it('reads the version, the attestation and its digest (lower case)', () => {
    const s = read({});
    expect(s.version).toMatchObject({ gallery: 'staging', imageDefinition: 'capi-ubuntu-2404' });
    expect(s.subjectDigest).toBe(`sha256:${'ab'.repeat(32)}`);
    expect(s.pollIntervalSeconds).toBe(5);
  });

  it.each([
    ['image-version-id', '/subscriptions/x/images/y', /Expected a gallery image version ID/],
    [
      'image-version-id',
      ID.replace(SUB, '99999999-0000-0000-0000-000000000000'),
      /in subscription-id 0{8}-/,
    ],
    ['attestation-url', 'https://example.com/attestation', /attestation-url: https:\/\/github/],
    ['subject-digest', 'source:/subscriptions/x', /sha256:<64 hex digits>/],
  ])('refuses %s %s', (name, value, message) => {
    expect(() => read({ [name]: value })).toThrow(message);
    expect(() => read({ [name]: value })).toThrow(new RegExp(`'${name}'|${name}`));
  });
});
