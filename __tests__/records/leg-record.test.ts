import { describe, expect, it } from '@jest/globals';
import {
  legRecord,
  parseLegRecord,
  promotable,
  promotionRecord,
  recordName,
  runSummary,
  withPromotions,
} from '../../src/records/leg-record.js';

const needs = {
  build: { result: 'success', outputs: { 'image-version': '1.37.2' } },
  publish: { result: 'success', outputs: { 'image-version-id': '/sub/x/versions/1.37.2' } },
  validate: { result: 'success', outputs: { result: 'passed', 'kubelet-version': 'v1.37.2' } },
  promote: {
    result: 'success',
    outputs: {
      'image-version-id': '/prod/versions/1.37.2',
      'community-image-id': '/CommunityGalleries/a/Images/b/Versions/1.37.2',
      'image-reference': 'computeGallery:\n  name: b\n',
    },
  },
};

describe('legRecord', () => {
  it('takes each job result and the IDs the jobs produced', () => {
    expect(legRecord({ 'kubernetes-version': 'v1.37.2', os: 'ubuntu-2404' }, needs)).toEqual({
      'kubernetes-version': 'v1.37.2',
      os: 'ubuntu-2404',
      'image-version': '1.37.2',
      results: { build: 'success', publish: 'success', validate: 'success', promote: 'success' },
      'staging-image-version-id': '/sub/x/versions/1.37.2',
      'validation-result': 'passed',
      'kubelet-version': 'v1.37.2',
      'image-version-id': '/prod/versions/1.37.2',
      'community-image-id': '/CommunityGalleries/a/Images/b/Versions/1.37.2',
      'image-reference': 'computeGallery:\n  name: b\n',
    });
  });

  it('leaves out what skipped jobs did not produce', () => {
    const record = legRecord(
      { 'kubernetes-version': 'v1.37.2', os: 'ubuntu-2404' },
      {
        build: { result: 'failure', outputs: {} },
        promote: { result: 'skipped', outputs: { 'image-version-id': '' } },
      },
    );
    expect(record).toEqual({
      'kubernetes-version': 'v1.37.2',
      os: 'ubuntu-2404',
      results: { build: 'failure', promote: 'skipped' },
    });
  });

  it('names the file after the leg', () => {
    expect(recordName('ubuntu-2404', '1.37.2')).toBe('image-ubuntu-2404-1.37.2');
    expect(recordName('a/b', 'c d')).toBe('image-a_b-c_d');
  });
});

describe('runSummary', () => {
  it('has one row a leg, sorted, and the promoted stanzas', () => {
    const a = legRecord({ 'kubernetes-version': 'v1.37.2', os: 'ubuntu-2404' }, needs);
    const b = legRecord(
      { 'kubernetes-version': 'v1.36.6', os: 'azurelinux-3' },
      { build: { result: 'failure' } },
    );
    const text = runSummary([a, b]);
    const rows = text.split('\n').filter((l) => l.startsWith('| v1.'));
    expect(rows).toEqual([
      '| v1.36.6 | azurelinux-3 |  | failure |  |  |  |  |',
      '| v1.37.2 | ubuntu-2404 | 1.37.2 | success | success | success | success | /CommunityGalleries/a/Images/b/Versions/1.37.2 |',
    ]);
    expect(text).toContain('`ubuntu-2404 1.37.2`:\n\n```yaml\ncomputeGallery:\n  name: b\n```');
  });

  it('says when no leg left a record', () => {
    expect(runSummary([])).toContain('No leg left a record.');
  });

  it('refuses a file that is not a record, naming it', () => {
    expect(() => parseLegRecord('{}', 'x.json')).toThrow(/x\.json is not a leg record/);
    expect(() => parseLegRecord('nope', 'y.json')).toThrow(/y\.json is not JSON/);
  });
});

describe('promotion after all legs', () => {
  const leg = { 'kubernetes-version': 'v1.37.2', os: 'ubuntu-2404' };
  const published = legRecord(leg, {
    publish: needs.publish,
    validate: { result: 'success', outputs: { result: 'passed' } },
  });

  it('promotes only published, validated legs, or unvalidated ones when validation was skipped', () => {
    expect(promotable(published, false)).toBe(true);
    const failed = legRecord(leg, {
      publish: needs.publish,
      validate: { result: 'failure', outputs: { result: 'failed' } },
    });
    expect(promotable(failed, true)).toBe(false);
    const skipped = legRecord(leg, { publish: needs.publish, validate: { result: 'skipped' } });
    expect([promotable(skipped, false), promotable(skipped, true)]).toEqual([false, true]);
    expect(promotable(legRecord(leg, { publish: { result: 'failure' } }), true)).toBe(false);
  });

  it('holds back a leg whose attestation failed, and records the attestation of one that passed', () => {
    const url = 'https://github.com/example/capz-images/attestations/1000001';
    const attested = legRecord(leg, {
      ...needs,
      attest: { result: 'success', outputs: { 'attestation-url': url } },
    });
    expect(attested['attestation-url']).toBe(url);
    expect(promotable(attested, false)).toBe(true);
    expect(promotable(legRecord(leg, { ...needs, attest: { result: 'skipped' } }), false)).toBe(
      true,
    );
    for (const result of ['failure', 'cancelled']) {
      expect(promotable(legRecord(leg, { ...needs, attest: { result } }), false)).toBe(false);
    }
  });

  it('folds the promote job’s record into the leg’s for the summary', () => {
    const promotion = promotionRecord(
      { ...leg, 'image-version': '1.37.2' },
      { outcome: 'success', conclusion: 'success', outputs: needs.promote.outputs },
    );
    const [merged] = withPromotions([published], [promotion]);
    expect(merged!.results).toEqual({
      publish: 'success',
      validate: 'success',
      promote: 'success',
    });
    expect(merged!['community-image-id']).toBe(needs.promote.outputs['community-image-id']);
    expect(promotionRecord(leg, null).results).toEqual({ promote: 'skipped' });
  });
});
