import { InputError } from '../common/errors.js';
import type { Logger } from '../common/logger.js';
import type { CapzImageTarget } from '../gallery/names.js';
import type { SupportCalendar } from '../kubernetes/support.js';
import {
  compareMinorKeys,
  isPrerelease,
  minorKey,
  tryParseMinorKey,
  parseKubernetesVersion,
} from '../kubernetes/version.js';
import { listReleaseTags } from './releases.js';
import type { ListReleasesPage } from './releases.js';
import { candidatesFromTags, imageVersionOf, selectReleases, tagOf } from './select.js';
import type { Candidate } from './select.js';
import type { VersionSource } from './triggers.js';

/** One leg of the build matrix: a Kubernetes version on one OS target. */
export interface MatrixEntry {
  'kubernetes-version': string;
  'image-version': string;
  os: string;
  'staging-definition': string;
  'production-definition': string;
  'os-type': string;
  'hyper-v-generation': string;
  'security-type': string;
  prerelease: boolean;
}

export interface PlanRequest {
  source: VersionSource;
  minorVersions: number;
  includePrereleases: boolean;
  targets: CapzImageTarget[];
}

export interface PlanContext {
  calendar: SupportCalendar;
  today: Date;
  logger: Logger;
  /** One page of kubernetes/kubernetes releases (needed when the source is `releases`). */
  listReleases?: ListReleasesPage;
  /** Whether the production definition already has the version (when a gallery was given). */
  isPublished?: (definition: string, version: string) => Promise<boolean>;
}

export interface Plan {
  entries: MatrixEntry[];
  /** Why versions or legs were left out. */
  skipped: { what: string; reason: string }[];
  /** Where the versions came from, for the summary. */
  from: string;
}

/** Versions from the trigger → supported, newest → minus what is already published → legs. */
export async function makePlan(request: PlanRequest, ctx: PlanContext): Promise<Plan> {
  const { chosen, skipped, from } = await chooseVersions(request, ctx);
  const entries: MatrixEntry[] = [];
  const skippedLegs: Plan['skipped'] = skipped.map((s) => ({ what: s.tag, reason: s.reason }));
  for (const candidate of chosen) {
    for (const target of request.targets) {
      const entry = matrixEntry(candidate, target);
      if (
        ctx.isPublished &&
        (await ctx.isPublished(entry['production-definition'], entry['image-version']))
      ) {
        skippedLegs.push({
          what: `${candidate.tag} ${target.os}`,
          reason: `already published as ${entry['production-definition']}/${entry['image-version']}`,
        });
        continue;
      }
      entries.push(entry);
    }
  }
  return { entries, skipped: skippedLegs, from };
}

async function chooseVersions(
  request: PlanRequest,
  ctx: PlanContext,
): Promise<{ chosen: Candidate[]; skipped: { tag: string; reason: string }[]; from: string }> {
  if (request.source.kind === 'explicit') {
    const chosen = request.source.tags.map((tag) => {
      const version = parseKubernetesVersion(tag, 'kubernetes-versions');
      if (isPrerelease(version) && !request.includePrereleases) {
        throw new InputError(
          'kubernetes-versions',
          tag,
          'A pre-release; set include-prereleases to build it.',
        );
      }
      return { version, tag: tagOf(version) };
    });
    return { chosen, skipped: [], from: request.source.from };
  }
  if (!ctx.listReleases)
    throw new Error(
      'plan needs the GitHub releases of kubernetes/kubernetes, but has no GitHub client',
    );
  // Keep paging while a page still holds a release of a minor we might want.
  let newestMinor: string | undefined;
  const tags = await listReleaseTags(ctx.listReleases, {
    maxPages: 10,
    logger: ctx.logger,
    keepPage: (pageTags) => {
      const minors = candidatesFromTags(pageTags).map((c) => c.version);
      if (minors.length === 0) return false;
      const top = minors.map(minorKey).sort((a, b) => compareMinorKeys(b, a));
      newestMinor ??= top[0];
      const { major, minor } = tryParseMinorKey(newestMinor!)!;
      return minors.some((v) => v.major === major && v.minor > minor - request.minorVersions);
    },
  });
  const selection = selectReleases(candidatesFromTags(tags), {
    minorVersions: request.minorVersions,
    includePrereleases: request.includePrereleases,
    calendar: ctx.calendar,
    today: ctx.today,
  });
  return { ...selection, from: 'GitHub releases of kubernetes/kubernetes' };
}

function matrixEntry(c: Candidate, t: CapzImageTarget): MatrixEntry {
  return {
    'kubernetes-version': c.tag,
    'image-version': imageVersionOf(c),
    os: t.os,
    'staging-definition': t.stagingDefinition,
    'production-definition': t.productionDefinition,
    'os-type': t.osType,
    'hyper-v-generation': t.hyperVGeneration,
    'security-type': t.securityType,
    prerelease: isPrerelease(c.version),
  };
}
