/**
 * builder: stemcell with the real tar and qemu-img: stemcell.MF read, root.vhd taken from the
 * image and checked, names as the BOSH Azure CPI gives them; bad stemcells refused naming
 * source-disk; and one uploaded to Azurite through build-image's own build step.
 */
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { BlobClient } from '@azure/storage-blob';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { buildImage } from '../../../src/build/builders/build.js';
import { getInputs } from '../../../src/actions/build-image/inputs.js';
import { azurePageBlobTarget } from '../../../src/build/upload/page-blob.js';
import { resolveSource } from '../../../src/build/source.js';
import {
  extractStemcell,
  padStemcellVersion,
  parseStemcellManifest,
  stemcellImage,
} from '../../../src/build/vhd/stemcell.js';
import { InputError } from '../../../src/common/errors.js';
import { RecordingLogger } from '../../../src/common/logger.js';
import { recordInputReader } from '../../../src/common/inputs.js';
import { seedStorage, startTestEmulator, SUBSCRIPTION } from '../../helpers/emulator.js';
import type { TestEmulator } from '../../helpers/emulator.js';
import { hasQemuImg, MiB } from '../disks.js';
import { makeStemcell, STEMCELL_MF } from '../stemcells.js';

let work: string;
beforeAll(() => {
  work = mkdtempSync(join(tmpdir(), 'cga-stemcell-'));
});
afterAll(() => rmSync(work, { recursive: true, force: true }));

const LOCATION = 'bosh-stemcell-1.83-azure-hyperv-ubuntu-jammy-go_agent.tgz';

describe('stemcell names', () => {
  const manifest = parseStemcellManifest(STEMCELL_MF, LOCATION);

  it('reads stemcell.MF', () => {
    expect(manifest).toMatchObject({
      name: 'bosh-azure-hyperv-ubuntu-jammy-go_agent',
      version: '1.83',
      operatingSystem: 'ubuntu-jammy',
      cloudProperties: { infrastructure: 'azure', disk_format: 'vhd' },
    });
  });

  it('pads the version to x.y.z', () => {
    expect(['1.83', '621', '1.2.3', '01.5'].map(padStemcellVersion)).toEqual([
      '1.83.0',
      '621.0.0',
      '1.2.3',
      '1.5.0',
    ]);
    expect(['1.2.3.4', '1.83-rc.1', '3000000000'].map(padStemcellVersion)).toEqual([
      undefined,
      undefined,
      undefined,
    ]);
  });

  it('names the definition after the stemcell, with -gen2 for a gen2 stemcell', () => {
    expect(stemcellImage(manifest, LOCATION, {})).toEqual({
      definition: 'bosh-azure-hyperv-ubuntu-jammy-go_agent',
      version: '1.83.0',
      osType: 'Linux',
      hyperVGeneration: 'V1',
    });
    const gen2 = {
      ...manifest,
      cloudProperties: { ...manifest.cloudProperties, generation: 'gen2' },
    };
    expect(stemcellImage(gen2, LOCATION, {})).toMatchObject({
      definition: 'bosh-azure-hyperv-ubuntu-jammy-go_agent-gen2',
      hyperVGeneration: 'V2',
    });
    const windows = {
      ...manifest,
      operatingSystem: 'windows2019',
      cloudProperties: { os_type: 'windows' },
    };
    expect(stemcellImage(windows, LOCATION, {}).osType).toBe('Windows');
    expect(
      stemcellImage(manifest, LOCATION, { definition: 'jammy', version: '2.0.0' }),
    ).toMatchObject({
      definition: 'jammy',
      version: '2.0.0',
    });
  });

  it('asks for image-version when the stemcell version cannot be one', () => {
    expect(() => stemcellImage({ ...manifest, version: '1.83.1.2' }, LOCATION, {})).toThrow(
      /set image-version/,
    );
  });
});

describe('extractStemcell', () => {
  async function extract(name: string, options: Parameters<typeof makeStemcell>[2]) {
    const { tarball, raw } = await makeStemcell(work, name, options);
    const logger = new RecordingLogger();
    const source = await resolveSource(tarball, {
      input: 'source-disk',
      checksumInput: 'source-checksum',
      workDir: work,
      logger,
    });
    return {
      result: await extractStemcell(source, { workDir: join(work, `${name}-work`), logger }),
      raw,
    };
  }

  async function refusal(name: string, options: Parameters<typeof makeStemcell>[2]) {
    const error = await extract(name, options).then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(error).toBeInstanceOf(InputError);
    expect((error as InputError).input).toBe('source-disk');
    return (error as Error).message;
  }

  it('takes stemcell.MF and a fixed, aligned root.vhd out of the image', async () => {
    const { result, raw } = await extract('good', {});
    expect(result.manifest.name).toBe('bosh-azure-hyperv-ubuntu-jammy-go_agent');
    // A fixed VHD is its data, then a 512-byte footer.
    const vhd = readFileSync(result.vhdPath);
    expect(vhd.subarray(0, vhd.length - 512).equals(readFileSync(raw))).toBe(true);
  });

  it('refuses a light stemcell, which holds no VHD', async () => {
    expect(await refusal('light', { image: 'empty' })).toContain('light stemcell');
  });
  it('refuses a stemcell without an image', async () => {
    expect(await refusal('no-image', { image: 'none' })).toContain('holds no VHD');
  });
  it('refuses a tarball without stemcell.MF', async () => {
    expect(await refusal('no-mf', { manifest: null })).toContain('no stemcell.MF');
  });
  it('refuses a stemcell for another cloud', async () => {
    const manifest = STEMCELL_MF.replace('infrastructure: azure', 'infrastructure: aws').replace(
      'disk_format: vhd',
      'disk_format: raw',
    );
    expect(await refusal('aws', { manifest })).toContain("for 'aws' (disk format 'raw')");
  });
  // A dynamic VHD is made with qemu-img.
  (hasQemuImg ? it : it.skip)('refuses a root.vhd that is not fixed', async () => {
    expect(await refusal('dynamic', { image: 'dynamic' })).toMatch(
      /root\.vhd cannot be an Azure image: .*/,
    );
  });
  it('refuses a root.vhd that is a symlink', async () => {
    expect(await refusal('link', { image: 'symlink' })).toContain('not a regular file');
  });
  it('refuses a file that is not a tarball', async () => {
    const path = join(work, 'not.tgz');
    writeFileSync(path, 'hello');
    const source = await resolveSource(path, {
      input: 'source-disk',
      checksumInput: 'source-checksum',
      workDir: work,
      logger: new RecordingLogger(),
    });
    await expect(
      extractStemcell(source, { workDir: work, logger: new RecordingLogger() }),
    ).rejects.toThrow(/Invalid input 'source-disk'.*not a tar archive/);
  });
});

describe('builder: stemcell to Azurite', () => {
  let emu: TestEmulator;
  beforeAll(async () => {
    emu = await startTestEmulator();
    await seedStorage(emu, 'rg-stemcells', 'stemcellstore');
  });
  afterAll(async () => emu.dispose());

  it('uploads root.vhd as it is, named after the stemcell, version padded', async () => {
    const ranges = [
      { offset: 0, length: MiB },
      { offset: 6 * MiB, length: 512 * 1024 },
    ];
    const { tarball, vhd } = await makeStemcell(work, 'upload', { size: 16 * MiB, ranges });
    const settings = getInputs(
      recordInputReader({
        'subscription-id': SUBSCRIPTION,
        builder: 'stemcell',
        'source-disk': tarball,
        'blob-container-url': `${emu.blobEndpoint}/stemcellstore/stemcells`,
        'resource-group': 'rg-stemcells',
      }),
    );
    const logger = new RecordingLogger();
    const result = await buildImage(settings, {
      logger,
      workDir: join(work, 'build'),
      manifestDir: work,
      pageBlob: (url) => azurePageBlobTarget(url, emu.credential()),
      provenance: { repository: 'local/test' },
    });
    expect(result.image).toEqual({
      definition: 'bosh-azure-hyperv-ubuntu-jammy-go_agent',
      version: '1.83.0',
      osType: 'Linux',
      hyperVGeneration: 'V1',
    });
    expect(result.vhd).toMatchObject({
      uri: `${emu.blobEndpoint}/stemcellstore/stemcells/bosh-azure-hyperv-ubuntu-jammy-go_agent-1.83.0.vhd`,
      storageAccountId: `/subscriptions/${SUBSCRIPTION}/resourceGroups/rg-stemcells/providers/Microsoft.Storage/storageAccounts/stemcellstore`,
      bytesSent: MiB + 512 * 1024 + 512,
    });
    expect(result.manifest).toMatchObject({
      builder: 'stemcell',
      stemcell: {
        name: 'bosh-azure-hyperv-ubuntu-jammy-go_agent',
        version: '1.83',
        os: 'ubuntu-jammy',
      },
      source: { location: tarball, format: 'stemcell' },
    });
    const blob = new BlobClient(result.vhd!.uri, emu.credential());
    expect((await blob.getProperties()).metadata).toMatchObject({
      stemcellname: 'bosh-azure-hyperv-ubuntu-jammy-go_agent',
      stemcellversion: '1.83',
      sha256: result.vhd!.sha256,
    });
    const downloaded = join(work, 'stemcell-downloaded.vhd');
    await blob.downloadToFile(downloaded);
    expect(readFileSync(downloaded).equals(readFileSync(vhd))).toBe(true);
  });
});
