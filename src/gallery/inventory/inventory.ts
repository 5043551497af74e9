/**
 * The inventory use case: read a gallery (private or community), look up and check the
 * attestation of every version that records one (one GitHub request per distinct subject
 * digest), and build the catalog.
 */
import type { Logger } from '../../common/logger.js';
import type { SupportCalendar } from '../../kubernetes/support.js';
import type { AttestationSource } from '../../provenance/github.js';
import { checkAttestations } from '../../provenance/github.js';
import {
  ATTESTATION_DIGEST_TAG,
  ATTESTATION_TAG,
  parseAttestationUrl,
  subjectDigestOf,
} from '../../provenance/subject.js';
import { DIGEST_TAG } from '../ensure-version.js';
import { buildCatalog, type AttestationChecks, type CatalogFilters } from './catalog.js';
import {
  mapLimited,
  readCommunityGallery,
  readGallery,
  type CommunityApi,
  type InventoryApi,
  type RawGallery,
} from './read.js';
import type { Catalog } from './schema.js';

export type InventoryTarget =
  | { kind: 'private'; subscriptionId: string; resourceGroup: string; gallery: string }
  | { kind: 'community'; publicName: string; location: string };

export interface InventoryContext {
  compute: InventoryApi & CommunityApi;
  calendar: SupportCalendar;
  now: Date;
  logger: Logger;
  /** Where attestations are looked up; absent: not checked. */
  attestations?: AttestationSource;
}

export async function takeInventory(
  target: InventoryTarget,
  filters: CatalogFilters,
  ctx: InventoryContext,
): Promise<{ catalog: Catalog; raw: RawGallery }> {
  const options = { definitions: filters.definitions, logger: ctx.logger };
  const raw =
    target.kind === 'private'
      ? await readGallery(
          ctx.compute,
          target.subscriptionId,
          target.resourceGroup,
          target.gallery,
          options,
        )
      : await readCommunityGallery(ctx.compute, target.location, target.publicName, options);
  ctx.logger.info(
    `Read ${raw.definitions.length} definitions and ${raw.versions.length} versions of ${target.kind === 'private' ? target.gallery : target.publicName}.`,
  );
  const attestations = ctx.attestations
    ? await checkAll(raw, ctx.attestations, ctx.logger)
    : undefined;
  const catalog = buildCatalog(raw, {
    now: ctx.now,
    calendar: ctx.calendar,
    filters,
    ...(attestations ? { attestations } : {}),
  });
  return { catalog, raw };
}

/** Checks every recorded attestation, once per (repository, digest). */
async function checkAll(
  raw: RawGallery,
  source: AttestationSource,
  logger: Logger,
): Promise<AttestationChecks> {
  const checks: AttestationChecks = new Map();
  const wanted = new Map<
    string,
    { repository: string; publishedBy: string; digest: string; ids: string[] }
  >();
  for (const v of raw.versions) {
    const url = v.tags[ATTESTATION_TAG];
    const content = v.tags[DIGEST_TAG];
    if (!url) continue;
    const at = parseAttestationUrl(url);
    if (!at || !content) {
      checks.set(v.id, {
        status: 'invalid',
        reason: !at
          ? `attestation tag '${url}' is not a GitHub attestation URL`
          : 'no content-digest tag',
      });
      continue;
    }
    const digest = subjectDigestOf(content);
    const recorded = v.tags[ATTESTATION_DIGEST_TAG];
    if (recorded && recorded.toLowerCase() !== digest) {
      checks.set(v.id, {
        status: 'mismatch',
        reason: `content digest ${content} is not what was attested (${recorded})`,
      });
      continue;
    }
    const repository = `${at.owner}/${at.repo}`;
    // A certificate must name the repository whose run published the version (its `repository`
    // tag, src/common/provenance.ts), as promote's gate asks (src/provenance/check.ts).
    const publishedBy = v.tags.repository ?? repository;
    const key = `${repository}\n${publishedBy}\n${digest}`;
    const entry = wanted.get(key) ?? { repository, publishedBy, digest, ids: [] };
    entry.ids.push(v.id);
    wanted.set(key, entry);
  }
  await mapLimited([...wanted.values()], 8, async (w) => {
    let result;
    try {
      result = await checkAttestations(source, w.repository, w.digest, logger, w.publishedBy);
    } catch (err) {
      logger.warning((err as Error).message);
      result = { status: 'not-checked' as const, reason: (err as Error).message };
    }
    for (const id of w.ids)
      checks.set(
        id,
        result ?? {
          status: 'missing',
          reason: `GitHub has no attestation of ${w.repository} for ${w.digest}`,
        },
      );
  });
  logger.info(`Checked ${wanted.size} attestation subject(s).`);
  return checks;
}
