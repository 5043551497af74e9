/**
 * The inventory's JSON: a versioned, documented schema (docs/inventory-schema.md). Fields are
 * added, never renamed; a change that breaks a reader raises `schemaVersion`.
 */

export const INVENTORY_SCHEMA_VERSION = 1;
export const INVENTORY_SCHEMA_ID =
  'https://github.com/placeholder--owner/compute-gallery-actions/docs/inventory-schema.md#v1';

/** One state per version, the first that applies in this order. */
export const VERSION_STATES = [
  'in-progress',
  'failed',
  'yanked',
  'end-of-life',
  'current',
] as const;
export type VersionState = (typeof VERSION_STATES)[number];

export type AttestationStatus =
  'verified' | 'digest-matches' | 'mismatch' | 'invalid' | 'missing' | 'not-checked';

export interface CatalogRegion {
  name: string;
  /** null where the route cannot see it (community). */
  replicas: number | null;
  storageAccountType: string | null;
  /** `Completed`, `Replicating`, `Failed`, or `Unknown`. */
  state: string;
  /** Replication progress in percent, when Azure said. */
  progress?: number;
}

export interface CatalogProvenance {
  imageBuilderVersion: string | null;
  imageBuilderCommit: string | null;
  /** The run that published the version (staging) or promoted it (production). */
  publishedBy: string | null;
  promotedBy: string | null;
  promotedFrom: string | null;
  /** `sha256:<hex>` or `source:<resource ID>` (the `content-digest` tag). */
  contentDigest: string | null;
  attestation: {
    url: string | null;
    /** `sha256:<hex>`: the attestation's subject digest for this version. */
    subjectDigest: string | null;
    status: AttestationStatus;
    reason: string;
  };
}

export interface CatalogVersion {
  definition: string;
  version: string;
  /** ARM resource ID (private route) or `/CommunityGalleries/…` unique ID (community route). */
  id: string;
  kubernetesVersion: string | null;
  /** `1.31`. */
  kubernetesMinor: string | null;
  state: VersionState;
  /** ARM `provisioningState`; null on the community route. */
  provisioningState: string | null;
  publishedDate: string | null;
  /** ISO date (yyyy-mm-dd). */
  endOfLifeDate: string | null;
  /** `version` (set on the version) or `kubernetes` (the minor's, from the release calendar). */
  endOfLifeSource: 'version' | 'kubernetes' | null;
  /** Whole days from the catalog's date to the end of life; negative once past. */
  daysLeft: number | null;
  excludeFromLatest: boolean;
  /** The `yanked` tag: why the version was pulled. null when not yanked or not visible. */
  yanked: { reason: string } | null;
  regions: CatalogRegion[];
  /** `Completed`, `InProgress`, `Failed` or `Unknown`, over every region. */
  replicationState: string;
  provenance: CatalogProvenance;
  tags: Record<string, string>;
}

export interface CatalogDefinition {
  name: string;
  /** The image-builder OS target it holds (`ubuntu-2404`), when its name follows CAPZ's. */
  osTarget: string | null;
  osType: string | null;
  osState: string | null;
  hyperVGeneration: string | null;
  securityType: string | null;
  architecture: string | null;
  identifier: { publisher: string; offer: string; sku: string } | null;
  versions: CatalogVersion[];
}

export interface CatalogLatest {
  definition: string;
  osTarget: string | null;
  version: string;
  kubernetesVersion: string | null;
  /** The CAPZ AzureMachineTemplate `image:` stanza, YAML. */
  imageReference: string;
}

export type CatalogGallery =
  | {
      kind: 'private';
      id: string;
      subscriptionId: string;
      resourceGroup: string;
      name: string;
      location: string | null;
      /** Community public names, when the gallery is shared with the community. */
      publicNames: string[];
    }
  | { kind: 'community'; publicName: string; location: string; publisherUri: string | null };

export interface Catalog {
  $schema: string;
  schemaVersion: typeof INVENTORY_SCHEMA_VERSION;
  generatedAt: string;
  gallery: CatalogGallery;
  filters: { definitions: string[]; minors: string[]; states: VersionState[] };
  /** Counts over the versions listed (after filters). */
  counts: Record<VersionState, number> & { versions: number; definitions: number };
  /** Newest current, supported version per definition (OS), with its CAPZ `image:` stanza. */
  latest: CatalogLatest[];
  definitions: CatalogDefinition[];
}
