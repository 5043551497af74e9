/**
 * What kubernetes-sigs/image-builder's Azure SIG goals do with names, restated from its sources
 * (read at image-builder ae63061, July 2026):
 *
 * - `images/capi/Makefile` (l. 544-554): `build-azure-sig-<target>` sources
 *   `packer/azure/scripts/init-sig.sh <target>` and then runs `packer build` with the var files
 *   `azure-sig.json` (or `-gen2`, `-cvm`) and `<target>.json`, then `PACKER_FLAGS`.
 * - `packer/azure/azure-sig*.json` (l. 2): `image_name` is
 *   `capi-<distribution>-<distribution_version>`, plus `-gen2` or `-cvm` for those goals.
 * - `packer/azure/packer-windows.json` (l. 45): Windows publishes to `<image_name>-<runtime>`
 *   (runtime `containerd`, from `windows-*.json` l. 12); `packer.json` (l. 49) publishes Linux
 *   to `<image_name>` itself.
 * - `packer/azure/scripts/init-sig.sh` (l. 63-138): the staging definition it creates is
 *   `${SIG_IMAGE_DEFINITION:-capi-<name>}` where `<name>` is the target, except
 *   `windows-2022-containerd-cvm` → `windows-2022-cvm-containerd` (l. 106-108) and Flatcar →
 *   `flatcar-<channel>-<version>[-gen2]` (l. 110-112, 135-137).
 *
 * So image-builder's own names agree with each other; they only break when a caller overrides
 * one (`image_name`) without the other, as this project once did for Windows.
 */
import { InputError } from '../../common/errors.js';

/** A target's names as image-builder gives them. */
export interface ImageBuilderNames {
  /** The make goal: `build-azure-sig-<os>`. */
  readonly goal: string;
  /** The definition init-sig.sh creates and Packer publishes to. */
  readonly definition: string;
  /** The runtime packer-windows.json appends to `image_name`; undefined for Linux. */
  readonly runtime?: string;
}

/** `flatcar` and `flatcar-gen2` read these from the environment (`flatcar*.json` l. 7-10). */
export interface FlatcarRelease {
  readonly channel: string;
  readonly version: string;
}

/**
 * image-builder's names for OS target `os`. Flatcar's definition carries the channel and
 * version (the Makefile defaults the channel to `stable` and resolves `FLATCAR_VERSION=current`
 * at run time, l. 372-379), so it is known beforehand only when the version is pinned.
 */
export function imageBuilderNames(
  os: string,
  flatcar?: Partial<FlatcarRelease>,
): ImageBuilderNames {
  const goal = `build-azure-sig-${os}`;
  if (os === 'windows-2022-containerd-cvm') {
    return { goal, definition: 'capi-windows-2022-cvm-containerd', runtime: 'containerd' };
  }
  if (os.startsWith('windows-')) return { goal, definition: `capi-${os}`, runtime: 'containerd' };
  if (os === 'flatcar' || os === 'flatcar-gen2') {
    const suffix = os === 'flatcar-gen2' ? '-gen2' : '';
    const definition =
      flatcar?.version && flatcar.version !== 'current'
        ? `capi-flatcar-${flatcar.channel || 'stable'}-${flatcar.version}${suffix}`
        : '';
    return { goal, definition };
  }
  return { goal, definition: `capi-${os}` };
}

/**
 * The `image_name` Packer must get so that it publishes to `definition`: the definition itself
 * for Linux; for Windows the definition without its `-<runtime>` suffix, which
 * packer-windows.json appends again.
 * @throws InputError naming `image-definition` when a Windows definition lacks the suffix.
 */
export function packerImageName(names: ImageBuilderNames, definition: string): string {
  if (!names.runtime) return definition;
  const suffix = `-${names.runtime}`;
  if (!definition.endsWith(suffix) || definition.length === suffix.length) {
    throw new InputError(
      'image-definition',
      definition,
      `image-builder's Windows template publishes to '<image_name>${suffix}', so a Windows ` +
        `definition must end with '${suffix}' (for example '${names.definition}').`,
    );
  }
  return definition.slice(0, -suffix.length);
}

/**
 * image-builder's Makefile sets `IB_VERSION ?= $(shell git describe --dirty)` (l. 45): no
 * `--tags`, no `--always`, so a checkout without annotated tags (a depth-1 clone) gives an
 * empty version, and the node role writes `/etc/image-builder-release` only when
 * `image_builder_version` or `image_builder_commit` is set (ansible/roles/node/tasks/main.yml
 * l. 138-149). `IB_COMMIT` is read only from the environment (packer.json l. 212).
 */
export const IB_VERSION_COMMAND = ['describe', '--dirty'] as const;

/**
 * The ansible-core image-builder pins: `_version_ansible_core="x.y.z"` in `hack/utils.sh`
 * (l. 18); `hack/ensure-ansible.sh` (l. 38-47) exits 2 when the installed one is older.
 */
export function pinnedAnsibleCore(utilsSh: string): string | undefined {
  return /^_version_ansible_core="?([0-9][0-9.]*)"?/m.exec(utilsSh)?.[1];
}

/** `ansible [core 2.16.3]` → `2.16.3`, as ensure-ansible.sh reads the third word. */
export function installedAnsibleCore(versionOutput: string): string | undefined {
  const words = versionOutput.trim().split(/\s+/);
  const third = words[2]?.replace(/\]$/, '');
  return third && /^\d+(\.\d+)*$/.test(third) ? third : undefined;
}

/** Numeric dotted comparison, as `sort -t. -k1,1 -k2,2n -k3,3n` orders them. */
export function compareDotted(a: string, b: string): number {
  const pa = a.split('.').map(Number);
  const pb = b.split('.').map(Number);
  for (let i = 0; i < Math.max(pa.length, pb.length); i++) {
    const d = (pa[i] ?? 0) - (pb[i] ?? 0);
    if (d !== 0) return d;
  }
  return 0;
}

/** `KEY=VALUE` lines of `/etc/image-builder-release` or `C:\image-builder-release.txt`. */
export interface ImageBuilderRelease {
  readonly version?: string;
  readonly commit?: string;
  readonly kubernetesVersion?: string;
  readonly buildDate?: string;
}

/** Reads the provenance file's lines (the node role writes four, Windows three). */
export function parseImageBuilderRelease(text: string): ImageBuilderRelease {
  const values = new Map<string, string>();
  for (const line of text.split(/\r?\n/)) {
    const m = /^\s*([A-Z_]+)=(.*?)\s*$/.exec(line);
    if (m) values.set(m[1]!, m[2]!);
  }
  const pick = (k: string): string | undefined => values.get(k) || undefined;
  const version = pick('IMAGE_BUILDER_VERSION');
  const commit = pick('IMAGE_BUILDER_COMMIT');
  const kubernetesVersion = pick('KUBERNETES_VERSION');
  const buildDate = pick('BUILD_DATE');
  return {
    ...(version ? { version } : {}),
    ...(commit ? { commit } : {}),
    ...(kubernetesVersion ? { kubernetesVersion } : {}),
    ...(buildDate ? { buildDate } : {}),
  };
}

/** Where the node role (Linux) and the systemprep role (Windows) write the provenance file. */
export const IMAGE_BUILDER_RELEASE_FILES = {
  Linux: '/etc/image-builder-release',
  Windows: 'C:\\image-builder-release.txt',
} as const;
