/** dist/record-leg and dist/summarize-run as the runner runs them: what image.yml and images.yml did in bash + jq. */
import { describe, expect, it } from '@jest/globals';
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { runBundledAction } from '../../helpers/runner.js';

describe('dist/record-leg and dist/summarize-run', () => {
  it('write a leg’s record, then a summary of every record', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'records-'));
    const record = await runBundledAction('record-leg', {
      leg: JSON.stringify({
        'kubernetes-version': 'v1.37.2',
        os: 'ubuntu-2404',
        'image-version': '',
      }),
      jobs: JSON.stringify({
        build: { result: 'success', outputs: { 'image-version': '1.37.2' } },
        promote: {
          result: 'success',
          outputs: { 'community-image-id': '/CommunityGalleries/g/Images/d/Versions/1.37.2' },
        },
      }),
      directory: dir,
    });
    expect(record.code).toBe(0);
    expect(record.outputs.name).toBe('image-ubuntu-2404-v1.37.2');
    expect(JSON.parse(readFileSync(record.outputs.path!, 'utf8'))).toMatchObject({
      os: 'ubuntu-2404',
      'image-version': '1.37.2',
      results: { build: 'success', promote: 'success' },
    });

    const summary = await runBundledAction('summarize-run', { records: dir });
    expect(summary.code).toBe(0);
    expect(summary.summary).toContain(
      '| v1.37.2 | ubuntu-2404 | 1.37.2 | success |  |  | success | /CommunityGalleries/g/Images/d/Versions/1.37.2 |',
    );
  });

  it('refuses a leg that is not JSON, naming the input', async () => {
    const run = await runBundledAction('record-leg', {
      leg: 'nope',
      jobs: '{}',
      directory: tmpdir(),
    });
    expect(run.code).not.toBe(0);
    expect(run.stdout + run.stderr).toMatch(/Invalid input 'leg'/);
  });
});
