/**
 * The naming rules Azure enforces on galleries, image definitions, versions and their
 * neighbours, checked before the first Azure call so that a bad name fails with a message that
 * says what is wrong instead of an ARM error after minutes of work. Also the values Azure
 * accepts for the definition and replication properties, and the definition names CAPZ expects.
 *
 * Sources: the gallery name pattern of the REST spec (GalleryRP 2025-12-03,
 * `^[^_\W][\w-._]{0,79}(?<![-.])$`, minus `-`, which the service rejects for galleries); the SDK
 * documentation for definitions ("dots and dashes allowed in the middle", ≤ 80); the ARM
 * common-types resource group parameter (`^[-\w._()]+$`, ≤ 90, no trailing period).
 */
import { InputError } from '../common/errors.js';

/** A naming rule: what a valid name looks like, and why a given name is not one. */
export interface NameRule {
  /** The rule in words, quoted in every error: "a gallery name: 1-80 letters, …". */
  readonly expected: string;
  /** Why `value` breaks the rule ("it contains '-'"), or `undefined` when it follows it. */
  problem(value: string): string | undefined;
}

/**
 * Returns `value` when it follows `rule`.
 * @throws InputError naming `input`, quoting `value`, saying what is wrong and what is expected.
 */
export function checkName(rule: NameRule, input: string, value: string): string {
  const problem = rule.problem(value);
  if (problem !== undefined) {
    throw new InputError(input, value, `${capitalize(problem)}. Expected ${rule.expected}.`);
  }
  return value;
}

export function isValidName(rule: NameRule, value: string): boolean {
  return rule.problem(value) === undefined;
}

interface CharacterRuleSpec {
  expected: string;
  minLength?: number;
  maxLength: number;
  /** Matches one allowed character. */
  allowed: RegExp;
  /** Matches an allowed first character, when the rule restricts it. */
  first?: RegExp;
  /** Matches a forbidden last character, when the rule restricts it. */
  forbiddenLast?: RegExp;
}

/** Builds a rule from a character set, a length range and constraints on the ends. */
function characterRule(spec: CharacterRuleSpec): NameRule {
  const { minLength = 1, maxLength, allowed, first, forbiddenLast } = spec;
  return {
    expected: spec.expected,
    problem(value) {
      const chars = [...value];
      if (chars.length === 0) return 'it is empty';
      if (chars.length < minLength)
        return `it has ${chars.length} characters, fewer than ${minLength}`;
      if (chars.length > maxLength)
        return `it has ${chars.length} characters, more than ${maxLength}`;
      const bad = [...new Set(chars.filter((c) => !allowed.test(c)))];
      if (bad.length > 0) return `it contains ${bad.map(quoteChar).join(', ')}`;
      if (first && !first.test(chars[0]!)) return `it starts with ${quoteChar(chars[0]!)}`;
      const last = chars.at(-1)!;
      if (forbiddenLast?.test(last)) return `it ends with ${quoteChar(last)}`;
      return undefined;
    },
  };
}

function quoteChar(char: string): string {
  return /\s/.test(char) ? JSON.stringify(char) : `'${char}'`;
}

function capitalize(text: string): string {
  return text.charAt(0).toUpperCase() + text.slice(1);
}

const ALPHANUMERIC = /^[A-Za-z0-9]$/;

/** Gallery names: no `-`, unlike nearly every other Azure name. */
export const galleryNameRule = characterRule({
  expected:
    "a gallery name: 1-80 letters, digits, '.' and '_' (no '-'), " +
    "starting with a letter or digit and not ending with '.'",
  maxLength: 80,
  allowed: /^[A-Za-z0-9._]$/,
  first: ALPHANUMERIC,
  forbiddenLast: /^\.$/,
});

export const imageDefinitionNameRule = characterRule({
  expected:
    "an image definition name: 1-80 letters, digits, '-', '_' and '.', " +
    "starting with a letter or digit and not ending with '-' or '.'",
  maxLength: 80,
  allowed: /^[A-Za-z0-9._-]$/,
  first: ALPHANUMERIC,
  forbiddenLast: /^[.-]$/,
});

/** Managed images (`Microsoft.Compute/images`), the output of a Packer build. */
export const managedImageNameRule = characterRule({
  expected:
    "a managed image name: 1-80 letters, digits, '_', '.' and '-', " +
    "starting with a letter or digit and ending with a letter, digit or '_'",
  maxLength: 80,
  allowed: /^[A-Za-z0-9._-]$/,
  first: ALPHANUMERIC,
  forbiddenLast: /^[.-]$/,
});

/** Letters are Unicode letters: ARM's `\w` for resource groups is Unicode-aware. */
export const resourceGroupNameRule = characterRule({
  expected:
    "a resource group name: 1-90 letters, digits, '_', '-', '.', '(' and ')', not ending with '.'",
  maxLength: 90,
  allowed: /^[\p{L}\p{Nd}_\-.()]$/u,
  forbiddenLast: /^\.$/,
});

/** Programmatic region names (`eastus2`), not display names (`East US 2`). */
export const regionNameRule = characterRule({
  expected: "an Azure region name such as 'eastus' or 'westeurope' (letters and digits, no spaces)",
  maxLength: 50,
  allowed: /^[A-Za-z0-9]$/,
  first: /^[A-Za-z]$/,
});

/**
 * Region names compare case- and space-insensitively: Azure takes `westus2` but answers with
 * the display name `West US 2` in places such as a version's target regions.
 */
export function normalizeRegionName(region: string): string {
  return region.replace(/\s+/g, '').toLowerCase();
}

export const storageAccountNameRule = characterRule({
  expected: 'a storage account name: 3-24 lower-case letters and digits',
  minLength: 3,
  maxLength: 24,
  allowed: /^[a-z0-9]$/,
});

/** The public name of a community gallery is this prefix, `-` and a GUID Azure assigns. */
export const publicNamePrefixRule = characterRule({
  expected: 'a public name prefix: 5-16 letters and digits',
  minLength: 5,
  maxLength: 16,
  allowed: /^[A-Za-z0-9]$/,
});

function identifierPartRule(part: string, maxLength: number): NameRule {
  return characterRule({
    expected: `an image ${part}: 1-${maxLength} letters, digits, '-', '_' and '.', not ending with '.'`,
    maxLength,
    allowed: /^[A-Za-z0-9._-]$/,
    forbiddenLast: /^\.$/,
  });
}

/** The definition identifier (publisher/offer/sku), unique within a gallery. */
export const publisherRule = identifierPartRule('publisher', 128);
export const offerRule = identifierPartRule('offer', 64);
export const skuRule = identifierPartRule('SKU', 64);

export const subscriptionIdRule: NameRule = {
  expected: 'a subscription ID: a GUID such as 00000000-0000-0000-0000-000000000000',
  problem: (value) => (isGuid(value) ? undefined : 'it is not a GUID'),
};

export function isGuid(value: string): boolean {
  return /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i.test(value);
}

/** The largest value of a version part: gallery versions are 32-bit signed integers. */
export const MAX_VERSION_PART = 2 ** 31 - 1;

/** A gallery image version name, `Major.Minor.Patch`. */
export interface ImageVersionName {
  readonly major: number;
  readonly minor: number;
  readonly patch: number;
}

/**
 * Parses `Major.Minor.Patch`. Leading zeros are refused: Azure orders versions by number, so
 * `1.31.02` would sort with `1.31.2` while being a different resource name.
 */
export function parseImageVersionName(text: string): ImageVersionName | undefined {
  const match = /^(0|[1-9]\d*)\.(0|[1-9]\d*)\.(0|[1-9]\d*)$/.exec(text);
  if (!match) return undefined;
  const parts = [match[1], match[2], match[3]].map(Number) as [number, number, number];
  if (parts.some((part) => part > MAX_VERSION_PART)) return undefined;
  const [major, minor, patch] = parts;
  return { major, minor, patch };
}

export function compareImageVersionNames(a: ImageVersionName, b: ImageVersionName): number {
  return a.major - b.major || a.minor - b.minor || a.patch - b.patch;
}

export const imageVersionNameRule: NameRule = {
  expected:
    'an image version name: Major.Minor.Patch, such as 1.31.2, ' +
    'each part an integer from 0 to 2147483647 without leading zeros',
  problem(value) {
    if (!/^\d+\.\d+\.\d+$/.test(value)) return 'it is not three numbers separated by dots';
    const parts = value.split('.');
    const padded = parts.find((part) => part.length > 1 && part.startsWith('0'));
    if (padded !== undefined) return `part ${padded} has a leading zero`;
    const tooLarge = parts.find((part) => Number(part) > MAX_VERSION_PART);
    if (tooLarge !== undefined) return `part ${tooLarge} is larger than ${MAX_VERSION_PART}`;
    return undefined;
  },
};

// ---------------------------------------------------------------------------------------------
// Property values. Each list is the set Azure accepts, spelled as Azure spells it; inputs are
// matched case-insensitively against it and normalised to this spelling.

export const OS_TYPES = ['Linux', 'Windows'] as const;
export type OsType = (typeof OS_TYPES)[number];

export const HYPER_V_GENERATIONS = ['V1', 'V2'] as const;
export type HyperVGeneration = (typeof HYPER_V_GENERATIONS)[number];

/**
 * The `SecurityType` feature of a definition. `Standard` opts out of Trusted Launch, which new
 * definitions get by default from api-version 2025-03-03. The stricter `TrustedLaunch` and
 * `ConfidentialVM` values also exist in Azure but restrict the definition to one VM kind; we
 * publish images that must boot on ordinary VMs as well, so only the "…Supported" values are
 * offered.
 */
export const SECURITY_TYPES = [
  'Standard',
  'TrustedLaunchSupported',
  'ConfidentialVmSupported',
  'TrustedLaunchAndConfidentialVmSupported',
] as const;
export type SecurityType = (typeof SECURITY_TYPES)[number];

export const ARCHITECTURES = ['x64', 'Arm64'] as const;
export type Architecture = (typeof ARCHITECTURES)[number];

/** `StorageAccountType` of the REST spec (replicas of a version, per region). */
export const STORAGE_ACCOUNT_TYPES = [
  'Standard_LRS',
  'Standard_ZRS',
  'Premium_LRS',
  'PremiumV2_LRS',
] as const;
export type StorageAccountType = (typeof STORAGE_ACCOUNT_TYPES)[number];

/** `Shallow` skips the copy and is meant for testing only. */
export const REPLICATION_MODES = ['Full', 'Shallow'] as const;
export type ReplicationMode = (typeof REPLICATION_MODES)[number];

/** Azure's limit on replicas of one version in one region. */
export const MAX_REPLICAS_PER_REGION = 100;

// ---------------------------------------------------------------------------------------------
// CAPZ naming (docs/design.md, "naming"). CAPZ hardcodes its community gallery and pins definitions by name,
// so these names are an interface, not a style.

/** Production names avoid trademarks as whole words: `ubuntu` → `ubun2`, `windows` → `win`. */
const PRODUCTION_WORDS: Readonly<Record<string, string>> = { ubuntu: 'ubun2', windows: 'win' };

const CAPZ_PREFIX = 'capi-';

/** An OS target as image-builder names it: lower-case words joined by `-`. */
export const osTargetRule: NameRule = {
  expected:
    "an OS target such as 'ubuntu-2404', 'ubuntu-2404-gen2' or 'windows-2022-containerd': " +
    `lower-case words and digits joined by '-', at most ${80 - CAPZ_PREFIX.length} characters`,
  problem(value) {
    if (value.length > 80 - CAPZ_PREFIX.length) return `it has ${value.length} characters`;
    return /^[a-z][a-z0-9]*(-[a-z0-9]+)*$/.test(value) ? undefined : 'it is not words joined by -';
  },
};

/** What CAPZ expects of the definitions that hold one OS target's images. */
export interface CapzImageTarget {
  /** The OS target, e.g. `ubuntu-2404-gen2`. */
  readonly os: string;
  /** `capi-<os>`, in the staging gallery: `capi-ubuntu-2404-gen2`. */
  readonly stagingDefinition: string;
  /** The trademark-free name in the production gallery: `capi-ubun2-2404-gen2`. */
  readonly productionDefinition: string;
  readonly osType: OsType;
  /** V2 for `-gen2` targets, and for `-cvm` ones, since confidential VMs are Gen2 only. */
  readonly hyperVGeneration: HyperVGeneration;
  /**
   * `ConfidentialVmSupported` for `-cvm` targets, in both galleries; otherwise `Standard`, set
   * explicitly because new definitions would default to Trusted Launch and a definition's
   * features can never change afterwards.
   */
  readonly securityType: SecurityType;
}

/**
 * The CAPZ definitions and features for an OS target.
 * @throws InputError naming `input` when `os` is not an OS target name.
 */
export function capzImageTarget(os: string, input = 'os'): CapzImageTarget {
  checkName(osTargetRule, input, os);
  const words = os.split('-');
  const confidential = words.includes('cvm');
  return {
    os,
    stagingDefinition: CAPZ_PREFIX + os,
    productionDefinition: CAPZ_PREFIX + words.map((w) => PRODUCTION_WORDS[w] ?? w).join('-'),
    osType: words[0] === 'windows' ? 'Windows' : 'Linux',
    hyperVGeneration: confidential || words.includes('gen2') ? 'V2' : 'V1',
    securityType: confidential ? 'ConfidentialVmSupported' : 'Standard',
  };
}
