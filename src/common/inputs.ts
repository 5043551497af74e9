/**
 * Typed parsers for action inputs, shared by every action's `getInputs()`. They read through an
 * {@link InputReader} rather than `@actions/core`, so tests and the demo pass a plain record and
 * no module needs mocking. Every failure is an {@link InputError} that names the input, quotes
 * the value and says what is expected; nothing here talks to Azure.
 */
import { InputError } from './errors.js';
import {
  checkName,
  isGuid,
  isValidName,
  MAX_REPLICAS_PER_REGION,
  normalizeRegionName,
  regionNameRule,
  STORAGE_ACCOUNT_TYPES,
  subscriptionIdRule,
} from '../gallery/names.js';
import type { TargetRegion } from '../gallery/version-spec.js';
import { type IsoDate, parseIsoDate, toIsoDate } from '../kubernetes/dates.js';

/** Returns the raw text of input `name` (kebab-case, as in action.yml), or undefined. */
export type InputReader = (name: string) => string | undefined;

/**
 * Reads `INPUT_<NAME>` as `@actions/core` does (spaces become `_`, then upper case; dashes
 * stay), so the actions need no `@actions/core` import for their inputs.
 */
export function environmentInputReader(env: NodeJS.ProcessEnv = process.env): InputReader {
  return (name) => env[`INPUT_${name.replace(/ /g, '_').toUpperCase()}`];
}

/** Reads inputs from a record keyed by input name: for tests, the demo and CLIs. */
export function recordInputReader(inputs: Readonly<Record<string, string>>): InputReader {
  return (name) => (Object.hasOwn(inputs, name) ? inputs[name] : undefined);
}

/** The trimmed value, or `undefined` when the input is unset or blank; never `""`. */
export function getOptionalInput(read: InputReader, name: string): string | undefined {
  const value = read(name)?.trim();
  return value ? value : undefined;
}

export function getRequiredInput(read: InputReader, name: string): string {
  const value = getOptionalInput(read, name);
  if (value === undefined) throw new InputError(name, '', 'This input is required.');
  return value;
}

/** Parses the optional input `name` with `parse`, or returns `fallback` when it is unset. */
function withDefault<T>(read: InputReader, name: string, parse: (v: string) => T, fallback: T): T {
  const value = getOptionalInput(read, name);
  return value === undefined ? fallback : parse(value);
}

/** `true` or `false` in any letter case; `@actions/core` takes true, True and TRUE only. */
export function parseBoolean(name: string, value: string): boolean {
  const lower = value.toLowerCase();
  if (lower === 'true' || lower === 'false') return lower === 'true';
  throw new InputError(name, value, 'Expected true or false.');
}

export function getBooleanInput(read: InputReader, name: string, defaultValue: boolean): boolean {
  return withDefault(read, name, (v) => parseBoolean(name, v), defaultValue);
}

/** Matches case-insensitively and returns the canonical spelling from `allowed`. */
export function parseEnum<T extends string>(name: string, value: string, allowed: readonly T[]): T {
  const match = allowed.find((candidate) => candidate.toLowerCase() === value.toLowerCase());
  if (match === undefined) {
    throw new InputError(name, value, `Expected one of: ${allowed.join(', ')}.`);
  }
  return match;
}

export function getEnumInput<T extends string>(
  read: InputReader,
  name: string,
  allowed: readonly T[],
  defaultValue: T,
): T {
  return withDefault(read, name, (v) => parseEnum(name, v, allowed), defaultValue);
}

export function getOptionalEnumInput<T extends string>(
  read: InputReader,
  name: string,
  allowed: readonly T[],
): T | undefined {
  return withDefault<T | undefined>(read, name, (v) => parseEnum(name, v, allowed), undefined);
}

export interface IntegerRange {
  min: number;
  max: number;
}

/** A whole number written in decimal digits (no `1e2`, `0x10` or `3.0`) within `range`. */
export function parseInteger(name: string, value: string, range: IntegerRange): number {
  const number = /^[+-]?\d+$/.test(value) ? Number(value) : Number.NaN;
  if (!(number >= range.min && number <= range.max)) {
    throw new InputError(name, value, `Expected a whole number from ${range.min} to ${range.max}.`);
  }
  return number;
}

export function getIntegerInput(
  read: InputReader,
  name: string,
  options: IntegerRange & { defaultValue: number },
): number {
  return withDefault(read, name, (v) => parseInteger(name, v, options), options.defaultValue);
}

/** Items separated by newlines, commas or spaces, in order, without empty items. */
export function parseList(value: string): string[] {
  return value.split(/[\s,]+/).filter((item) => item !== '');
}

export function getListInput(read: InputReader, name: string): string[] {
  return withDefault(read, name, parseList, []);
}

/**
 * An ISO date (`yyyy-mm-dd`) that is not before the UTC day of `now`: a date in the past is
 * almost always a typo, and Azure would accept it silently.
 */
export function parseFutureDate(name: string, value: string, now: Date): IsoDate {
  const date = parseIsoDate(value);
  if (date === undefined) {
    throw new InputError(name, value, 'Expected a date written yyyy-mm-dd, such as 2026-01-31.');
  }
  const today = toIsoDate(now);
  if (date < today) {
    throw new InputError(
      name,
      value,
      `Expected a date today (${today}) or later, not in the past.`,
    );
  }
  return date;
}

export function getDateInput(read: InputReader, name: string, now: Date): IsoDate | undefined {
  return withDefault<IsoDate | undefined>(
    read,
    name,
    (v) => parseFutureDate(name, v, now),
    undefined,
  );
}

/**
 * An absolute `https:` URL without credentials, query or fragment, returned without a trailing
 * slash so that paths can be appended. Plain http is refused: the Azure SDK will not send a
 * bearer token over it.
 */
export function parseHttpsUrl(name: string, value: string): string {
  let url: URL | undefined;
  try {
    url = new URL(value);
  } catch {
    url = undefined;
  }
  const plain = url && !url.username && !url.password && !url.search && !url.hash;
  if (!url || url.protocol !== 'https:' || !plain) {
    throw new InputError(name, value, 'Expected an https:// URL without credentials or query.');
  }
  return url.href.replace(/\/+$/, '');
}

// ---------------------------------------------------------------------------------------------
// Tags

/** Azure's limits on tags (names case-insensitive). */
const TAG_LIMITS = { count: 50, nameLength: 512, valueLength: 256 } as const;
const TAG_NAME_FORBIDDEN = /[<>%&\\?/]/;

/**
 * `key=value` lines, split at the first `=` and trimmed; the value may be empty. Azure treats
 * tag names case-insensitively, so `Owner` and `owner` are duplicates. Errors quote the line.
 */
export function parseKeyValueLines(name: string, value: string): Record<string, string> {
  const entries: [string, string][] = [];
  for (const line of value.split(/\r?\n/).map((l) => l.trim())) {
    if (line === '') continue;
    const [key, text] = splitTag(name, line);
    if (entries.some(([existing]) => existing.toLowerCase() === key.toLowerCase())) {
      throw new InputError(name, line, `Tag '${key}' is given twice (tag names ignore case).`);
    }
    entries.push([key, text]);
  }
  if (entries.length > TAG_LIMITS.count) {
    throw new InputError(name, value, `Expected at most ${TAG_LIMITS.count} tags.`);
  }
  return Object.fromEntries(entries);
}

function splitTag(name: string, line: string): [string, string] {
  const at = line.indexOf('=');
  const key = at < 0 ? '' : line.slice(0, at).trim();
  const text = line.slice(at + 1).trim();
  const problem =
    at < 0 || key === ''
      ? 'Expected key=value, one per line.'
      : key.length > TAG_LIMITS.nameLength || TAG_NAME_FORBIDDEN.test(key)
        ? `Expected a tag name of at most ${TAG_LIMITS.nameLength} characters without < > % & \\ ? /.`
        : text.length > TAG_LIMITS.valueLength
          ? `Expected a tag value of at most ${TAG_LIMITS.valueLength} characters.`
          : undefined;
  if (problem !== undefined) throw new InputError(name, line, problem);
  return [key, text];
}

export function getKeyValueInput(read: InputReader, name: string): Record<string, string> {
  return withDefault(read, name, (v) => parseKeyValueLines(name, v), {});
}

// ---------------------------------------------------------------------------------------------
// Timing: every action that waits on Azure reads these two the same way

/** `timeout-minutes`: how long the whole step may wait, 1 to `max` minutes. */
export function getTimeoutMinutes(read: InputReader, defaultValue: number, max = 1440): number {
  return getIntegerInput(read, 'timeout-minutes', { min: 1, max, defaultValue });
}

/** `poll-interval-seconds`: how often progress is read and logged, 1 to `max` seconds. */
export function getPollIntervalSeconds(read: InputReader, defaultValue: number, max = 600): number {
  return getIntegerInput(read, 'poll-interval-seconds', { min: 1, max, defaultValue });
}

// ---------------------------------------------------------------------------------------------
// Target regions

/** One replication target as the user wrote it: a region, and what is unset takes the defaults. */
export type TargetRegionInput = Pick<TargetRegion, 'name'> &
  Partial<Pick<TargetRegion, 'replicas' | 'storageAccountType'>>;

const TARGET_REGION_FORM =
  'Expected region, region=replicas or region=replicas/storageType, such as ' +
  `westeurope=3/Standard_ZRS (replicas 1-${MAX_REPLICAS_PER_REGION}, storageType one of ` +
  `${STORAGE_ACCOUNT_TYPES.join(', ')}).`;

/** Entries separated by newlines, commas or spaces; each region at most once. */
export function parseTargetRegions(name: string, value: string): TargetRegionInput[] {
  const regions: TargetRegionInput[] = [];
  for (const entry of parseList(value)) {
    const region = parseTargetRegion(name, entry);
    if (regions.some((r) => r.name === region.name)) {
      throw new InputError(name, entry, `Region '${region.name}' is listed twice.`);
    }
    regions.push(region);
  }
  return regions;
}

function parseTargetRegion(name: string, entry: string): TargetRegionInput {
  const fail = (why: string) => new InputError(name, entry, `${why} ${TARGET_REGION_FORM}`);
  const match = /^([^=/]+)(?:=([^=/]+)(?:\/([^=/]+))?)?$/.exec(entry);
  if (!match) throw fail('It is not a target region.');
  const [, region, replicas, storage] = match as unknown as [string, string, string?, string?];
  if (!isValidName(regionNameRule, region)) throw fail(`'${region}' is not a region name.`);
  const target: { -readonly [K in keyof TargetRegionInput]: TargetRegionInput[K] } = {
    name: normalizeRegionName(region),
  };
  if (replicas !== undefined) {
    const count = /^\d+$/.test(replicas) ? Number(replicas) : Number.NaN;
    if (!(count >= 1 && count <= MAX_REPLICAS_PER_REGION)) {
      throw fail(
        `Replicas '${replicas}' is not a whole number from 1 to ${MAX_REPLICAS_PER_REGION}.`,
      );
    }
    target.replicas = count;
  }
  if (storage !== undefined) {
    const type = STORAGE_ACCOUNT_TYPES.find((t) => t.toLowerCase() === storage.toLowerCase());
    if (type === undefined) throw fail(`'${storage}' is not a storage account type.`);
    target.storageAccountType = type;
  }
  return target;
}

export function getTargetRegionsInput(read: InputReader, name: string): TargetRegionInput[] {
  return withDefault(read, name, (v) => parseTargetRegions(name, v), []);
}

// ---------------------------------------------------------------------------------------------
// Azure connection inputs, common to every action that talks to Azure (docs/design.md, "contracts" and "authentication")

/** The inputs every action that talks to Azure has (docs/design.md, "contracts"), in their usual order. */
export const AZURE_CONNECTION_INPUTS = [
  'subscription-id',
  'tenant-id',
  'client-id',
  'arm-endpoint',
  'authority-host',
] as const;

/** Defaults of the Azure connection inputs; each action.yml must declare the same. */
export const AZURE_INPUT_DEFAULTS = {
  'arm-endpoint': 'https://management.azure.com',
  'authority-host': 'https://login.microsoftonline.com',
} as const;

export interface AzureConnectionSettings {
  /** Not a secret: resource IDs contain it, and job outputs with secrets are dropped. */
  readonly subscriptionId: string;
  /** Entra ID tenant (GUID or domain); set together with `clientId`. */
  readonly tenantId?: string;
  /** App registration or managed identity to sign in as, with OIDC or a client secret. */
  readonly clientId?: string;
  /** Resource Manager endpoint; sovereign clouds and the local stand-in change it. */
  readonly armEndpoint: string;
  /** Entra ID authority that issues tokens. */
  readonly authorityHost: string;
}

/** A tenant is named by its GUID or by a verified domain such as contoso.onmicrosoft.com. */
function parseTenantId(name: string, value: string): string {
  const domain = /^(?=.{1,253}$)([a-z0-9]([a-z0-9-]*[a-z0-9])?\.)+[a-z]{2,}$/i;
  if (isGuid(value) || domain.test(value)) return value;
  throw new InputError(
    name,
    value,
    'Expected a tenant ID (a GUID) or a domain such as contoso.onmicrosoft.com.',
  );
}

function parseClientId(name: string, value: string): string {
  if (isGuid(value)) return value;
  throw new InputError(name, value, 'Expected a client ID: a GUID.');
}

/**
 * Reads `subscription-id`, `tenant-id`, `client-id`, `arm-endpoint` and `authority-host`.
 * `client-id` and `tenant-id` come as a pair: either alone can sign in with nothing.
 */
export function getAzureConnectionInputs(read: InputReader): AzureConnectionSettings {
  const subscriptionId = checkName(
    subscriptionIdRule,
    'subscription-id',
    getRequiredInput(read, 'subscription-id'),
  );
  const tenant = getOptionalInput(read, 'tenant-id');
  const client = getOptionalInput(read, 'client-id');
  if ((tenant === undefined) !== (client === undefined)) {
    const missing = tenant === undefined ? 'tenant-id' : 'client-id';
    const present = tenant === undefined ? 'client-id' : 'tenant-id';
    throw new InputError(
      missing,
      '',
      `Required when ${present} is set: the two identify the sign-in together.`,
    );
  }
  const url = (input: keyof typeof AZURE_INPUT_DEFAULTS) =>
    withDefault(read, input, (v) => parseHttpsUrl(input, v), AZURE_INPUT_DEFAULTS[input]);
  return {
    subscriptionId,
    ...(tenant !== undefined && { tenantId: parseTenantId('tenant-id', tenant) }),
    ...(client !== undefined && { clientId: parseClientId('client-id', client) }),
    armEndpoint: url('arm-endpoint'),
    authorityHost: url('authority-host'),
  };
}
