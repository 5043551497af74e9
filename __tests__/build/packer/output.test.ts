import { describe, expect, it } from '@jest/globals';
import { readFileSync } from 'node:fs';
import { PackerOutput, parseMachineRecord, plainLine } from '../../../src/build/packer/output.js';
import { neutraliseCommands } from '../../../src/build/packer/run.js';

const fixture = (name: string) =>
  readFileSync(new URL(`../../fixtures/build/packer/${name}`, import.meta.url), 'utf8')
    .replace(/__SUB__/g, '00000000-0000-0000-0000-000000000000')
    .replace(/__RG__/g, 'cluster-api-gallery')
    .replace(/__GALLERY__/g, 'staging_gallery')
    .replace(/__DEF__/g, 'capi-ubuntu-2404')
    .replace(/__VERSION__/g, '1.31.2')
    .replace(/__LOCATION__/g, 'westus2')
    .replace(/__OS__/g, 'ubuntu-2404')
    .replace(/__OSTYPE__/g, 'Linux')
    .replace(/__DEB__/g, '1.31.2-1.1');

function read(text: string): { output: PackerOutput; shown: string[] } {
  const output = new PackerOutput();
  const shown: string[] = [];
  for (const line of text.split('\n')) {
    const s = output.feed(line);
    if (s !== undefined) shown.push(s);
  }
  return { output, shown };
}

const SUB = '/subscriptions/00000000-0000-0000-0000-000000000000';

describe('PackerOutput, human form (image-builder make)', () => {
  it('reads the artifact lines Packer prints at the end', () => {
    const { output } = read(fixture('image-builder-success.txt'));
    expect(output.artifact()).toEqual({
      osType: 'Linux',
      managedImageResourceGroup: 'cluster-api-gallery',
      managedImageName: 'capi-ubuntu-2404-1763716000',
      managedImageId: `${SUB}/resourceGroups/cluster-api-gallery/providers/Microsoft.Compute/images/capi-ubuntu-2404-1763716000`,
      managedImageLocation: 'westus2',
      galleryImageVersionId: `${SUB}/resourceGroups/cluster-api-gallery/providers/Microsoft.Compute/galleries/staging_gallery/images/capi-ubuntu-2404/versions/1.31.2`,
      galleryResourceGroup: 'cluster-api-gallery',
      galleryName: 'staging_gallery',
      galleryImageName: 'capi-ubuntu-2404',
      galleryImageVersion: '1.31.2',
      replicatedRegions: 'westus2',
    });
    expect(output.lastError()).toBeUndefined();
  });

  it('takes the error Packer ended with, not the lines before it', () => {
    const { output } = read(fixture('image-builder-failure.txt'));
    expect(output.lastError()).toBe('Error executing Ansible: Non-zero exit status: exit status 2');
    expect(output.artifact()).toEqual({});
  });

  it('reads coloured and timestamped lines', () => {
    expect(
      plainLine('2026-11-21T10:00:00Z: \u001b[1;32m==> sig: Running builder ...\u001b[0m'),
    ).toBe('==> sig: Running builder ...');
    const { output } = read('\u001b[0;32mManagedImageId: /subscriptions/x/images/y\u001b[0m');
    expect(output.artifact().managedImageId).toBe('/subscriptions/x/images/y');
  });

  it('takes an HCL error when Packer stops before building', () => {
    const { output } = read(
      [
        'Error: Unsupported argument',
        '',
        '  on node.pkr.hcl line 12:',
        '  12:   vm_sise = "x"',
      ].join('\n'),
    );
    expect(output.lastError()).toBe('Unsupported argument');
  });
});

describe('PackerOutput, machine-readable form', () => {
  it('parses records with escaped commas and line breaks', () => {
    expect(
      parseMachineRecord('1763716003,custom,artifact,0,string,a%!(PACKER_COMMA) b\\nc'),
    ).toEqual({
      timestamp: 1763716003,
      target: 'custom',
      type: 'artifact',
      data: ['0', 'string', 'a, b\nc'],
    });
    expect(parseMachineRecord('==> sig: not a record')).toBeUndefined();
  });

  it('reads the artifact from the artifact records and shows the ui lines as text', () => {
    const { output, shown } = read(fixture('machine-success.txt'));
    expect(output.artifact()).toMatchObject({
      osType: 'Linux',
      managedImageId: `${SUB}/resourceGroups/cluster-api-gallery/providers/Microsoft.Compute/images/custom-node-1763716000`,
      galleryImageVersionId: `${SUB}/resourceGroups/cluster-api-gallery/providers/Microsoft.Compute/galleries/custom_gallery/images/custom-node/versions/2.1.0`,
      galleryImageName: 'custom-node',
      galleryImageVersion: '2.1.0',
      replicatedRegions: 'westus2, eastus',
    });
    expect(output.ids()).toEqual([
      `${SUB}/resourceGroups/cluster-api-gallery/providers/Microsoft.Compute/images/custom-node-1763716000`,
    ]);
    expect(shown).toContain('==> custom-ubuntu: Running builder ...');
    expect(shown.join('\n')).not.toMatch(/^\d{10},/m);
  });

  it('takes the error record as the last error', () => {
    const { output } = read(fixture('machine-failure.txt'));
    expect(output.lastError()).toBe(
      'QuotaExceeded: Operation could not be completed as it results in exceeding approved standardDSv5Family Cores quota., Current Limit: 10',
    );
  });
});

describe('neutraliseCommands', () => {
  it('keeps a tool from issuing workflow commands', () => {
    expect(neutraliseCommands('::set-output name=x::y')).toBe(': :set-output name=x::y');
    expect(neutraliseCommands('==> ok :: fine')).toBe('==> ok :: fine');
  });
});
