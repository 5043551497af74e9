/**
 * A stand-in image-builder checkout: a git repository with an images/capi/Makefile, the
 * hack/utils.sh line that pins ansible-core, and an annotated tag, so that `git describe
 * --dirty` (image-builder's IB_VERSION) answers as in a full clone. `shallow: true` leaves the
 * tag out, as a depth-1 clone of a branch has none.
 */
import { execFileSync } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

export const STANDIN_IB_TAG = 'v0.1.50';
/** What hack/utils.sh pins at image-builder ae63061 (l. 18). */
export const PINNED_ANSIBLE_CORE = '2.18.18';

export function makeImageBuilderCheckout(dir: string, options: { tagged?: boolean } = {}): string {
  const capi = join(dir, 'images', 'capi');
  mkdirSync(join(capi, 'hack'), { recursive: true });
  writeFileSync(join(capi, 'Makefile'), '# stand-in checkout\n');
  writeFileSync(
    join(capi, 'hack', 'utils.sh'),
    `# stand-in\n_version_ansible_core="${PINNED_ANSIBLE_CORE}"\n`,
  );
  const git = (...args: string[]) =>
    execFileSync('git', ['-C', dir, ...args], {
      encoding: 'utf8',
      env: {
        ...process.env,
        GIT_AUTHOR_NAME: 'test',
        GIT_AUTHOR_EMAIL: 'test@example.invalid',
        GIT_COMMITTER_NAME: 'test',
        GIT_COMMITTER_EMAIL: 'test@example.invalid',
      },
    }).trim();
  git('init', '-q');
  git('add', '.');
  git('commit', '-q', '-m', 'stand-in');
  if (options.tagged !== false) git('tag', '-a', STANDIN_IB_TAG, '-m', STANDIN_IB_TAG);
  return git('rev-parse', 'HEAD');
}
