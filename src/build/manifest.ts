/**
 * The build manifest: one JSON file per build saying what was built, from what, by which run.
 * build-image writes it and hands its path on as the `manifest` output; the workflow uploads it
 * as an artifact and publish-to-gallery's provenance tags carry the same facts.
 */
import { writeFile } from 'node:fs/promises';

export const MANIFEST_SCHEMA = 'compute-gallery-actions/build-manifest@1';

export interface BuildManifest {
  readonly schema: typeof MANIFEST_SCHEMA;
  readonly builder: string;
  /** As given, e.g. `v1.31.2`. */
  readonly kubernetesVersion?: string;
  /** The OS target, e.g. `ubuntu-2404-gen2`. */
  readonly os?: string;
  readonly image: {
    readonly definition: string;
    readonly version: string;
    readonly osType: string;
    readonly hyperVGeneration: string;
  };
  /** What was imported (disk and stemcell builders). */
  readonly source?: {
    readonly location: string;
    /** `sha256:<hex>` or `sha512:<hex>`, verified, when given. */
    readonly checksum?: string;
    /** qemu-img's name of the source format, or `stemcell`. */
    readonly format?: string;
    readonly virtualSize?: number;
  };
  /** The uploaded VHD (disk and stemcell builders). */
  readonly vhd?: {
    readonly uri: string;
    readonly storageAccountId: string;
    /** SHA-256 of the whole VHD; empty when not computed (a streamed disk, no `full-sha256`). */
    readonly sha256: string;
    /** `content-v1:<hex>` of a streamed disk. */
    readonly contentDigest?: string;
    readonly size: number;
    readonly bytesSent: number;
    readonly reused: boolean;
  };
  /** Packer's managed image (image-builder and packer builders). */
  readonly managedImageId?: string;
  /** The staging gallery version Packer published, when it did. */
  readonly imageVersionId?: string;
  readonly imageBuilder?: {
    readonly version?: string;
    readonly commit?: string;
    /** The kubelet/kubeadm/kubectl Debian package version installed. */
    readonly kubernetesDebVersion?: string;
  };
  readonly packer?: { readonly template: string };
  readonly stemcell?: { readonly name: string; readonly version: string; readonly os: string };
  readonly provenance: {
    readonly repository?: string;
    readonly commit?: string;
    readonly runUrl?: string;
    readonly workflow?: string;
  };
  /** ISO timestamps. */
  readonly startedAt: string;
  readonly finishedAt: string;
}

export async function writeManifest(path: string, manifest: BuildManifest): Promise<void> {
  await writeFile(path, `${JSON.stringify(manifest, null, 2)}\n`, { mode: 0o644 });
}
