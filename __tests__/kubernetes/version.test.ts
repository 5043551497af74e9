import { describe, expect, it } from '@jest/globals';
import { InputError } from '../../src/common/errors.js';
import {
  parseKubernetesVersion,
  compareKubernetesVersions,
  compareMinorKeys,
  compareVersionNames,
  formatKubernetesVersion,
  imageVersionForKubernetes,
  isPrerelease,
  minorKey,
  minorOfVersionName,
  toImageVersion,
  tryParseKubernetesVersion,
  tryParseMinorKey,
  sortKubernetesVersions,
} from '../../src/kubernetes/version.js';

describe('tryParseKubernetesVersion', () => {
  it.each([
    ['v1.31.2', { major: 1, minor: 31, patch: 2 }],
    ['1.31.2', { major: 1, minor: 31, patch: 2 }],
    ['v1.32.0-rc.1', { major: 1, minor: 32, patch: 0, prerelease: { kind: 'rc', number: 1 } }],
    [
      'v1.32.0-alpha.0',
      {
        major: 1,
        minor: 32,
        patch: 0,
        prerelease: { kind: 'alpha', number: 0 },
      },
    ],
    [
      '1.33.0-beta.2',
      {
        major: 1,
        minor: 33,
        patch: 0,
        prerelease: { kind: 'beta', number: 2 },
      },
    ],
    ['v0.0.0', { major: 0, minor: 0, patch: 0 }],
  ])('parses %s', (text, expected) => {
    // Act
    const version = tryParseKubernetesVersion(text);

    // Assert
    expect(version).toEqual(expected);
  });

  it.each([
    '',
    'v1.31',
    '1.31',
    'v1.31.2.4',
    'V1.31.2',
    'vv1.31.2',
    'v1.031.2',
    'v1.31.02',
    'v1.31.2-rc',
    'v1.31.2-rc.01',
    'v1.31.2-gamma.1',
    'v1.31.2+build.1',
    'v1.31.2-rc.1.5+abc',
    'v1.2147483648.0',
    'v1.31.-1',
    'latest',
  ])('rejects %j', (text) => {
    expect(tryParseKubernetesVersion(text)).toBeUndefined();
  });

  it('accepts the largest 32-bit part', () => {
    expect(tryParseKubernetesVersion('1.2147483647.0')?.minor).toBe(2147483647);
  });
});

describe('parseKubernetesVersion', () => {
  it('throws an InputError naming the input and quoting the value', () => {
    // Act
    const act = () => parseKubernetesVersion('1.31', 'kubernetes-versions');

    // Assert
    expect(act).toThrow(InputError);
    expect(act).toThrow(/Invalid input 'kubernetes-versions': '1.31'\. Expected a Kubernetes/);
  });
});

describe('formatKubernetesVersion', () => {
  it.each(['v1.31.2', 'v1.32.0-rc.1', 'v1.32.0-alpha.3'])('round-trips %s', (tag) => {
    expect(formatKubernetesVersion(parseKubernetesVersion(tag))).toBe(tag);
  });

  it('adds the v that a bare version lacks', () => {
    expect(formatKubernetesVersion(parseKubernetesVersion('1.31.2'))).toBe('v1.31.2');
  });
});

describe('compareKubernetesVersions and sortKubernetesVersions', () => {
  it('orders by number, then alpha < beta < rc < release', () => {
    // Arrange
    const shuffled = [
      'v1.32.0',
      'v1.9.11',
      'v1.32.0-rc.1',
      'v1.31.10',
      'v1.32.0-alpha.2',
      'v1.31.2',
      'v1.32.0-beta.0',
      'v1.32.0-alpha.10',
      'v1.32.0-rc.0',
    ].map((tag) => parseKubernetesVersion(tag));

    // Act
    const sorted = sortKubernetesVersions(shuffled).map(formatKubernetesVersion);

    // Assert
    expect(sorted).toEqual([
      'v1.9.11',
      'v1.31.2',
      'v1.31.10',
      'v1.32.0-alpha.2',
      'v1.32.0-alpha.10',
      'v1.32.0-beta.0',
      'v1.32.0-rc.0',
      'v1.32.0-rc.1',
      'v1.32.0',
    ]);
  });

  it('sorts descending on request and leaves the input alone', () => {
    // Arrange
    const input = ['v1.30.1', 'v1.31.0'].map((tag) => parseKubernetesVersion(tag));

    // Act
    const sorted = sortKubernetesVersions(input, 'descending');

    // Assert
    expect(sorted.map(formatKubernetesVersion)).toEqual(['v1.31.0', 'v1.30.1']);
    expect(input.map(formatKubernetesVersion)).toEqual(['v1.30.1', 'v1.31.0']);
  });

  it('treats v1.31.2 and 1.31.2 as equal', () => {
    const a = parseKubernetesVersion('v1.31.2');
    const b = parseKubernetesVersion('1.31.2');
    expect(compareKubernetesVersions(a, b)).toBe(0);
  });
});

describe('minor keys', () => {
  it('names the minor release as the release calendar does', () => {
    expect(minorKey(parseKubernetesVersion('v1.31.2'))).toBe('1.31');
    expect(minorKey(parseKubernetesVersion('v1.32.0-rc.1'))).toBe('1.32');
  });

  it('parses and orders minor keys numerically', () => {
    expect(tryParseMinorKey('1.31')).toEqual({ major: 1, minor: 31 });
    expect(tryParseMinorKey('v1.31')).toEqual({ major: 1, minor: 31 });
    expect(tryParseMinorKey('1.31.2')).toBeUndefined();
    expect(['1.10', '1.9', '1.31'].sort(compareMinorKeys)).toEqual(['1.9', '1.10', '1.31']);
  });
});

describe('image versions', () => {
  it('drops the v', () => {
    expect(toImageVersion(parseKubernetesVersion('v1.31.2'))).toBe('1.31.2');
    expect(imageVersionForKubernetes('1.30.14')).toBe('1.30.14');
  });

  it('rejects a pre-release, naming the input and quoting the text as written', () => {
    // Arrange
    const version = parseKubernetesVersion('1.32.0-rc.1');

    // Act
    const fromVersion = () => toImageVersion(version, 'kubernetes-version');
    const fromText = () => imageVersionForKubernetes('1.32.0-rc.1', 'kubernetes-version');

    // Assert
    expect(isPrerelease(version)).toBe(true);
    expect(fromVersion).toThrow(/'kubernetes-version': 'v1\.32\.0-rc\.1'\. A pre-release cannot/);
    expect(fromText).toThrow(/'kubernetes-version': '1\.32\.0-rc\.1'\. A pre-release cannot/);
  });

  it('rejects malformed text', () => {
    expect(() => imageVersionForKubernetes('1.31', 'kubernetes-version')).toThrow(
      /Invalid input 'kubernetes-version': '1.31'/,
    );
  });
});

describe('compareVersionNames', () => {
  it.each([
    ['1.10.0', '1.9.3'],
    ['1.31.10', '1.31.2'],
    ['1.31.2-1.10', '1.31.2-1.9'],
    ['1.31.2-1.1', '1.31.2'],
  ])('orders %s after %s', (newer, older) => {
    expect(compareVersionNames(newer, older)).toBeGreaterThan(0);
    expect(compareVersionNames(older, newer)).toBeLessThan(0);
  });

  it('finds equal names equal, and compares on past a numerically equal part', () => {
    expect(compareVersionNames('1.31.2', '1.31.2')).toBe(0);
    expect(compareVersionNames('1.01.5', '1.1.3')).toBeGreaterThan(0);
  });

  it('takes the minor of a version name', () => {
    expect(minorOfVersionName('1.31.2')).toBe('1.31');
  });
});
