/**
 * What build-image asks a builder to do, as its inputs say once read and checked. The action's
 * reader (src/actions/build-image/inputs.ts) produces it; the builders only read it.
 */
import type { IfExists } from '../packer/staging-version.js';
import type { HyperVGeneration, OsType } from '../../gallery/names.js';
import type { Checksum } from '../source.js';
import type { BlobContainerLocation } from '../upload/blob-location.js';

export const BUILDERS = ['image-builder', 'packer', 'disk', 'stemcell'] as const;
export type Builder = (typeof BUILDERS)[number];

/** What the image is called and is, as far as the inputs tell (builders may fill in more). */
export interface ImageIdentity {
  /** Gallery image definition name. */
  readonly definition?: string;
  /** Gallery image version name `Major.Minor.Patch`. */
  readonly version?: string;
  readonly osType?: OsType;
  readonly hyperVGeneration?: HyperVGeneration;
}

/** Where `disk` and `stemcell` upload the VHD. */
export interface UploadSettings {
  /** `blob-container-url`, split into account and container. */
  readonly container: BlobContainerLocation;
  /** `blob-name`; unset: `<image-definition>-<image-version>.vhd`. */
  readonly blobName?: string;
  /** `storage-account-id`, or built from subscription-id, resource-group and the URL. */
  readonly storageAccountId: string;
  /** `upload-concurrency`: page writes in flight, 1-64. */
  readonly concurrency: number;
  /**
   * `full-sha256`: also hash the whole VHD, zeros included, when a disk is streamed (a VHD
   * file uploaded as it is, a stemcell's, is always hashed).
   */
  readonly fullSha256?: boolean;
}

/** `source-disk` and `source-checksum`. */
export interface SourceSettings {
  /** A path or an https URL. */
  readonly location: string;
  readonly checksum?: Checksum;
}

export type BuilderSettings =
  | {
      readonly kind: 'image-builder';
      /** `image-builder-path`: a checkout of kubernetes-sigs/image-builder. */
      readonly path: string;
      /** `kubernetes-deb-version`, e.g. `1.31.2-1.1`; unset: read from pkgs.k8s.io. */
      readonly debVersion?: string;
      /** `skip-kube-proxy-check`: Windows targets skip the kube-proxy image check. */
      readonly skipKubeProxyCheck: boolean;
      /** `if-exists`: what to do, before the build, about a staging version that exists. */
      readonly ifExists: IfExists;
      readonly location: string;
      readonly resourceGroup: string;
      readonly gallery: string;
    }
  | {
      readonly kind: 'packer';
      /** `packer-template`: a file or directory of the user's own template. */
      readonly template: string;
      /** `packer-vars`: key=value lines, passed as `-var key=value`. */
      readonly vars: Readonly<Record<string, string>>;
      readonly location?: string;
      readonly resourceGroup?: string;
      readonly gallery?: string;
    }
  | { readonly kind: 'disk'; readonly source: SourceSettings; readonly upload: UploadSettings }
  | { readonly kind: 'stemcell'; readonly source: SourceSettings; readonly upload: UploadSettings };

/** What a build needs: build-image's inputs, read and checked. */
export interface BuildRequest {
  /** The subscription Packer builds in. */
  readonly azure: { readonly subscriptionId: string };
  /** `builder`. */
  readonly builder: BuilderSettings;
  /** `kubernetes-version` as given (`v1.31.2` or `1.31.2`). */
  readonly kubernetesVersion?: string;
  /** `os`: the OS target, e.g. `ubuntu-2404-gen2`. */
  readonly os?: string;
  /** From `image-definition`, `image-version`, `os-type`, `hyper-v-generation` and `os`. */
  readonly image: ImageIdentity;
  /** `resource-group`: the gallery's, and by default the storage account's. */
  readonly resourceGroup?: string;
  /** Inputs given that this builder has no use for; the action warns about each. */
  readonly ignoredInputs: readonly string[];
}
