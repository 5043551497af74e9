/**
 * The OS targets kubernetes-sigs/image-builder can build for an Azure Compute Gallery, and what
 * each one becomes in the gallery. The lists are `images/capi/azure_targets.sh` (SIG_TARGETS,
 * SIG_GEN2_TARGETS, SIG_CVM_TARGETS) at image-builder ae63061 (July 2026); its Makefile makes a
 * `build-azure-sig-<target>` goal of each, with `-gen2` and `-cvm` appended for the latter two.
 */
import { InputError } from '../common/errors.js';
import { capzImageTarget, type CapzImageTarget } from '../gallery/names.js';

const SIG_TARGETS = [
  'ubuntu-2204',
  'ubuntu-2404',
  'ubuntu-2604',
  'azurelinux-3',
  'windows-2022-containerd',
  'windows-2025-containerd',
  'flatcar',
];
const SIG_GEN2_TARGETS = ['ubuntu-2204', 'ubuntu-2404', 'ubuntu-2604', 'azurelinux-3', 'flatcar'];
const SIG_CVM_TARGETS = ['ubuntu-2204', 'ubuntu-2404', 'windows-2022-containerd'];

/** Every `os` image-builder has a `build-azure-sig-<os>` goal for. */
export const IMAGE_BUILDER_OS_TARGETS: readonly string[] = [
  ...SIG_TARGETS,
  ...SIG_GEN2_TARGETS.map((t) => `${t}-gen2`),
  ...SIG_CVM_TARGETS.map((t) => `${t}-cvm`),
];

export function isImageBuilderTarget(os: string): boolean {
  return IMAGE_BUILDER_OS_TARGETS.includes(os);
}

/**
 * The CAPZ definition, OS type, generation and security type of a target image-builder knows.
 * @throws InputError naming `input` for any other value.
 */
export function knownOsTarget(os: string, input = 'os'): CapzImageTarget {
  if (!isImageBuilderTarget(os)) {
    throw new InputError(
      input,
      os,
      `image-builder has no Azure gallery target of that name. Expected one of: ${IMAGE_BUILDER_OS_TARGETS.join(', ')}.`,
    );
  }
  return capzImageTarget(os, input);
}
