/**
 * Turns what was read of a gallery into the catalog (schema.ts): a state per version, end of
 * life and days left, provenance, the newest supported version per OS with its CAPZ `image:`
 * stanza; then applies the filters. Pure: the same reads, calendar, checks and day give the same
 * catalog.
 */
import { ConfigurationError } from '../../common/errors.js';
import { toIsoDate } from '../../kubernetes/dates.js';
import type { SupportCalendar } from '../../kubernetes/support.js';
import {
  ATTESTATION_DIGEST_TAG,
  ATTESTATION_TAG,
  subjectDigestOf,
} from '../../provenance/subject.js';
import { DIGEST_TAG } from '../ensure-version.js';
import { compareImageVersionNames, parseImageVersionName } from '../names.js';
import { capzImageReference } from '../reference.js';
import type { RawGallery, RawVersion } from './read.js';
import {
  INVENTORY_SCHEMA_ID,
  INVENTORY_SCHEMA_VERSION,
  VERSION_STATES,
  type AttestationStatus,
  type Catalog,
  type CatalogDefinition,
  type CatalogLatest,
  type CatalogProvenance,
  type CatalogVersion,
  type VersionState,
} from './schema.js';

export interface CatalogFilters {
  definitions: string[];
  /** `1.31`. */
  minors: string[];
  states: VersionState[];
}

/** What checking a version's attestation found, by version ID. */
export type AttestationChecks = Map<string, { status: AttestationStatus; reason: string }>;

const DAY = 86_400_000;

/** The state of one version: the first of in-progress, failed, yanked, end-of-life, current. */
export function versionState(
  v: Pick<RawVersion, 'provisioningState' | 'tags'>,
  endOfLifeDate: string | null,
  today: string,
): VersionState {
  if (v.provisioningState !== null && !['Succeeded', 'Failed'].includes(v.provisioningState))
    return 'in-progress';
  if (v.provisioningState === 'Failed') return 'failed';
  if (v.tags.yanked !== undefined) return 'yanked';
  if (endOfLifeDate !== null && endOfLifeDate < today) return 'end-of-life';
  return 'current';
}

/** `v1.31.2` tag or a `1.31.2` version name → `1.31.2`. */
export function kubernetesVersionOf(v: Pick<RawVersion, 'version' | 'tags'>): string | null {
  const tag = v.tags['kubernetes-version']?.replace(/^v/, '');
  if (tag && /^\d+\.\d+\.\d+/.test(tag)) return tag;
  return /^1\.\d+\.\d+$/.test(v.version) ? v.version : null;
}

/** `capi-ubun2-2404-gen2` → `ubuntu-2404-gen2`; null for a name not in CAPZ's form. */
export function osTargetOf(definition: string): string | null {
  const m = /^capi-([a-z0-9]+(?:-[a-z0-9]+)*)$/.exec(definition);
  if (!m) return null;
  const back: Record<string, string> = { ubun2: 'ubuntu', win: 'windows' };
  return m[1]!
    .split('-')
    .map((w) => back[w] ?? w)
    .join('-');
}

export function buildCatalog(
  raw: RawGallery,
  ctx: {
    now: Date;
    calendar: SupportCalendar;
    filters: CatalogFilters;
    attestations?: AttestationChecks;
  },
): Catalog {
  const today = toIsoDate(ctx.now);
  const todayMs = Date.parse(today);
  const { filters } = ctx;

  const versions: CatalogVersion[] = raw.versions.map((v) => {
    const kubernetesVersion = kubernetesVersionOf(v);
    const minor = kubernetesVersion?.split('.').slice(0, 2).join('.') ?? null;
    const versionEol = v.endOfLifeDate ? toIsoDate(v.endOfLifeDate) : null;
    const minorEol = minor ? (ctx.calendar.endOfLifeFor(minor)?.endOfLifeDate ?? null) : null;
    const endOfLifeDate = versionEol ?? minorEol;
    const states = v.regions.map((r) => r.state);
    return {
      definition: v.definition,
      version: v.version,
      id: v.id,
      kubernetesVersion,
      kubernetesMinor: minor,
      state: versionState(v, endOfLifeDate, today),
      provisioningState: v.provisioningState,
      publishedDate: v.publishedDate ? v.publishedDate.toISOString() : null,
      endOfLifeDate,
      endOfLifeSource: versionEol ? 'version' : minorEol ? 'kubernetes' : null,
      daysLeft:
        endOfLifeDate === null ? null : Math.round((Date.parse(endOfLifeDate) - todayMs) / DAY),
      excludeFromLatest: v.excludeFromLatest,
      yanked: v.tags.yanked !== undefined ? { reason: v.tags.yanked } : null,
      regions: v.regions.map((r) => ({ ...r })),
      replicationState:
        states.length === 0 || states.includes('Unknown')
          ? states.includes('Failed')
            ? 'Failed'
            : 'Unknown'
          : states.includes('Failed')
            ? 'Failed'
            : states.every((s) => s === 'Completed')
              ? 'Completed'
              : 'InProgress',
      provenance: provenanceOf(v, raw.gallery.kind, ctx.attestations?.get(v.id)),
      tags: { ...v.tags },
    };
  });

  // Filters: each must match something, or the catalog would be silently empty.
  const inMinor =
    filters.minors.length === 0
      ? versions
      : versions.filter(
          (v) => v.kubernetesMinor !== null && filters.minors.includes(v.kubernetesMinor),
        );
  if (filters.minors.length > 0 && inMinor.length === 0) {
    const present = [
      ...new Set(versions.map((v) => v.kubernetesMinor).filter((m): m is string => m !== null)),
    ]
      .sort((a, b) => Number(b.split('.')[1]) - Number(a.split('.')[1]))
      .join(', ');
    throw new ConfigurationError(
      `Input 'minor-versions': ${filters.minors.map((m) => `'${m}'`).join(', ')} match${filters.minors.length === 1 ? 'es' : ''} no version (minors present: ${present || 'none'}).`,
    );
  }
  const listed =
    filters.states.length === 0 ? inMinor : inMinor.filter((v) => filters.states.includes(v.state));
  if (filters.states.length > 0 && listed.length === 0) {
    const present = [...new Set(inMinor.map((v) => v.state))].join(', ');
    throw new ConfigurationError(
      `Input 'states': ${filters.states.map((s) => `'${s}'`).join(', ')} match${filters.states.length === 1 ? 'es' : ''} no version (states present: ${present || 'none'}).`,
    );
  }

  const definitions: CatalogDefinition[] = raw.definitions
    .map((d) => ({
      name: d.name,
      osTarget: osTargetOf(d.name),
      osType: d.osType ?? null,
      osState: d.osState ?? null,
      hyperVGeneration: d.hyperVGeneration ?? null,
      securityType: d.securityType ?? null,
      architecture: d.architecture ?? null,
      identifier: d.identifier ?? null,
      versions: listed.filter((v) => v.definition === d.name).sort(newestFirst),
    }))
    .sort((a, b) => a.name.localeCompare(b.name));

  const counts = Object.fromEntries(VERSION_STATES.map((s) => [s, 0])) as Record<
    VersionState,
    number
  >;
  for (const v of listed) counts[v.state]++;

  return {
    $schema: INVENTORY_SCHEMA_ID,
    schemaVersion: INVENTORY_SCHEMA_VERSION,
    generatedAt: ctx.now.toISOString(),
    gallery: raw.gallery,
    filters: { definitions: filters.definitions, minors: filters.minors, states: filters.states },
    counts: { ...counts, versions: listed.length, definitions: definitions.length },
    latest: latestOf(raw, definitions, ctx.calendar, ctx.now),
    definitions,
  };
}

/** Per definition, the newest version a new cluster should use: current, in latest, supported. */
function latestOf(
  raw: RawGallery,
  definitions: CatalogDefinition[],
  calendar: SupportCalendar,
  now: Date,
): CatalogLatest[] {
  const out: CatalogLatest[] = [];
  for (const d of definitions) {
    const pick = d.versions.find(
      (v) =>
        v.state === 'current' &&
        !v.excludeFromLatest &&
        (v.kubernetesMinor === null ||
          calendar.supportStatus(v.kubernetesMinor, now) !== 'end-of-life'),
    );
    if (!pick) continue;
    const g = raw.gallery;
    const where =
      g.kind === 'community' || g.publicNames.length > 0
        ? {
            kind: 'community' as const,
            publicName: g.kind === 'community' ? g.publicName : g.publicNames[0]!,
            definition: d.name,
            version: pick.version,
          }
        : {
            kind: 'private' as const,
            subscriptionId: g.subscriptionId,
            resourceGroup: g.resourceGroup,
            gallery: g.name,
            definition: d.name,
            version: pick.version,
          };
    out.push({
      definition: d.name,
      osTarget: d.osTarget,
      version: pick.version,
      kubernetesVersion: pick.kubernetesVersion,
      imageReference: capzImageReference(where),
    });
  }
  return out;
}

function provenanceOf(
  v: RawVersion,
  kind: 'private' | 'community',
  check: { status: AttestationStatus; reason: string } | undefined,
): CatalogProvenance {
  const t = v.tags;
  const find = (re: RegExp): string | null =>
    Object.entries(t).find(([k]) => re.test(k))?.[1] ?? null;
  const contentDigest = t[DIGEST_TAG] ?? null;
  const url = t[ATTESTATION_TAG] ?? null;
  const subjectDigest =
    t[ATTESTATION_DIGEST_TAG] ?? (contentDigest ? subjectDigestOf(contentDigest) : null);
  const fallback =
    kind === 'community'
      ? {
          status: 'not-checked' as const,
          reason: 'the community API shows no tags, so no content digest to check',
        }
      : url === null
        ? { status: 'missing' as const, reason: 'no attestation recorded on the version' }
        : { status: 'not-checked' as const, reason: 'attestations were not looked up' };
  return {
    imageBuilderVersion: find(/^(image[-_]builder[-_]version|ib[-_]version)$/i),
    imageBuilderCommit: find(/^(image[-_]builder[-_]commit|ib[-_]commit)$/i),
    publishedBy: t['promoted-by'] ?? t['published-by'] ?? null,
    promotedBy: t['promoted-by'] ?? null,
    promotedFrom: t['promoted-from'] ?? null,
    contentDigest,
    attestation: { url, subjectDigest, ...(check ?? fallback) },
  };
}

function newestFirst(a: CatalogVersion, b: CatalogVersion): number {
  const pa = parseImageVersionName(a.version);
  const pb = parseImageVersionName(b.version);
  if (pa && pb) return compareImageVersionNames(pb, pa);
  return b.version.localeCompare(a.version);
}
