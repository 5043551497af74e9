/**
 * Whether a VM can be made from a gallery image: VM size against the image's Hyper-V generation
 * and architecture, the VM's security profile against the definition's `SecurityType` feature,
 * and the disk controller against `DiskControllerTypes`. Azure refuses these combinations when
 * the VM is created (400), before anything is allocated; so does the stand-in.
 */
import { ArmError } from './http.js';
import type { StoredResource } from './store.js';

type Json = Record<string, unknown>;

/** What a VM size name tells: `Standard_<family><vCPUs><features>[_v<N>]`. */
export interface SizeFacts {
  generations: ('V1' | 'V2')[];
  arm64: boolean;
  confidential: boolean;
  /** v6 sizes have NVMe disk controllers only. */
  nvmeOnly: boolean;
}

const SIZE = /^(Standard|Basic)_([A-Z]+)(\d+)(-\d+)?([a-z]*)(?:_(v\d+))?(?:_Promo)?$/i;

export function sizeFacts(size: string): SizeFacts {
  const m = SIZE.exec(size);
  if (!m) {
    throw new ArmError(
      400,
      'InvalidParameter',
      `The value ${size} provided for the VM size is not valid. The valid sizes in the current region are listed by 'az vm list-sizes'.`,
      'hardwareProfile.vmSize',
    );
  }
  const family = m[2]!.toUpperCase();
  const features = m[5] ?? '';
  const version = Number((m[6] ?? 'v1').slice(1));
  const arm64 = features.includes('p');
  const confidential = /^(DC|EC)$/.test(family) && /[ae]/.test(features) && version >= 5;
  const v1Only = m[1]!.toLowerCase() === 'basic' || family === 'A';
  const v2Only = arm64 || confidential || version >= 6;
  return {
    generations: v1Only ? ['V1'] : v2Only ? ['V2'] : ['V1', 'V2'],
    arm64,
    confidential,
    nvmeOnly: version >= 6,
  };
}

function feature(image: StoredResource, name: string): string | undefined {
  const features = (image.properties.features ?? []) as { name: string; value: string }[];
  return features.find((f) => f.name.toLowerCase() === name.toLowerCase())?.value;
}

const TRUSTED = [
  'TrustedLaunch',
  'TrustedLaunchSupported',
  'TrustedLaunchAndConfidentialVmSupported',
];
const CONFIDENTIAL = [
  'ConfidentialVM',
  'ConfidentialVmSupported',
  'TrustedLaunchAndConfidentialVmSupported',
];

/** Checks a VM body against the image definition `image`; throws Azure's 400 when they misfit. */
export function checkVmAgainstImage(
  props: Json,
  image: StoredResource,
): { diskControllerType: string } {
  const size = String(((props.hardwareProfile ?? {}) as Json).vmSize ?? '');
  const facts = sizeFacts(size);
  const generation = String(image.properties.hyperVGeneration ?? 'V1') as 'V1' | 'V2';
  if (!facts.generations.includes(generation)) {
    const digit = generation.slice(1);
    throw new ArmError(
      400,
      'BadRequest',
      `The selected VM size '${size}' cannot boot Hypervisor Generation '${digit}'. If this was a Create operation please check that the Hypervisor Generation of the Image matches the Hypervisor Generation of the selected VM Size. If this was an Update operation please select a Hypervisor Generation '${digit}' VM Size.`,
    );
  }
  const arch = String(image.properties.architecture ?? 'x64');
  if ((arch === 'Arm64') !== facts.arm64) {
    throw new ArmError(
      400,
      'BadRequest',
      `The selected VM size '${size}' cannot boot an image of architecture '${arch}'. Choose a VM size with ${arch === 'Arm64' ? 'an Arm64' : 'an x64'} processor.`,
      'hardwareProfile.vmSize',
    );
  }
  checkSecurity(props, image, size, facts, generation);
  return { diskControllerType: diskController(props, image, size, facts) };
}

function checkSecurity(
  props: Json,
  image: StoredResource,
  size: string,
  facts: SizeFacts,
  generation: string,
): void {
  const security = (props.securityProfile ?? {}) as Json;
  const vmType = String(security.securityType ?? 'Standard');
  const imageType = feature(image, 'SecurityType') ?? 'Standard';
  const refuse = (why: string): never => {
    throw new ArmError(400, 'BadRequest', why, 'securityProfile.securityType');
  };
  if (vmType === 'Standard') {
    if (imageType === 'TrustedLaunch' || imageType === 'ConfidentialVM') {
      refuse(
        `Gallery image '${image.name}' has security type '${imageType}' and can only be used by VMs of that security type; the VM's security type is 'Standard'.`,
      );
    }
    return;
  }
  if (generation !== 'V2') {
    refuse(
      `Security type '${vmType}' needs a Hyper-V generation 2 image; gallery image '${image.name}' is generation 1.`,
    );
  }
  if (vmType === 'TrustedLaunch') {
    if (!TRUSTED.includes(imageType)) {
      refuse(
        `Security type 'TrustedLaunch' of the VM is not supported by gallery image '${image.name}', whose security type is '${imageType}'. Use an image definition with SecurityType TrustedLaunchSupported, TrustedLaunch or TrustedLaunchAndConfidentialVmSupported.`,
      );
    }
    return;
  }
  if (vmType === 'ConfidentialVM') {
    if (!CONFIDENTIAL.includes(imageType)) {
      refuse(
        `Security type 'ConfidentialVM' of the VM is not supported by gallery image '${image.name}', whose security type is '${imageType}'. Use an image definition with SecurityType ConfidentialVmSupported, ConfidentialVM or TrustedLaunchAndConfidentialVmSupported.`,
      );
    }
    if (!facts.confidential) {
      throw new ArmError(
        400,
        'BadRequest',
        `The VM size '${size}' is not supported for security type 'ConfidentialVM'. Use a confidential VM size such as Standard_DC2as_v5.`,
        'hardwareProfile.vmSize',
      );
    }
    const osDisk = ((props.storageProfile ?? {}) as Json).osDisk as Json | undefined;
    const disk = (((osDisk?.managedDisk ?? {}) as Json).securityProfile ?? {}) as Json;
    if (!disk.securityEncryptionType) {
      throw new ArmError(
        400,
        'InvalidParameter',
        "Required parameter 'securityEncryptionType' is missing (null). A confidential VM needs storageProfile.osDisk.managedDisk.securityProfile.securityEncryptionType (VMGuestStateOnly or DiskWithVMGuestState).",
        'storageProfile.osDisk.managedDisk.securityProfile.securityEncryptionType',
      );
    }
    return;
  }
  refuse(
    `The value '${vmType}' of parameter 'securityProfile.securityType' is not valid. Allowed values are 'TrustedLaunch', 'ConfidentialVM'.`,
  );
}

function diskController(
  props: Json,
  image: StoredResource,
  size: string,
  facts: SizeFacts,
): string {
  const requested = ((props.storageProfile ?? {}) as Json).diskControllerType as string | undefined;
  const supported = (feature(image, 'DiskControllerTypes') ?? 'SCSI')
    .split(/[\s,]+/)
    .filter(Boolean);
  const effective = requested ?? (facts.nvmeOnly && supported.includes('NVMe') ? 'NVMe' : 'SCSI');
  if (effective === 'SCSI' && facts.nvmeOnly) {
    throw new ArmError(
      400,
      'BadRequest',
      `The VM size '${size}' supports only the NVMe disk controller, and gallery image '${image.name}' does not declare NVMe in its DiskControllerTypes feature.`,
      'storageProfile.diskControllerType',
    );
  }
  if (!supported.includes(effective)) {
    throw new ArmError(
      400,
      'InvalidParameter',
      `Disk controller type '${effective}' is not supported by gallery image '${image.name}' (DiskControllerTypes: ${supported.join(', ')}).`,
      'storageProfile.diskControllerType',
    );
  }
  return effective;
}
