/**
 * The page blob the uploader writes, behind a small interface so the upload logic (extents,
 * zero skipping, retries, hashing, resume) is tested with fakes and run against Azure or Azurite
 * with the same code. The Azure implementation signs in with the Entra credential: no account
 * key, no SAS, and the container is created private.
 */
import type { AccessToken, GetTokenOptions, TokenCredential } from '@azure/core-auth';
import { ContainerClient, PageBlobClient, RestError } from '@azure/storage-blob';
import { ConfigurationError } from '../../common/errors.js';

/** What the uploader needs to know of an existing blob. */
export interface PageBlobState {
  readonly size: number;
  readonly blobType: string;
  readonly metadata: Readonly<Record<string, string>>;
}

export interface PageBlobTarget {
  readonly url: string;
  /** The blob's state, or undefined when there is no blob. */
  getState(): Promise<PageBlobState | undefined>;
  /** Creates (or replaces) an empty page blob of `size` bytes, a multiple of 512. */
  create(size: number, metadata: Record<string, string>): Promise<void>;
  /** Writes `data` (a multiple of 512 bytes, at most 4 MiB) at `offset` (a multiple of 512). */
  uploadPages(data: Buffer, offset: number): Promise<void>;
  /** Replaces all of the blob's metadata. */
  setMetadata(metadata: Record<string, string>): Promise<void>;
  /**
   * Starts signing in for the first request now, without sending anything to the blob, so the
   * sign-in overlaps local work (reading the image's tables). Never fails: a failed sign-in is
   * met again, and reported, by the first request.
   */
  signIn?(): void;
}

/** The scope @azure/storage-blob asks tokens for (its Pipeline.js, `StorageOAuthScopes`). */
const STORAGE_SCOPE = 'https://storage.azure.com/.default';

/**
 * `credential`, whose first token for Storage may be asked for early (`prefetch`): the first
 * request then takes the token already on its way instead of asking again. Later requests, and
 * the first one if the early sign-in failed, ask `credential` as usual.
 */
export function prefetchingCredential(credential: TokenCredential): {
  credential: TokenCredential;
  prefetch(): void;
} {
  let early: Promise<AccessToken | null> | undefined;
  let used = false;
  return {
    prefetch() {
      if (early || used) return;
      early = credential.getToken(STORAGE_SCOPE).catch(() => null);
    },
    credential: {
      async getToken(scopes: string | string[], options?: GetTokenOptions) {
        const first = early;
        early = undefined;
        used = true;
        const sameScope = [scopes].flat().join(' ') === STORAGE_SCOPE;
        const token = first && sameScope && !options?.claims ? await first : null;
        return token ?? credential.getToken(scopes, options);
      },
    },
  };
}

export interface AzurePageBlobOptions {
  /** Per-request timeout; a 4 MiB page over a slow link still fits in 2 minutes. */
  readonly tryTimeoutMs?: number;
  readonly userAgent?: string;
}

/**
 * A page blob in Azure Storage (or Azurite) reached with `credential`. The SDK's own retries are
 * off: the uploader retries each page itself, with backoff it controls and tests can see.
 */
export function azurePageBlobTarget(
  url: string,
  credential: TokenCredential,
  options: AzurePageBlobOptions = {},
): PageBlobTarget {
  const pipelineOptions = {
    retryOptions: { maxTries: 1, tryTimeoutInMs: options.tryTimeoutMs ?? 120_000 },
    userAgentOptions: { userAgentPrefix: options.userAgent ?? 'compute-gallery-actions' },
  };
  const signIn = prefetchingCredential(credential);
  const blob = new PageBlobClient(url, signIn.credential, pipelineOptions);
  return {
    url,
    signIn: signIn.prefetch,
    async getState() {
      try {
        const props = await blob.getProperties();
        return {
          size: props.contentLength ?? 0,
          blobType: props.blobType ?? 'unknown',
          metadata: props.metadata ?? {},
        };
      } catch (err) {
        if (err instanceof RestError && err.statusCode === 404) return undefined;
        throw explain(err, 'read the properties of', url);
      }
    },
    async create(size, metadata) {
      try {
        await blob.create(size, { metadata });
      } catch (err) {
        if (!(err instanceof RestError) || err.code !== 'ContainerNotFound') {
          throw explain(err, 'create', url);
        }
        await createContainer(containerOf(url), credential, pipelineOptions);
        await blob.create(size, { metadata }).catch((e: unknown) => {
          throw explain(e, 'create', url);
        });
      }
    },
    async uploadPages(data, offset) {
      await blob.uploadPages(data, offset, data.length);
    },
    async setMetadata(metadata) {
      try {
        await blob.setMetadata(metadata);
      } catch (err) {
        throw explain(err, 'set the metadata of', url);
      }
    },
  };
}

/** The container URL of a blob URL: everything before the blob name. */
function containerOf(blobUrl: string): string {
  const url = new URL(blobUrl);
  const segments = url.pathname.split('/');
  const pathStyle = /^[\d.]+$|^localhost$|^\[/.test(url.hostname);
  const keep = pathStyle ? 3 : 2;
  return `${url.origin}${segments.slice(0, keep).join('/')}`;
}

async function createContainer(
  url: string,
  credential: TokenCredential,
  pipelineOptions: object,
): Promise<void> {
  try {
    // No `access` option: the container stays private; Azure reads the VHD with the account ID.
    await new ContainerClient(url, credential, pipelineOptions).createIfNotExists();
  } catch (err) {
    throw explain(err, 'create the container', url);
  }
}

/** Permission problems are the user's to fix; say which role is missing. */
export function explain(err: unknown, action: string, url: string): Error {
  if (err instanceof RestError && err.statusCode === 403) {
    return new ConfigurationError(
      `Not allowed to ${action} ${url} (${err.code ?? 'HTTP 403'}). The signed-in identity needs ` +
        "the 'Storage Blob Data Contributor' role on the storage account or container; account " +
        'keys and SAS tokens are not used.',
    );
  }
  const status =
    err instanceof RestError ? ` (HTTP ${err.statusCode ?? '-'} ${err.code ?? ''})` : '';
  return new Error(`Could not ${action} ${url}${status}: ${(err as Error).message}`, {
    cause: err,
  });
}

/** Whether a failed request may succeed if sent again. */
export function isRetryable(err: unknown): boolean {
  const status = (err as { statusCode?: number }).statusCode;
  if (status === undefined) return true; // connection reset, timeout, DNS: transient
  return status === 408 || status === 429 || status >= 500;
}
