/**
 * What every builder shares: the context a build runs in (credential, tools, time, provenance)
 * and what a builder hands back. Kept apart from build.ts so the builders need not import the
 * module that dispatches to them.
 */
import type { StagingApi } from '../packer/staging-version.js';
import type { RunCommand, StreamCommand } from '../../common/exec.js';
import type { Logger } from '../../common/logger.js';
import type { Provenance } from '../../common/provenance.js';
import type { BuildManifest } from '../manifest.js';
import type { PackerSignInRequest } from '../packer/sign-in.js';
import type { Fetch } from '../source.js';
import type { PageBlobTarget } from '../upload/page-blob.js';
import type { RetryPolicy } from '../upload/upload.js';
import type { QemuImg } from '../vhd/qemu-img.js';
import type { BuildRequest } from './request.js';

export type { Provenance } from '../../common/provenance.js';

export interface BuildContext {
  readonly logger: Logger;
  /** Scratch space for downloads and conversions. */
  readonly workDir: string;
  /** Where the manifest is written. */
  readonly manifestDir: string;
  /** The page blob at a URL, signed in with the Entra credential. */
  readonly pageBlob: (url: string) => PageBlobTarget;
  readonly provenance: Provenance;
  readonly now?: () => Date;
  readonly qemu?: QemuImg;
  readonly fetch?: Fetch;
  readonly retry?: Partial<RetryPolicy>;
  readonly progressIntervalMs?: number;
  /** How Packer signs in to Azure (image-builder, packer). */
  readonly signIn?: PackerSignInRequest;
  /** The environment builds inherit; process.env in the action. */
  readonly env?: NodeJS.ProcessEnv;
  readonly stream?: StreamCommand;
  readonly run?: RunCommand;
  /** How often the Azure CLI session is renewed during an OIDC image-builder build. */
  readonly cliRefreshMs?: number;
  /**
   * The staging gallery, for image-builder: an existing version decided on before the build
   * (`if-exists`), the captured managed image deleted once the version holds its bits.
   */
  readonly staging?: StagingApi;
}

/** The image as built: every field an output. */
export interface BuiltImage {
  readonly definition: string;
  readonly version: string;
  readonly osType: string;
  readonly hyperVGeneration: string;
}

export interface BuildResult {
  readonly image: BuiltImage;
  readonly vhd?: {
    readonly uri: string;
    readonly storageAccountId: string;
    /** Empty when not computed: a streamed disk without `full-sha256`. */
    readonly sha256: string;
    /** `content-v1:<hex>` of a streamed disk. */
    readonly contentDigest?: string;
    readonly size: number;
    readonly dataBytes: number;
    readonly bytesSent: number;
    readonly ms: number;
    readonly reused: boolean;
    readonly replacedPartial: boolean;
  };
  readonly managedImageId?: string;
  readonly imageVersionId?: string;
  readonly manifestPath: string;
  readonly manifest: BuildManifest;
}

/** What a builder found out, before the manifest is written. */
export type BuilderOutcome = Omit<BuildResult, 'manifestPath' | 'manifest'> & {
  readonly manifest: Partial<BuildManifest>;
};

/** The image identity a builder must have by now; inputs guarantee it for `disk`. */
export function identity(settings: BuildRequest): BuiltImage {
  const { definition, version, osType, hyperVGeneration } = settings.image;
  if (!definition || !version || !osType || !hyperVGeneration) {
    throw new Error(`The image is not fully named: ${JSON.stringify(settings.image)}.`);
  }
  return { definition, version, osType, hyperVGeneration };
}
