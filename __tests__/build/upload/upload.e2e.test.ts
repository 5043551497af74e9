/**
 * The disk import end to end with the real qemu-img and the stand-in's Azurite: a qcow2 with
 * data at known offsets becomes a fixed VHD page blob; the blob, downloaded and compared with
 * `qemu-img compare`, is the source; only the data crossed the wire; publish-to-gallery then
 * creates a version from it.
 */
import { afterAll, beforeAll, expect, it } from '@jest/globals';
import { BlobClient } from '@azure/storage-blob';
import { createHash } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { publish } from '../../../src/gallery/publish.js';
import { parseBlobContainerUrl } from '../../../src/build/upload/blob-location.js';
import { prepareFixedVhd } from '../../../src/build/vhd/disk.js';
import { azurePageBlobTarget, type PageBlobTarget } from '../../../src/build/upload/page-blob.js';
import { QemuImg } from '../../../src/build/vhd/qemu-img.js';
import { resolveSource } from '../../../src/build/source.js';
import { UPLOAD_METADATA } from '../../../src/build/upload/upload.js';
import { checkFixedVhd } from '../../../src/build/vhd/vhd.js';
import { uploadVhdFile } from '../../../src/build/upload/vhd-upload.js';
import { RecordingLogger } from '../../../src/common/logger.js';
import { seedStorage, startTestEmulator } from '../../helpers/emulator.js';
import type { TestEmulator } from '../../helpers/emulator.js';
import { publishContext, settingsFor } from '../../helpers/publish.js';
import { dataBytes, describeWithQemuImg, makeDisk, MiB } from '../disks.js';

let emu: TestEmulator;
let work: string;
let storageAccountId: string;
const qemu = new QemuImg();

beforeAll(async () => {
  emu = await startTestEmulator();
  storageAccountId = await seedStorage(emu, 'rg-publish', 'buildstore');
  work = mkdtempSync(join(tmpdir(), 'cga-upload-'));
});
afterAll(async () => {
  await emu.dispose();
  rmSync(work, { recursive: true, force: true });
});

/** Data at known offsets: the first block, a run across a 4 MiB page boundary, the last MiB. */
const RANGES = [
  { offset: 0, length: 64 * 1024 },
  { offset: 5 * MiB + 4096, length: 300 * 1024 },
  { offset: 11 * MiB + 512 * 1024, length: MiB },
  { offset: 40 * MiB - 8192, length: 4 * MiB + 16384 },
  { offset: 63 * MiB, length: MiB },
];

async function importDisk(
  path: string,
  name: string,
  logger = new RecordingLogger(),
  wrap: (target: PageBlobTarget) => PageBlobTarget = (t) => t,
) {
  const source = await resolveSource(path, {
    input: 'source-disk',
    checksumInput: 'source-checksum',
    workDir: work,
    logger,
  });
  const vhd = await prepareFixedVhd(source, { workDir: work, name, logger, input: 'source-disk' });
  const container = parseBlobContainerUrl(
    'blob-container-url',
    `${emu.blobEndpoint}/buildstore/vhds`,
  );
  const uploaded = await uploadVhdFile(
    vhd.path,
    { container, blobName: `${name}.vhd`, storageAccountId, concurrency: 4 },
    { kubernetesversion: 'v1.31.2' },
    {
      target: (url) => wrap(azurePageBlobTarget(url, emu.credential())),
      logger,
      progressIntervalMs: 0,
      retry: { attempts: 1 },
    },
  );
  return { vhd, uploaded, logger };
}

describeWithQemuImg('builder: disk with the real qemu-img')(
  'builder: disk with the real qemu-img and Azurite',
  () => {
    it('imports a qcow2 as a fixed VHD page blob that reads back as the source, sending only the data', async () => {
      const qcow2 = await makeDisk(join(work, 'node.qcow2'), 'qcow2', 64 * MiB, RANGES);
      const { vhd, uploaded, logger } = await importDisk(qcow2, 'capi-ubuntu-2404-1.31.2');

      expect(vhd).toMatchObject({ sourceFormat: 'qcow2', virtualSize: 64 * MiB, converted: true });
      // Only the data crossed the wire: the source's data and the VHD footer, not 64 MiB.
      expect(uploaded.upload.bytesSent).toBe(dataBytes(RANGES) + 512);
      expect(uploaded.upload.size).toBe(64 * MiB + 512);
      expect(logger.messages('info').some((m) => /^Upload: .* MiB\/s, ETA /.test(m))).toBe(true);

      const blob = new BlobClient(uploaded.vhdUri, emu.credential());
      const props = await blob.getProperties();
      expect(props.blobType).toBe('PageBlob');
      expect(props.contentLength).toBe(64 * MiB + 512);
      expect(props.metadata).toMatchObject({
        [UPLOAD_METADATA.state]: 'complete',
        [UPLOAD_METADATA.sha256]: uploaded.upload.sha256,
        kubernetesversion: 'v1.31.2',
      });

      const downloaded = join(work, 'downloaded.vhd');
      await blob.downloadToFile(downloaded);
      const footer = await checkFixedVhd(downloaded);
      expect(footer.problem).toBeUndefined();
      expect(footer.footer).toMatchObject({
        cookie: 'conectix',
        diskType: 2,
        currentSize: 64 * MiB,
      });
      expect(await qemu.compare(downloaded, 'vpc', qcow2, 'qcow2')).toBe(true);
      // The SHA-256 computed on the way is that of the whole VHD, zeros included.
      expect(createHash('sha256').update(readFileSync(downloaded)).digest('hex')).toBe(
        uploaded.upload.sha256,
      );
    });

    it('hands publish-to-gallery a blob it creates a version from, with the SHA-256 as digest', async () => {
      const qcow2 = await makeDisk(join(work, 'pub.qcow2'), 'qcow2', 32 * MiB, RANGES.slice(0, 3));
      const { uploaded } = await importDisk(qcow2, 'capi-ubuntu-2404-1.31.3');
      const settings = settingsFor(emu, {
        'kubernetes-version': 'v1.31.3',
        source: uploaded.vhdUri,
        'source-storage-account-id': uploaded.storageAccountId,
      });
      const result = await publish(settings, publishContext(emu, settings));
      expect(result.version).toMatchObject({
        action: 'created',
        digest: `sha256:${uploaded.upload.sha256}`,
      });
      expect(result.version.id).toMatch(/\/images\/capi-ubuntu-2404\/versions\/1\.31\.3$/);
      expect(uploaded.storageAccountId).toBe(storageAccountId);
    });

    it('finds the partial blob a run that died mid-upload left in Azurite, and uploads it again', async () => {
      const qcow2 = await makeDisk(join(work, 'cut.qcow2'), 'qcow2', 64 * MiB, RANGES);
      // The first run dies after two page writes, as a cancelled job would.
      let writes = 0;
      const dying = (target: PageBlobTarget): PageBlobTarget => ({
        ...target,
        uploadPages: async (data, offset) => {
          if (++writes > 2)
            throw Object.assign(new Error('the runner was shut down'), { statusCode: 400 });
          await target.uploadPages(data, offset);
        },
      });
      await expect(
        importDisk(qcow2, 'capi-ubuntu-2404-1.31.4', new RecordingLogger(), dying),
      ).rejects.toThrow(/the runner was shut down/);
      const url = `${emu.blobEndpoint}/buildstore/vhds/capi-ubuntu-2404-1.31.4.vhd`;
      const left = await new BlobClient(url, emu.credential()).getProperties();
      expect(left.metadata?.[UPLOAD_METADATA.state]).toBe('uploading');
      expect(left.metadata?.[UPLOAD_METADATA.sha256]).toBeUndefined();

      const logger = new RecordingLogger();
      const { uploaded } = await importDisk(qcow2, 'capi-ubuntu-2404-1.31.4', logger);
      expect(uploaded.upload.replacedPartial).toBe(true);
      expect(logger.messages('warning').join('\n')).toMatch(
        /is a partial upload \(state 'uploading', started .*\), left by a run that stopped; uploading it again\./,
      );
      const downloaded = join(work, 'cut-downloaded.vhd');
      await new BlobClient(url, emu.credential()).downloadToFile(downloaded);
      expect(await qemu.compare(downloaded, 'vpc', qcow2, 'qcow2')).toBe(true);
    });
  },
);
