import { afterEach, describe, expect, it } from '@jest/globals';
import * as core from '@actions/core';
import { InputError } from '../../src/common/errors.js';
import {
  environmentInputReader,
  getAzureConnectionInputs,
  getBooleanInput,
  getDateInput,
  getEnumInput,
  getIntegerInput,
  getKeyValueInput,
  getListInput,
  getOptionalEnumInput,
  getOptionalInput,
  getRequiredInput,
  getTargetRegionsInput,
  parseHttpsUrl,
  recordInputReader,
} from '../../src/common/inputs.js';

const NOW = new Date('2024-10-01T23:30:00Z');
const SUBSCRIPTION = '00000000-0000-0000-0000-000000000000';

/** Asserts an InputError that names `input` and quotes `value`, and returns its message. */
function inputError(act: () => unknown, input: string, value: string): string {
  let caught: unknown;
  try {
    act();
  } catch (error) {
    caught = error;
  }
  expect(caught).toBeInstanceOf(InputError);
  const error = caught as InputError;
  expect(error.input).toBe(input);
  expect(error.message).toContain(`Invalid input '${input}': '${value}'.`);
  return error.message;
}

describe('environmentInputReader', () => {
  const names = ['subscription-id', 'my input', 'Target-Regions'];
  afterEach(() => {
    for (const name of names) delete process.env[`INPUT_${name.replace(/ /g, '_').toUpperCase()}`];
  });

  it('reads INPUT_<NAME> exactly as @actions/core does', () => {
    // Arrange
    process.env['INPUT_SUBSCRIPTION-ID'] = `  ${SUBSCRIPTION}\n`;
    process.env['INPUT_MY_INPUT'] = 'spaces become underscores';
    process.env['INPUT_TARGET-REGIONS'] = '   ';
    const read = environmentInputReader();

    // Act & Assert
    for (const name of names) {
      expect(getOptionalInput(read, name) ?? '').toBe(core.getInput(name));
    }
  });

  it('reads from the environment it is given', () => {
    const read = environmentInputReader({ 'INPUT_IF-EXISTS': 'fail' });
    expect(read('if-exists')).toBe('fail');
  });
});

describe('getOptionalInput and getRequiredInput', () => {
  const read = recordInputReader({ gallery: '  staging  ', blank: ' \n ' });

  it('trims, and never returns an empty string', () => {
    expect(getOptionalInput(read, 'gallery')).toBe('staging');
    expect(getOptionalInput(read, 'blank')).toBeUndefined();
    expect(getOptionalInput(read, 'missing')).toBeUndefined();
  });

  it('fails for a required input that is blank', () => {
    const message = inputError(() => getRequiredInput(read, 'blank'), 'blank', '');
    expect(message).toMatch(/This input is required\./);
  });

  it('does not read inherited properties of the record', () => {
    expect(getOptionalInput(read, 'toString')).toBeUndefined();
  });
});

describe('getBooleanInput', () => {
  it.each([
    ['true', true],
    ['True', true],
    ['FALSE', false],
  ])('reads %s', (text, expected) => {
    expect(getBooleanInput(recordInputReader({ flag: text }), 'flag', !expected)).toBe(expected);
  });

  it('uses the default when unset', () => {
    expect(getBooleanInput(recordInputReader({}), 'flag', true)).toBe(true);
  });

  it.each(['yes', '1', 'on'])('rejects %s', (text) => {
    const message = inputError(
      () => getBooleanInput(recordInputReader({ flag: text }), 'flag', false),
      'flag',
      text,
    );
    expect(message).toMatch(/Expected true or false\./);
  });
});

describe('enum inputs', () => {
  const allowed = ['skip', 'replace', 'fail'] as const;

  it('matches case-insensitively and returns the canonical spelling', () => {
    const read = recordInputReader({ 'os-type': 'linux' });
    expect(getEnumInput(read, 'os-type', ['Linux', 'Windows'], 'Windows')).toBe('Linux');
  });

  it('falls back to the default or to undefined', () => {
    const read = recordInputReader({});
    expect(getEnumInput(read, 'if-exists', allowed, 'skip')).toBe('skip');
    expect(getOptionalEnumInput(read, 'if-exists', allowed)).toBeUndefined();
  });

  it('lists the allowed values', () => {
    const read = recordInputReader({ 'if-exists': 'overwrite' });
    const message = inputError(
      () => getEnumInput(read, 'if-exists', allowed, 'skip'),
      'if-exists',
      'overwrite',
    );
    expect(message).toMatch(/Expected one of: skip, replace, fail\./);
  });
});

describe('getIntegerInput', () => {
  const range = { min: 1, max: 100, defaultValue: 3 };

  it('reads whole numbers within the range', () => {
    expect(getIntegerInput(recordInputReader({ n: '100' }), 'n', range)).toBe(100);
    expect(getIntegerInput(recordInputReader({ n: '+1' }), 'n', range)).toBe(1);
    expect(getIntegerInput(recordInputReader({}), 'n', range)).toBe(3);
  });

  it.each(['0', '101', '3.0', '1e2', '0x10', 'three', '-1'])('rejects %s', (text) => {
    const message = inputError(
      () => getIntegerInput(recordInputReader({ n: text }), 'n', range),
      'n',
      text,
    );
    expect(message).toMatch(/Expected a whole number from 1 to 100\./);
  });
});

describe('getListInput', () => {
  it('splits on newlines, commas and spaces', () => {
    const read = recordInputReader({
      list: 'ubuntu-2404, ubuntu-2404-gen2\nwindows-2022-containerd  azurelinux-3,\n',
    });
    expect(getListInput(read, 'list')).toEqual([
      'ubuntu-2404',
      'ubuntu-2404-gen2',
      'windows-2022-containerd',
      'azurelinux-3',
    ]);
  });

  it('is empty when unset', () => {
    expect(getListInput(recordInputReader({}), 'list')).toEqual([]);
  });
});

describe('getKeyValueInput', () => {
  it('reads key=value lines, splitting at the first =', () => {
    // Arrange
    const read = recordInputReader({
      tags: 'owner = sig-cluster-lifecycle\r\n\nquery=a=b\nempty=\n  kubernetes-version=v1.31.2 ',
    });

    // Act
    const tags = getKeyValueInput(read, 'tags');

    // Assert
    expect(tags).toEqual({
      owner: 'sig-cluster-lifecycle',
      query: 'a=b',
      empty: '',
      'kubernetes-version': 'v1.31.2',
    });
  });

  it.each([
    ['a line without =', 'owner=me\nno-equals-sign', 'no-equals-sign', /Expected key=value/],
    ['an empty key', '=value', '=value', /Expected key=value/],
    ['a forbidden character', 'a/b=c', 'a/b=c', /without < > % & \\ \? \//],
    ['a duplicate ignoring case', 'Owner=a\nowner=b', 'owner=b', /given twice/],
    ['a value over 256 characters', `k=${'v'.repeat(257)}`, `k=${'v'.repeat(257)}`, /at most 256/],
  ])('rejects %s, quoting the line', (_case, text, line, expected) => {
    const message = inputError(
      () => getKeyValueInput(recordInputReader({ tags: text }), 'tags'),
      'tags',
      line,
    );
    expect(message).toMatch(expected);
  });

  it('rejects more than 50 tags', () => {
    const text = Array.from({ length: 51 }, (_, i) => `k${i}=v`).join('\n');
    const message = inputError(
      () => getKeyValueInput(recordInputReader({ tags: text }), 'tags'),
      'tags',
      text,
    );
    expect(message).toMatch(/at most 50 tags/);
  });
});

describe('getDateInput', () => {
  it('accepts today, in UTC, and later days', () => {
    expect(getDateInput(recordInputReader({ d: '2024-10-01' }), 'd', NOW)).toBe('2024-10-01');
    expect(getDateInput(recordInputReader({ d: '2025-06-28' }), 'd', NOW)).toBe('2025-06-28');
    expect(getDateInput(recordInputReader({}), 'd', NOW)).toBeUndefined();
  });

  it('rejects a day in the past', () => {
    const message = inputError(
      () => getDateInput(recordInputReader({ d: '2024-09-30' }), 'd', NOW),
      'd',
      '2024-09-30',
    );
    expect(message).toMatch(/today \(2024-10-01\) or later/);
  });

  it.each(['2024-13-01', '2025-02-29', '01/10/2025', '2025-10-01T00:00:00Z'])(
    'rejects %s',
    (text) => {
      const message = inputError(
        () => getDateInput(recordInputReader({ d: text }), 'd', NOW),
        'd',
        text,
      );
      expect(message).toMatch(/yyyy-mm-dd/);
    },
  );
});

describe('getTargetRegionsInput', () => {
  it('reads the three forms in any separator', () => {
    // Arrange
    const read = recordInputReader({
      'target-regions':
        'eastus\nWestEurope=3, southcentralus=2/standard_zrs westus2=1/PremiumV2_LRS',
    });

    // Act
    const regions = getTargetRegionsInput(read, 'target-regions');

    // Assert
    expect(regions).toEqual([
      { name: 'eastus' },
      { name: 'westeurope', replicas: 3 },
      { name: 'southcentralus', replicas: 2, storageAccountType: 'Standard_ZRS' },
      { name: 'westus2', replicas: 1, storageAccountType: 'PremiumV2_LRS' },
    ]);
  });

  it.each([
    ['eastus=0', /Replicas '0' is not a whole number from 1 to 100/],
    ['eastus=101', /Replicas '101'/],
    ['eastus=two', /Replicas 'two'/],
    ['eastus=3/Hot', /'Hot' is not a storage account type/],
    ['eastus=/Standard_LRS', /It is not a target region/],
    ['eastus=3/', /It is not a target region/],
    ['eastus=3=4', /It is not a target region/],
    ['east-us', /'east-us' is not a region name/],
  ])('rejects %s, quoting the entry', (entry, expected) => {
    const read = recordInputReader({ 'target-regions': `westeurope ${entry}` });
    const message = inputError(
      () => getTargetRegionsInput(read, 'target-regions'),
      'target-regions',
      entry,
    );
    expect(message).toMatch(expected);
    expect(message).toMatch(/Expected region, region=replicas or region=replicas\/storageType/);
  });

  it('rejects a region listed twice, whatever its case', () => {
    const read = recordInputReader({ 'target-regions': 'eastus=1 EastUS=2' });
    const message = inputError(
      () => getTargetRegionsInput(read, 'target-regions'),
      'target-regions',
      'EastUS=2',
    );
    expect(message).toMatch(/Region 'eastus' is listed twice/);
  });
});

describe('parseHttpsUrl', () => {
  it('accepts https URLs and drops the trailing slash', () => {
    expect(parseHttpsUrl('arm-endpoint', 'https://management.azure.com/')).toBe(
      'https://management.azure.com',
    );
    expect(parseHttpsUrl('arm-endpoint', 'https://127.0.0.1:8443')).toBe('https://127.0.0.1:8443');
  });

  it.each([
    'http://management.azure.com',
    'management.azure.com',
    'https://u:p@host',
    'https://host/?q=1',
  ])('rejects %s', (text) => {
    inputError(() => parseHttpsUrl('arm-endpoint', text), 'arm-endpoint', text);
  });
});

describe('getAzureConnectionInputs', () => {
  it('fills in the public cloud endpoints', () => {
    // Arrange
    const read = recordInputReader({ 'subscription-id': SUBSCRIPTION });

    // Act
    const azure = getAzureConnectionInputs(read);

    // Assert
    expect(azure).toEqual({
      subscriptionId: SUBSCRIPTION,
      armEndpoint: 'https://management.azure.com',
      authorityHost: 'https://login.microsoftonline.com',
    });
  });

  it('reads a tenant and client pair and other endpoints', () => {
    // Arrange
    const read = recordInputReader({
      'subscription-id': SUBSCRIPTION,
      'tenant-id': 'contoso.onmicrosoft.com',
      'client-id': '11111111-2222-3333-4444-555555555555',
      'arm-endpoint': 'https://management.usgovcloudapi.net/',
      'authority-host': 'https://login.microsoftonline.us',
    });

    // Act
    const azure = getAzureConnectionInputs(read);

    // Assert
    expect(azure).toEqual({
      subscriptionId: SUBSCRIPTION,
      tenantId: 'contoso.onmicrosoft.com',
      clientId: '11111111-2222-3333-4444-555555555555',
      armEndpoint: 'https://management.usgovcloudapi.net',
      authorityHost: 'https://login.microsoftonline.us',
    });
  });

  it.each([
    [{}, 'subscription-id', ''],
    [{ 'subscription-id': 'my-subscription' }, 'subscription-id', 'my-subscription'],
    [{ 'subscription-id': SUBSCRIPTION, 'client-id': SUBSCRIPTION }, 'tenant-id', ''],
    [{ 'subscription-id': SUBSCRIPTION, 'tenant-id': SUBSCRIPTION }, 'client-id', ''],
    [
      { 'subscription-id': SUBSCRIPTION, 'tenant-id': 'not a tenant', 'client-id': SUBSCRIPTION },
      'tenant-id',
      'not a tenant',
    ],
    [
      { 'subscription-id': SUBSCRIPTION, 'tenant-id': SUBSCRIPTION, 'client-id': 'my-app' },
      'client-id',
      'my-app',
    ],
  ])('rejects %j, naming %s', (inputs, input, value) => {
    inputError(() => getAzureConnectionInputs(recordInputReader(inputs)), input, value);
  });
});
