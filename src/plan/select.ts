import type { SupportCalendar } from '../kubernetes/support.js';
import {
  compareKubernetesVersions,
  formatKubernetesVersion,
  isPrerelease,
  minorKey,
  tryParseKubernetesVersion,
  compareMinorKeys,
  toImageVersion,
} from '../kubernetes/version.js';
import type { KubernetesVersion } from '../kubernetes/version.js';

/** Why a version is in the plan, or why it was left out. */
export interface Candidate {
  version: KubernetesVersion;
  /** `v1.31.2` as it came. */
  tag: string;
}

export interface SelectOptions {
  /** How many of the newest minors to build. */
  minorVersions: number;
  includePrereleases: boolean;
  calendar: SupportCalendar;
  today: Date;
}

export interface Selection {
  chosen: Candidate[];
  /** Tags left out, with the reason, for the summary. */
  skipped: { tag: string; reason: string }[];
}

/** Release tags (`v1.31.2`) → parsed candidates; anything that is no Kubernetes version is dropped. */
export function candidatesFromTags(tags: string[]): Candidate[] {
  return tags.flatMap((tag) => {
    const version = tryParseKubernetesVersion(tag);
    return version ? [{ version, tag }] : [];
  });
}

/**
 * The newest release of each of the newest `minorVersions` minors that is still supported.
 * A minor newer than anything the release calendar knows was released after the calendar was
 * written and counts as supported; a minor the calendar says reached end of life does not.
 */
export function selectReleases(candidates: Candidate[], o: SelectOptions): Selection {
  const skipped: Selection['skipped'] = [];
  const usable = candidates.filter((c) => {
    if (isPrerelease(c.version) && !o.includePrereleases) {
      skipped.push({ tag: c.tag, reason: 'pre-release (include-prereleases is false)' });
      return false;
    }
    return true;
  });
  const newestKnown = o.calendar.minors[0];
  const byMinor = new Map<string, Candidate[]>();
  for (const c of usable) {
    const minor = minorKey(c.version);
    byMinor.set(minor, [...(byMinor.get(minor) ?? []), c]);
  }
  const supported = [...byMinor.keys()].filter((minor) => {
    const status = o.calendar.supportStatus(minor, o.today);
    const ok =
      status === 'supported' ||
      (status === 'unknown' && (!newestKnown || compareMinorKeys(minor, newestKnown) > 0));
    if (!ok)
      for (const c of byMinor.get(minor)!)
        skipped.push({ tag: c.tag, reason: `Kubernetes ${minor} is not supported (${status})` });
    return ok;
  });
  const wanted = supported.sort((a, b) => compareMinorKeys(b, a));
  for (const minor of wanted.slice(o.minorVersions)) {
    for (const c of byMinor.get(minor)!)
      skipped.push({
        tag: c.tag,
        reason: `${minor} is not among the newest ${o.minorVersions} supported minors`,
      });
  }
  const chosen = wanted.slice(0, o.minorVersions).map((minor) => {
    const [newest, ...older] = byMinor
      .get(minor)!
      .sort((a, b) => compareKubernetesVersions(b.version, a.version));
    for (const c of older) skipped.push({ tag: c.tag, reason: `superseded by ${newest!.tag}` });
    return newest!;
  });
  return { chosen, skipped };
}

/**
 * The gallery version name: `1.31.2`. A gallery version has no room for a pre-release suffix,
 * so `v1.32.0-rc.1` becomes `1.32.0` too; the matrix marks it `prerelease` so a workflow can
 * keep it out of production.
 */
/** The one version arithmetic: a pre-release gets a name of its own (docs/adr/0004-naming.md). */
export function imageVersionOf(c: Candidate): string {
  return toImageVersion(c.version);
}

export function tagOf(version: KubernetesVersion): string {
  return formatKubernetesVersion(version);
}
