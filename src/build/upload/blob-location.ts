/**
 * Where a VHD goes: `blob-container-url` split into storage account and container, and the
 * storage account's resource ID, which the gallery needs next to the blob URL.
 *
 * Real accounts use host-style URLs, `https://<account>.blob.core.windows.net/<container>`
 * (other clouds change the suffix). Azurite, and so the local stand-in, uses path-style URLs,
 * `https://127.0.0.1:<port>/<account>/<container>`; an IP address or `localhost` as host means
 * path style. A URL cannot tell the account's subscription and resource group: those come from
 * `storage-account-id`, or from `subscription-id` and `resource-group`.
 */
import { InputError } from '../../common/errors.js';
import {
  formatStorageAccountId,
  parseStorageAccountId,
  RESOURCE_ID_FORMS,
} from '../../gallery/identifiers.js';
import { isValidName, storageAccountNameRule } from '../../gallery/names.js';

export interface BlobContainerLocation {
  /** The URL as normalised by the input parser (https, no query, no trailing slash). */
  readonly url: string;
  readonly account: string;
  readonly container: string;
  /** Path-style (Azurite) rather than host-style (Azure). */
  readonly pathStyle: boolean;
}

/** Azure's rules for container names: 3-63 of a-z, 0-9 and single dashes, alphanumeric ends. */
const CONTAINER_NAME = /^(?=.{3,63}$)[a-z0-9]+(-[a-z0-9]+)*$/;

const FORM =
  'Expected https://<account>.blob.core.windows.net/<container> (or, for Azurite, ' +
  'https://127.0.0.1:<port>/<account>/<container>), without a SAS token: the upload signs in ' +
  'with the Entra credential.';

/**
 * Splits an https container URL (already checked by `parseHttpsUrl`).
 * @throws InputError naming `input` when the URL names no single container.
 */
export function parseBlobContainerUrl(input: string, url: string): BlobContainerLocation {
  const parsed = new URL(url);
  const host = parsed.hostname.toLowerCase();
  const segments = parsed.pathname.split('/').filter((s) => s !== '');
  const pathStyle = host === 'localhost' || /^[\d.]+$/.test(host) || host.startsWith('[');
  const [account, container, ...rest] = pathStyle
    ? segments
    : [host.split('.')[0] ?? '', ...segments];
  if (!account || !container || rest.length > 0) {
    throw new InputError(input, url, `It does not name one container. ${FORM}`);
  }
  if (!isValidName(storageAccountNameRule, account)) {
    throw new InputError(input, url, `'${account}' is not a storage account name. ${FORM}`);
  }
  if (!CONTAINER_NAME.test(container) && container !== '$root') {
    throw new InputError(
      input,
      url,
      `'${container}' is not a container name (3-63 lower-case letters, digits and single dashes).`,
    );
  }
  return { url, account, container, pathStyle };
}

/** The URL of blob `name` in the container, each path segment escaped. */
export function blobUrl(location: BlobContainerLocation, name: string): string {
  return `${location.url}/${name.split('/').map(encodeURIComponent).join('/')}`;
}

/** Azure's rules for blob names that we keep to: 1-1024 characters, no `\`, no trailing dot. */
export function checkBlobName(input: string, name: string): string {
  const control = [...name].some((c) => c.charCodeAt(0) < 0x20);
  if (name.length > 1024 || control || /\\|(^|\/)\.{1,2}(\/|$)/.test(name) || /[./]$/.test(name)) {
    throw new InputError(
      input,
      name,
      'Expected a blob name of at most 1024 characters, such as capi-ubuntu-2404-1.31.2.vhd.',
    );
  }
  return name;
}

/**
 * The storage account's resource ID: `storage-account-id` when given (its account must be the
 * URL's), otherwise built from the subscription, `resource-group` and the URL's account.
 */
export function storageAccountIdFor(
  location: BlobContainerLocation,
  given: { id?: string; subscriptionId: string; resourceGroup?: string },
  inputs: { id: string; container: string; resourceGroup: string },
): string {
  if (given.id !== undefined) {
    const parsed = parseStorageAccountId(given.id);
    if (!parsed) {
      throw new InputError(inputs.id, given.id, `Expected ${RESOURCE_ID_FORMS.storageAccount}.`);
    }
    if (parsed.storageAccount.toLowerCase() !== location.account) {
      throw new InputError(
        inputs.id,
        given.id,
        `It names storage account '${parsed.storageAccount}', but ${inputs.container} is in '${location.account}'.`,
      );
    }
    return given.id;
  }
  if (given.resourceGroup === undefined) {
    throw new InputError(
      inputs.id,
      '',
      `Required unless ${inputs.resourceGroup} names the resource group of storage account ` +
        `'${location.account}': the gallery reads the VHD through the account's resource ID.`,
    );
  }
  return formatStorageAccountId({
    subscriptionId: given.subscriptionId,
    resourceGroup: given.resourceGroup,
    storageAccount: location.account,
  });
}
