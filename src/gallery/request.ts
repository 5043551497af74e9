/**
 * What publishing to a gallery is asked to do: the version, its definition, replication and
 * sharing, as the actions' readers (the inputs.ts of each action) produce them once checked.
 */
import type { ImageSource } from './identifiers.js';
import type {
  Architecture,
  HyperVGeneration,
  OsType,
  ReplicationMode,
  SecurityType,
  StorageAccountType,
} from './names.js';
import type { TargetRegion } from './version-spec.js';
import type { IsoDate } from '../kubernetes/dates.js';
import type { KubernetesVersion } from '../kubernetes/version.js';

export type { TargetRegion } from './version-spec.js';

export const IF_EXISTS_POLICIES = ['skip', 'replace', 'fail'] as const;
export type IfExistsPolicy = (typeof IF_EXISTS_POLICIES)[number];

export const SHARING_MODES = ['private', 'community'] as const;
export type SharingMode = (typeof SHARING_MODES)[number];

export interface ReplicationSettings {
  /**
   * `target-regions` with `replica-count` and `storage-account-type` filled in. Always contains
   * `location`, first when the user did not list it, since a version lives in its own region.
   */
  readonly targetRegions: readonly TargetRegion[];
  /** `replica-count`: replicas in regions listed without a count. */
  readonly replicaCount: number;
  /** `storage-account-type`: for regions listed without one. */
  readonly storageAccountType: StorageAccountType;
  /** `replication-mode`. */
  readonly mode: ReplicationMode;
  /** `exclude-from-latest`: VMs asking for `latest` will not get this version. */
  readonly excludeFromLatest: boolean;
}

/** `sharing` and, for a community gallery, what Azure shows to everyone. */
export type SharingSettings =
  | {
      /** Only those with Azure RBAC access to the gallery see it. */
      readonly kind: 'private';
    }
  | {
      /** Everyone can see and use the gallery through its public name. */
      readonly kind: 'community';
      /** `public-name-prefix`: the public name is this, `-` and a GUID. */
      readonly publicNamePrefix: string;
      /** `publisher-uri`. */
      readonly publisherUri: string;
      /** `publisher-contact`: an e-mail address. */
      readonly publisherContact: string;
      /** `eula`: the licence text or a link to it. */
      readonly eula: string;
    };

/** The definition's properties. Azure never lets them change once the definition exists. */
export interface DefinitionSettings {
  /** `os-type`. */
  readonly osType: OsType;
  /** Generalized unless a promotion copies a Specialized source's definition. */
  readonly osState?: 'Generalized' | 'Specialized';
  /** `hyper-v-generation`. */
  readonly hyperVGeneration: HyperVGeneration;
  /** `security-type`, the definition's `SecurityType` feature, always set explicitly. */
  readonly securityType: SecurityType;
  /** `architecture`. */
  readonly architecture: Architecture;
  /** `publisher`: with offer and sku, the identifier unique within the gallery. */
  readonly publisher: string;
  /** `offer`. */
  readonly offer: string;
  /** `sku`. */
  readonly sku: string;
}

/** `end-of-life-date`: a day, or the end of life of the Kubernetes minor, resolved later. */
export type EndOfLifeSetting =
  | {
      /** A day given as yyyy-mm-dd. */
      readonly kind: 'date';
      /** Not before the day the inputs were read. */
      readonly date: IsoDate;
    }
  | {
      /** `kubernetes`: look the date up in the Kubernetes release calendar. */
      readonly kind: 'kubernetes';
      /** The minor whose end of life to look up, e.g. `1.31`. */
      readonly minor: string;
    };

/** What publishing a version asks for: publish-to-gallery's inputs, read and checked. */
export interface PublishRequest {
  /** `resource-group` holding the gallery. */
  readonly resourceGroup: string;
  /** `location` of the gallery, the definition and the version (lower case). */
  readonly location: string;
  /** `gallery` name. */
  readonly gallery: string;
  /** `image-definition` name. */
  readonly imageDefinition: string;
  /** The version name: `image-version`, or `kubernetes-version` without its `v`. */
  readonly imageVersion: string;
  /** `kubernetes-version`, when the version was given that way. */
  readonly kubernetesVersion?: KubernetesVersion;
  /** `source` (and `source-storage-account-id` for a VHD). */
  readonly source: ImageSource;
  /** Properties of the image definition. */
  readonly definition: DefinitionSettings;
  /** Where and how the version is replicated. */
  readonly replication: ReplicationSettings;
  /** `end-of-life-date`, informational in Azure; unset when not given. */
  readonly endOfLife?: EndOfLifeSetting;
  /** `tags` for the version. */
  readonly tags: Readonly<Record<string, string>>;
  /** `if-exists`: what to do when the version name is taken. */
  readonly ifExists: IfExistsPolicy;
  /** `sharing` and the community gallery inputs. */
  readonly sharing: SharingSettings;
  /** `timeout-minutes`: the whole publish, replication included, 1-1440. */
  readonly timeoutMinutes: number;
  /** `poll-interval-seconds`: how often replication progress is read and logged, 1-600. */
  readonly pollIntervalSeconds: number;
  /** `source-sha256`: the VHD's SHA-256 when the caller knows it (64 hex digits). */
  readonly sourceSha256?: string;
}
