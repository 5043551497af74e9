import { describe, expect, it } from '@jest/globals';
import { ConfigurationError } from '../../src/common/errors.js';
import { RecordingLogger } from '../../src/common/logger.js';
import {
  fetchSupportCalendar,
  type FetchLike,
  RELEASE_DATA_URLS,
  releaseDataUrls,
} from '../../src/kubernetes/fetch-support.js';
import { startTestEmulator } from '../helpers/emulator.js';
import { endOfLifeYaml, scheduleYaml, SNAPSHOT_DAY } from './release-fixtures.js';

/** Serves the fixtures by URL; any other URL answers 404. */
function fixtureFetch(requested: string[]): FetchLike {
  const files: Record<string, string> = {
    [RELEASE_DATA_URLS.schedule]: scheduleYaml,
    [RELEASE_DATA_URLS.endOfLife]: endOfLifeYaml,
  };
  return async (url) => {
    requested.push(url);
    const body = files[url];
    return { ok: body !== undefined, status: body ? 200 : 404, text: async () => body ?? '' };
  };
}

/** Never answers; rejects only when the caller's signal aborts, as the real fetch does. */
const hangingFetch: FetchLike = (_url, { signal }) =>
  new Promise((_resolve, reject) => {
    signal.addEventListener('abort', () => reject(signal.reason));
  });

describe('fetchSupportCalendar', () => {
  it('loads both files from kubernetes/website', async () => {
    // Arrange
    const logger = new RecordingLogger();
    const requested: string[] = [];

    // Act
    const calendar = await fetchSupportCalendar({ logger, fetch: fixtureFetch(requested) });

    // Assert
    expect(requested.sort()).toEqual([
      'https://raw.githubusercontent.com/kubernetes/website/main/data/releases/eol.yaml',
      'https://raw.githubusercontent.com/kubernetes/website/main/data/releases/schedule.yaml',
    ]);
    expect(calendar.supportedMinors(SNAPSHOT_DAY)).toEqual(['1.31', '1.30', '1.29', '1.28']);
    expect(logger.messages('warning')).toEqual([]);
    expect(logger.messages('info')[0]).toMatch(/^Loaded the Kubernetes release calendar/);
  });

  it('warns and falls back when a file is missing', async () => {
    // Arrange
    const logger = new RecordingLogger();
    const urls = { ...RELEASE_DATA_URLS, endOfLife: 'https://example.invalid/eol.yaml' };

    // Act
    const calendar = await fetchSupportCalendar({ logger, fetch: fixtureFetch([]), urls });

    // Assert
    expect(calendar.minors).toEqual([]);
    expect(calendar.endOfLifeFor('1.31', '2024-08-13')?.source).toBe('release date + 14 months');
    expect(logger.messages('warning')).toEqual([
      'Could not load the Kubernetes release calendar (https://example.invalid/eol.yaml ' +
        'answered HTTP 404); end-of-life dates fall back to the release date + 14 months.',
    ]);
  });

  it('gives up after the timeout', async () => {
    // Arrange
    const logger = new RecordingLogger();

    // Act
    const calendar = await fetchSupportCalendar({ logger, fetch: hangingFetch, timeoutMs: 20 });

    // Assert
    expect(calendar.minors).toEqual([]);
    expect(logger.messages('warning')[0]).toMatch(/\(timed out\); end-of-life dates fall back/);
  });

  it('falls back when the network fails', async () => {
    // Arrange
    const logger = new RecordingLogger();
    const failing: FetchLike = async () => {
      throw new TypeError('fetch failed');
    };

    // Act
    const calendar = await fetchSupportCalendar({ logger, fetch: failing });

    // Assert
    expect(calendar.minors).toEqual([]);
    expect(logger.messages('warning')[0]).toMatch(/\(fetch failed\)/);
  });

  it('falls back when a file does not parse', async () => {
    // Arrange
    const logger = new RecordingLogger();
    const garbage: FetchLike = async () => ({ ok: true, status: 200, text: async () => '<html>' });

    // Act
    const calendar = await fetchSupportCalendar({ logger, fetch: garbage });

    // Assert
    expect(calendar.minors).toEqual([]);
    expect(logger.messages('warning')[0]).toMatch(/has no 'schedules' list/);
  });
});

describe('KUBERNETES_RELEASE_DATA_URL', () => {
  it('is kubernetes/website when unset, and else the folder it names', () => {
    expect(releaseDataUrls({})).toEqual(RELEASE_DATA_URLS);
    expect(releaseDataUrls({ KUBERNETES_RELEASE_DATA_URL: ' ' })).toEqual(RELEASE_DATA_URLS);
    expect(
      releaseDataUrls({ KUBERNETES_RELEASE_DATA_URL: 'https://mirror.example/k8s/releases/' }),
    ).toEqual({
      schedule: 'https://mirror.example/k8s/releases/schedule.yaml',
      endOfLife: 'https://mirror.example/k8s/releases/eol.yaml',
    });
  });

  it.each([
    'http://mirror.example/releases',
    'https://user:secret@mirror.example/releases',
    'https://mirror.example/releases?token=x',
    'not a url',
  ])('refuses %s, naming the variable', (value) => {
    const read = (): unknown => releaseDataUrls({ KUBERNETES_RELEASE_DATA_URL: value });
    expect(read).toThrow(ConfigurationError);
    expect(read).toThrow(/^KUBERNETES_RELEASE_DATA_URL: .*Expected the https:\/\/ URL of a folder/);
    expect(read).not.toThrow(/secret/);
  });

  it("loads the calendar from the stand-in's copy of kubernetes/website", async () => {
    // Arrange: the project's own release table, in kubernetes/website's files, on the stand-in.
    const emu = await startTestEmulator();
    try {
      await emu.admin('POST', '/github/repositories', {
        repository: 'kubernetes/website',
        files: {
          'data/releases/schedule.yaml': scheduleYaml,
          'data/releases/eol.yaml': endOfLifeYaml,
        },
      });
      const urls = releaseDataUrls({
        KUBERNETES_RELEASE_DATA_URL: `${emu.githubRawUrl}/kubernetes/website/main/data/releases`,
      });
      const logger = new RecordingLogger();

      // Act
      const calendar = await fetchSupportCalendar({ logger, urls });

      // Assert
      expect(calendar.supportedMinors(SNAPSHOT_DAY)).toEqual(['1.31', '1.30', '1.29', '1.28']);
      expect(calendar.endOfLifeFor('1.27')?.endOfLifeDate).toBe('2024-07-16');
      expect(logger.messages('warning')).toEqual([]);
    } finally {
      await emu.dispose();
    }
  });
});
