import { describe, expect, it } from '@jest/globals';
import { InputError } from '../../src/common/errors.js';
import {
  capzImageTarget,
  checkName,
  compareImageVersionNames,
  galleryNameRule,
  imageDefinitionNameRule,
  imageVersionNameRule,
  isValidName,
  managedImageNameRule,
  type NameRule,
  normalizeRegionName,
  offerRule,
  osTargetRule,
  parseImageVersionName,
  publicNamePrefixRule,
  publisherRule,
  regionNameRule,
  resourceGroupNameRule,
  skuRule,
  storageAccountNameRule,
  subscriptionIdRule,
} from '../../src/gallery/names.js';

const repeat = (length: number, char = 'a') => char.repeat(length);

/** Valid and invalid names per rule, with the problem each invalid one must report. */
const cases: [string, NameRule, string[], [string, RegExp][]][] = [
  [
    'gallery names',
    galleryNameRule,
    ['myGallery', 'sig_000002', 'a', 'a.b_c', 'gallery_', repeat(80)],
    [
      ['my-gallery', /contains '-'/],
      ['', /empty/],
      [repeat(81), /81 characters, more than 80/],
      ['_gallery', /starts with '_'/],
      ['.gallery', /starts with '.'/],
      ['gallery.', /ends with '.'/],
      ['gal lery', /contains " "/],
    ],
  ],
  [
    'image definition names',
    imageDefinitionNameRule,
    ['capi-ubuntu-2404', 'img_000003', 'image1', 'x_', 'a.b-c_d', repeat(80)],
    [
      ['-capi', /starts with '-'/],
      ['_capi', /starts with '_'/],
      ['capi-', /ends with '-'/],
      ['capi.', /ends with '.'/],
      ['capi/x', /contains '\/'/],
      [repeat(81), /81 characters/],
    ],
  ],
  [
    'image version names',
    imageVersionNameRule,
    ['1.31.2', '0.0.0', '2147483647.2147483647.2147483647'],
    [
      ['1.31', /not three numbers/],
      ['1.31.2.0', /not three numbers/],
      ['v1.31.2', /not three numbers/],
      ['1.31.2-rc.1', /not three numbers/],
      ['latest', /not three numbers/],
      ['1.31.02', /part 02 has a leading zero/],
      ['2147483648.0.0', /part 2147483648 is larger than 2147483647/],
    ],
  ],
  [
    'resource group names',
    resourceGroupNameRule,
    ['cli_test_gallery_soft_delete_policy_000001', 'rg(1)', 'Ärzte-rg', 'rg.x', repeat(90)],
    [
      ['rg.', /ends with '.'/],
      ['rg/x', /contains '\/'/],
      ['rg x', /contains " "/],
      [repeat(91), /91 characters/],
    ],
  ],
  [
    'region names',
    regionNameRule,
    ['eastus', 'westus2', 'EastUS', 'eastus2euap'],
    [
      ['east us', /contains " "/],
      ['east-us', /contains '-'/],
      ['2eastus', /starts with '2'/],
    ],
  ],
  [
    'storage account names',
    storageAccountNameRule,
    ['mystorage01', 'abc', repeat(24)],
    [
      ['My-Storage', /contains 'M', '-', 'S'/],
      ['ab', /2 characters, fewer than 3/],
      [repeat(25), /25 characters/],
    ],
  ],
  [
    'public name prefixes',
    publicNamePrefixRule,
    ['ClusterAPI', 'abcde', repeat(16)],
    [
      ['abcd', /fewer than 5/],
      [repeat(17), /more than 16/],
      ['Cluster-API', /contains '-'/],
    ],
  ],
  [
    'publishers',
    publisherRule,
    ['kubernetes-sigs', 'publisher_1.x', repeat(128)],
    [
      ['pub.', /ends with '.'/],
      ['a b', /contains " "/],
      [repeat(129), /129 characters/],
    ],
  ],
  ['offers', offerRule, ['capi', repeat(64)], [[repeat(65), /65 characters/]]],
  ['SKUs', skuRule, ['ubuntu-2404-gen2', '1.31'], [['sku/1', /contains '\/'/]]],
  [
    'managed image names',
    managedImageNameRule,
    ['capi-1234567890', 'image_'],
    [
      ['image-', /ends with '-'/],
      ['-image', /starts with '-'/],
    ],
  ],
  [
    'subscription IDs',
    subscriptionIdRule,
    ['00000000-0000-0000-0000-000000000000', '01234567-89AB-cdef-0123-4567890abcde'],
    [
      ['{subscriptionId}', /not a GUID/],
      ['01234567-89ab-cdef-0123-4567890abcd', /not a GUID/],
    ],
  ],
  [
    'OS targets',
    osTargetRule,
    ['ubuntu-2404', 'windows-2022-containerd', 'azurelinux-3'],
    [
      ['Ubuntu-2404', /not words joined by -/],
      ['ubuntu--2404', /not words joined by -/],
      [repeat(76), /76 characters/],
    ],
  ],
];

describe.each(cases)('%s', (_name, rule, valid, invalid) => {
  it.each(valid)('accepts %j', (value) => {
    expect(rule.problem(value)).toBeUndefined();
    expect(isValidName(rule, value)).toBe(true);
  });

  it.each(invalid)('rejects %j', (value, problem) => {
    expect(rule.problem(value)).toMatch(problem);
  });
});

describe('checkName', () => {
  it('returns a valid name unchanged', () => {
    expect(checkName(galleryNameRule, 'gallery', 'staging_gallery')).toBe('staging_gallery');
  });

  it('throws an InputError that names the input, quotes the value and says what is wrong', () => {
    // Act
    const act = () => checkName(galleryNameRule, 'gallery', 'my-gallery');

    // Assert
    expect(act).toThrow(InputError);
    expect(act).toThrow(
      "Invalid input 'gallery': 'my-gallery'. It contains '-'. Expected a gallery name: 1-80 " +
        "letters, digits, '.' and '_' (no '-'), starting with a letter or digit and not ending " +
        "with '.'.",
    );
  });
});

describe('normalizeRegionName', () => {
  it('lower-cases, as Azure reports regions', () => {
    expect(normalizeRegionName('WestEurope')).toBe('westeurope');
  });
});

describe('image version names', () => {
  it('parses and orders them numerically', () => {
    // Arrange
    const names = ['1.31.10', '1.9.0', '1.31.2'].map((text) => parseImageVersionName(text)!);

    // Act
    const sorted = [...names].sort(compareImageVersionNames);

    // Assert
    expect(sorted).toEqual([
      { major: 1, minor: 9, patch: 0 },
      { major: 1, minor: 31, patch: 2 },
      { major: 1, minor: 31, patch: 10 },
    ]);
  });

  it.each(['1.31', '01.2.3', '2147483648.0.0', ''])('has no parse for %j', (text) => {
    expect(parseImageVersionName(text)).toBeUndefined();
  });
});

describe('capzImageTarget', () => {
  it.each([
    ['ubuntu-2404', 'capi-ubuntu-2404', 'capi-ubun2-2404', 'Linux', 'V1', 'Standard'],
    [
      'ubuntu-2404-gen2',
      'capi-ubuntu-2404-gen2',
      'capi-ubun2-2404-gen2',
      'Linux',
      'V2',
      'Standard',
    ],
    [
      'windows-2022-containerd',
      'capi-windows-2022-containerd',
      'capi-win-2022-containerd',
      'Windows',
      'V1',
      'Standard',
    ],
    [
      'ubuntu-2204-cvm',
      'capi-ubuntu-2204-cvm',
      'capi-ubun2-2204-cvm',
      'Linux',
      'V2',
      'ConfidentialVmSupported',
    ],
    ['azurelinux-3', 'capi-azurelinux-3', 'capi-azurelinux-3', 'Linux', 'V1', 'Standard'],
  ])('maps %s', (os, staging, production, osType, generation, securityType) => {
    // Act
    const target = capzImageTarget(os);

    // Assert
    expect(target).toEqual({
      os,
      stagingDefinition: staging,
      productionDefinition: production,
      osType,
      hyperVGeneration: generation,
      securityType,
    });
  });

  it('replaces trademarks only as whole words', () => {
    expect(capzImageTarget('flatcar-ubuntuish-1').productionDefinition).toBe(
      'capi-flatcar-ubuntuish-1',
    );
  });

  it('produces names that follow the definition rule', () => {
    const target = capzImageTarget(repeat(75));
    expect(isValidName(imageDefinitionNameRule, target.stagingDefinition)).toBe(true);
  });

  it('rejects a malformed OS target, naming the input', () => {
    expect(() => capzImageTarget('Ubuntu 24.04', 'operating-systems')).toThrow(
      /^Invalid input 'operating-systems': 'Ubuntu 24.04'\. It is not words joined by -\./,
    );
  });
});
