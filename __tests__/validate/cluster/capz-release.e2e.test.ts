/**
 * Cluster mode gets CAPZ's templates as its users do, from a CAPZ release's assets (issue 16
 * item 2): here the stand-in serves templates this project wrote, at GitHub's download paths.
 */
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { existsSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { RecordingLogger } from '../../../src/common/logger.js';
import {
  capzReleaseTemplate,
  DEFAULT_CAPZ_RELEASE,
} from '../../../src/validate/cluster/capz-release.js';
import { LINUX_TEMPLATE, WINDOWS_TEMPLATE } from '../../fixtures/capz/templates.js';
import { startTestEmulator } from '../../helpers/emulator.js';
import type { TestEmulator } from '../../helpers/emulator.js';

const REPO = 'kubernetes-sigs/cluster-api-provider-azure';
let emu: TestEmulator;
let releasesUrl: string;

beforeAll(async () => {
  emu = await startTestEmulator();
  releasesUrl = `${emu.authorityHost}/${REPO}/releases/download`;
  const asset = (name: string, content: string, tag = DEFAULT_CAPZ_RELEASE) =>
    emu.admin('POST', '/github/assets', { repository: REPO, tag, name, content });
  await asset('cluster-template.yaml', LINUX_TEMPLATE);
  await asset('cluster-template-windows.yaml', WINDOWS_TEMPLATE);
  await asset('cluster-template.yaml', 'kind: ConfigMap\napiVersion: v1\n', 'v0.0.1');
});
afterAll(async () => {
  await emu.dispose();
});

describe('CAPZ release templates', () => {
  it('downloads the flavor of the image OS, checks it and caches it in the runner temp', async () => {
    const cacheDir = mkdtempSync(join(tmpdir(), 'capz-'));
    const logger = new RecordingLogger();
    const request = { release: DEFAULT_CAPZ_RELEASE, releasesUrl, cacheDir };
    const linux = await capzReleaseTemplate({ ...request, osType: 'Linux' }, { logger });
    expect(linux).toMatchObject({ text: LINUX_TEMPLATE, cached: false });
    expect(linux.shown).toBe(`cluster-template.yaml of CAPZ ${DEFAULT_CAPZ_RELEASE}`);
    expect(
      existsSync(join(cacheDir, 'capz-templates', DEFAULT_CAPZ_RELEASE, 'cluster-template.yaml')),
    ).toBe(true);
    const windows = await capzReleaseTemplate({ ...request, osType: 'Windows' }, { logger });
    expect(windows.text).toBe(WINDOWS_TEMPLATE);

    // Again: read from the cache, no download.
    const offline = await capzReleaseTemplate(
      { ...request, osType: 'Linux' },
      { logger, fetch: () => Promise.reject(new Error('no network')) },
    );
    expect(offline).toMatchObject({ text: LINUX_TEMPLATE, cached: true });
  });

  it('names capz-release when the release has no such asset', async () => {
    await expect(
      capzReleaseTemplate(
        {
          release: 'v9.9.9',
          releasesUrl,
          cacheDir: mkdtempSync(join(tmpdir(), 'capz-')),
          osType: 'Linux',
        },
        { logger: new RecordingLogger() },
      ),
    ).rejects.toThrow(/Invalid input 'capz-release': 'v9\.9\.9'/);
  });

  it('refuses a download that is no cluster template, and does not cache it', async () => {
    const cacheDir = mkdtempSync(join(tmpdir(), 'capz-'));
    await expect(
      capzReleaseTemplate(
        { release: 'v0.0.1', releasesUrl, cacheDir, osType: 'Linux' },
        { logger: new RecordingLogger() },
      ),
    ).rejects.toThrow(/is not a CAPZ cluster template: it has no Cluster, AzureCluster/);
    expect(existsSync(join(cacheDir, 'capz-templates', 'v0.0.1', 'cluster-template.yaml'))).toBe(
      false,
    );
  });
});

describe('the default release', () => {
  it('is a release tag CAPZ publishes templates for', () => {
    expect(DEFAULT_CAPZ_RELEASE).toMatch(/^v1\.\d+\.\d+$/);
  });
});
