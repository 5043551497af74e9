/**
 * Kubernetes release versions as kubernetes/kubernetes tags them (`v1.31.2`, `v1.32.0-rc.1`),
 * and the gallery image version names derived from them (`1.31.2`).
 */
import { InputError } from '../common/errors.js';

/** The pre-release channels Kubernetes tags, in release order. */
export const PRERELEASE_KINDS = ['alpha', 'beta', 'rc'] as const;
export type PrereleaseKind = (typeof PRERELEASE_KINDS)[number];

/** A parsed Kubernetes version. Immutable; compare with {@link compareKubernetesVersions}. */
export interface KubernetesVersion {
  readonly major: number;
  readonly minor: number;
  readonly patch: number;
  /** Set for `-alpha.N`, `-beta.N` and `-rc.N` tags; absent for a release. */
  readonly prerelease?: {
    readonly kind: PrereleaseKind;
    readonly number: number;
  };
}

/**
 * The largest number a gallery version part may hold (a signed 32-bit integer). Kubernetes
 * versions must fit so that every release can become an image version name.
 */
const MAX_PART = 2 ** 31 - 1;

/** `v` optional; no leading zeros, so `1.31.02` cannot alias `1.31.2`. */
const VERSION_PATTERN =
  /^v?(0|[1-9]\d*)\.(0|[1-9]\d*)\.(0|[1-9]\d*)(?:-(alpha|beta|rc)\.(0|[1-9]\d*))?$/;

const EXPECTED_VERSION =
  'Expected a Kubernetes version such as v1.31.2 or 1.31.2 ' +
  '(pre-releases: v1.32.0-alpha.1, -beta.N, -rc.N), each number at most 2147483647.';

/** Parses `v1.31.2`, `1.31.2` or a pre-release tag; `undefined` for anything else. */
export function tryParseKubernetesVersion(text: string): KubernetesVersion | undefined {
  const match = VERSION_PATTERN.exec(text.trim());
  if (!match) return undefined;
  const [major, minor, patch] = [match[1], match[2], match[3]].map(Number) as [
    number,
    number,
    number,
  ];
  if ([major, minor, patch].some((part) => part > MAX_PART)) return undefined;
  const kind = match[4] as PrereleaseKind | undefined;
  if (kind === undefined) return { major, minor, patch };
  const number = Number(match[5]);
  if (number > MAX_PART) return undefined;
  return { major, minor, patch, prerelease: { kind, number } };
}

/**
 * Parses a Kubernetes version given in the action input `input`.
 * @throws InputError naming `input` when the text is not a Kubernetes version.
 */
export function parseKubernetesVersion(
  text: string,
  input = 'kubernetes-version',
): KubernetesVersion {
  const version = tryParseKubernetesVersion(text);
  if (!version) throw new InputError(input, text, EXPECTED_VERSION);
  return version;
}

/** The tag form, always with the `v`: `v1.31.2`, `v1.32.0-rc.1`. */
export function formatKubernetesVersion(version: KubernetesVersion): string {
  const base = `v${version.major}.${version.minor}.${version.patch}`;
  const pre = version.prerelease;
  return pre ? `${base}-${pre.kind}.${pre.number}` : base;
}

export function isPrerelease(version: KubernetesVersion): boolean {
  return version.prerelease !== undefined;
}

/**
 * Orders versions as Kubernetes releases them: by major, minor, patch, then
 * alpha < beta < rc < the release itself.
 */
export function compareKubernetesVersions(a: KubernetesVersion, b: KubernetesVersion): number {
  return (
    a.major - b.major ||
    a.minor - b.minor ||
    a.patch - b.patch ||
    prereleaseRank(a) - prereleaseRank(b) ||
    (a.prerelease?.number ?? 0) - (b.prerelease?.number ?? 0)
  );
}

/** A release ranks after all of its pre-releases. */
function prereleaseRank(version: KubernetesVersion): number {
  const kind = version.prerelease?.kind;
  return kind === undefined ? PRERELEASE_KINDS.length : PRERELEASE_KINDS.indexOf(kind);
}

/** A sorted copy; the input is left alone. */
export function sortKubernetesVersions(
  versions: readonly KubernetesVersion[],
  order: 'ascending' | 'descending' = 'ascending',
): KubernetesVersion[] {
  const sign = order === 'ascending' ? 1 : -1;
  return [...versions].sort((a, b) => sign * compareKubernetesVersions(a, b));
}

/** The minor release a version belongs to, as the release calendar names it: `1.31`. */
export function minorKey(version: KubernetesVersion): string {
  return `${version.major}.${version.minor}`;
}

/** Parses a minor key (`1.31`, also `v1.31`); `undefined` when it is not one. */
export function tryParseMinorKey(text: string): { major: number; minor: number } | undefined {
  const match = /^v?(0|[1-9]\d*)\.(0|[1-9]\d*)$/.exec(text.trim());
  if (!match) return undefined;
  return { major: Number(match[1]), minor: Number(match[2]) };
}

/** Orders minor keys numerically (`1.9` before `1.10`); unparsable keys sort first. */
export function compareMinorKeys(a: string, b: string): number {
  const x = tryParseMinorKey(a) ?? { major: -1, minor: -1 };
  const y = tryParseMinorKey(b) ?? { major: -1, minor: -1 };
  return x.major - y.major || x.minor - y.minor;
}

/** Why a pre-release has no image version name; shared by both entry points below. */
const PRERELEASE_HAS_NO_IMAGE_VERSION =
  'A pre-release cannot become a gallery image version (Major.Minor.Patch integers only). ' +
  'Expected a released Kubernetes version such as v1.31.2.';

/**
 * The gallery image version name for a Kubernetes release: the tag without its `v`.
 * Gallery version names are `Major.Minor.Patch` integers only, so a pre-release has no image
 * version name; publishing one would need a scheme of its own, which nothing here invents.
 * @throws InputError naming `input` for a pre-release.
 */
export function toImageVersion(version: KubernetesVersion, input = 'kubernetes-version'): string {
  if (version.prerelease) {
    throw new InputError(input, formatKubernetesVersion(version), PRERELEASE_HAS_NO_IMAGE_VERSION);
  }
  return `${version.major}.${version.minor}.${version.patch}`;
}

/**
 * Parses the Kubernetes version in input `input` and returns its image version name. Unlike
 * {@link toImageVersion}, the error quotes the text exactly as the user wrote it.
 * @throws InputError naming `input` when the text is malformed or a pre-release.
 */
export function imageVersionForKubernetes(text: string, input = 'kubernetes-version'): string {
  const version = parseKubernetesVersion(text, input);
  if (version.prerelease) throw new InputError(input, text, PRERELEASE_HAS_NO_IMAGE_VERSION);
  return toImageVersion(version, input);
}

/**
 * Orders version names: runs of digits compare as numbers, anything else as text, so
 * `1.10.0` comes after `1.9.3` and the Debian revision `1.31.2-1.10` after `1.31.2-1.9`.
 * Gallery image versions, Kubernetes versions and package versions all sort by it.
 */
export function compareVersionNames(a: string, b: string): number {
  const parts = (v: string) => v.match(/\d+|\D+/g) ?? [];
  const [pa, pb] = [parts(a), parts(b)];
  for (let i = 0; i < Math.max(pa.length, pb.length); i++) {
    const [x, y] = [pa[i] ?? '', pb[i] ?? ''];
    if (x === y) continue;
    if (/^\d+$/.test(x) && /^\d+$/.test(y)) {
      if (Number(x) !== Number(y)) return Number(x) - Number(y);
      continue;
    }
    return x < y ? -1 : 1;
  }
  return 0;
}

/** The minor of a version name: `1.31.2` → `1.31`. */
export function minorOfVersionName(version: string): string {
  return version.split('.').slice(0, 2).join('.');
}
