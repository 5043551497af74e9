/**
 * CAPZ's cluster templates, fetched the way its users get them: from the assets of a CAPZ
 * release (its Makefile's release-templates copies `templates/cluster-template*` into the
 * release folder, and its release workflow uploads that folder: cluster-api-provider-azure
 * Makefile l. 710-712, .github/workflows/release.yaml l. 124). Nothing of CAPZ's is bundled.
 */
import { mkdir, readFile, rename, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { ConfigurationError, InputError } from '../../common/errors.js';
import type { Logger } from '../../common/logger.js';
import type { OsType } from '../../gallery/names.js';
import { parseManifest } from './template.js';

/** The CAPZ release whose templates cluster mode uses unless told otherwise. */
export const DEFAULT_CAPZ_RELEASE = 'v1.26.0';
/** Where GitHub serves release assets; the stand-in serves the same paths. */
export const DEFAULT_RELEASES_URL =
  'https://github.com/kubernetes-sigs/cluster-api-provider-azure/releases/download';

/** The flavor a validation of an image of this OS type uses. */
export const FLAVOR_FILES: Readonly<Record<OsType, string>> = {
  Linux: 'cluster-template.yaml',
  Windows: 'cluster-template-windows.yaml',
};

/** The kinds every CAPZ cluster template has; a download without them is not a template. */
const EXPECTED_KINDS = [
  'Cluster',
  'AzureCluster',
  'KubeadmControlPlane',
  'AzureMachineTemplate',
  'MachineDeployment',
];

export interface CapzTemplateRequest {
  /** `capz-release`: a release tag such as v1.26.0. */
  readonly release: string;
  readonly osType: OsType;
  /** `capz-releases-url`: the release download base (GitHub, or the stand-in). */
  readonly releasesUrl: string;
  /** Where downloads are kept (the runner's temp folder), so a re-run reads them from disk. */
  readonly cacheDir: string;
}

export interface CapzTemplate {
  readonly text: string;
  /** How errors and the summary name it. */
  readonly shown: string;
  readonly cached: boolean;
}

/**
 * The release's template for the OS type: from the cache, or downloaded, checked (YAML, the
 * kinds above) and then cached.
 * @throws ConfigurationError when the release has no such asset or it is no cluster template.
 */
export async function capzReleaseTemplate(
  request: CapzTemplateRequest,
  ctx: { logger: Logger; fetch?: typeof fetch },
): Promise<CapzTemplate> {
  const file = FLAVOR_FILES[request.osType];
  const url = `${request.releasesUrl.replace(/\/+$/, '')}/${encodeURIComponent(request.release)}/${file}`;
  const shown = `${file} of CAPZ ${request.release}`;
  const cached = join(request.cacheDir, 'capz-templates', request.release, file);
  try {
    const text = await readFile(cached, 'utf8');
    ctx.logger.info(`Using ${shown} downloaded earlier (${cached}).`);
    return { text, shown, cached: true };
  } catch {
    // not cached yet
  }
  ctx.logger.info(`Downloading ${shown} from ${url}.`);
  const res = await (ctx.fetch ?? fetch)(url, { redirect: 'follow' });
  if (res.status === 404) {
    throw new InputError(
      'capz-release',
      request.release,
      `${url} does not exist: expected a CAPZ release tag that has ${file} among its assets.`,
    );
  }
  if (!res.ok) throw new ConfigurationError(`Downloading ${url}: HTTP ${res.status}.`);
  const text = await res.text();
  checkTemplate(text, shown);
  await mkdir(join(request.cacheDir, 'capz-templates', request.release), { recursive: true });
  await writeFile(`${cached}.part`, text);
  await rename(`${cached}.part`, cached);
  return { text, shown, cached: false };
}

/** A CAPZ cluster template parses as YAML and has the kinds every flavor has. */
export function checkTemplate(text: string, shown: string): void {
  const kinds = new Set(parseManifest(text, 'capz-release', shown).map((o) => o.kind));
  const missing = EXPECTED_KINDS.filter((k) => !kinds.has(k));
  if (missing.length > 0) {
    throw new ConfigurationError(
      `${shown} is not a CAPZ cluster template: it has no ${missing.join(', ')}.`,
    );
  }
}
