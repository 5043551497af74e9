/**
 * The test VM for an image: a size that can boot it, the security profile and disk controller
 * its definition asks for (so Trusted Launch, confidential and gen2 images boot as users will
 * boot them), and the network and VM request bodies. No public IP: checks run through Run
 * Command, which needs none.
 */
import { createHash, generateKeyPair, randomBytes } from 'node:crypto';
import { promisify } from 'node:util';
import type { ImageFacts } from '../image.js';

export type VmSecurityType = 'Standard' | 'TrustedLaunch' | 'ConfidentialVM';

export interface VmPlan {
  readonly size: string;
  readonly securityType: VmSecurityType;
  /** Set only when the image needs NVMe; SCSI is Azure's default. */
  readonly diskControllerType?: 'NVMe';
}

/** Sizes that boot each kind of image and are offered in most regions. */
export const DEFAULT_VM_SIZES = {
  /** Gen1 and gen2. */
  V1: 'Standard_D2s_v3',
  V2: 'Standard_D2s_v5',
  Arm64: 'Standard_D2ps_v5',
  ConfidentialVM: 'Standard_DC2as_v5',
} as const;

const TRUSTED = [
  'TrustedLaunch',
  'TrustedLaunchSupported',
  'TrustedLaunchAndConfidentialVmSupported',
];
const CONFIDENTIAL = ['ConfidentialVM', 'ConfidentialVmSupported'];

/** The VM the definition calls for; `vmSize` (the `vm-size` input) overrides the size. */
export function planVm(image: ImageFacts, vmSize: string | undefined): VmPlan {
  // An image that supports both is tested as Trusted Launch: cheaper and in every region.
  const securityType: VmSecurityType = TRUSTED.includes(image.securityType)
    ? 'TrustedLaunch'
    : CONFIDENTIAL.includes(image.securityType)
      ? 'ConfidentialVM'
      : 'Standard';
  const size =
    vmSize ??
    (securityType === 'ConfidentialVM'
      ? DEFAULT_VM_SIZES.ConfidentialVM
      : image.architecture === 'Arm64'
        ? DEFAULT_VM_SIZES.Arm64
        : DEFAULT_VM_SIZES[image.hyperVGeneration]);
  const nvme = image.diskControllerTypes.includes('NVMe');
  const nvmeOnly = nvme && !image.diskControllerTypes.includes('SCSI');
  // v6 sizes have NVMe controllers only; elsewhere SCSI works for every image that lists it.
  const needsNvme = nvmeOnly || (nvme && /_v[6-9]$/i.test(size));
  return { size, securityType, ...(needsNvme ? { diskControllerType: 'NVMe' as const } : {}) };
}

/** Names of what validation creates inside its resource group. */
export const VM_NAMES = {
  vm: 'cga-validate',
  vnet: 'cga-validate-vnet',
  subnet: 'default',
  nic: 'cga-validate-nic',
  /** Linux admin user and Windows computer name (at most 15 characters). */
  user: 'cgavalidate',
} as const;

/** Credentials for the VM's OS profile; nobody logs in, but Azure wants one of them. */
export interface VmCredentials {
  /** Linux: an OpenSSH public key whose private half was never kept. */
  readonly sshPublicKey?: string;
  /** Windows: a random password, to be masked before anything could print it. */
  readonly adminPassword?: string;
}

export async function vmCredentials(osType: ImageFacts['osType']): Promise<VmCredentials> {
  if (osType === 'Windows') {
    // 24 random characters from four classes satisfy Azure's complexity rule.
    return { adminPassword: `${randomBytes(18).toString('base64url')}aA1!` };
  }
  return { sshPublicKey: await throwawaySshKey() };
}

/** An `ssh-rsa` public key in OpenSSH form; the private key is discarded. */
export async function throwawaySshKey(): Promise<string> {
  const { publicKey } = await promisify(generateKeyPair)('rsa', { modulusLength: 3072 });
  const jwk = publicKey.export({ format: 'jwk' });
  const mpint = (b64url: string): Buffer => {
    const bytes = Buffer.from(b64url, 'base64url');
    return bytes[0]! & 0x80 ? Buffer.concat([Buffer.from([0]), bytes]) : bytes;
  };
  const field = (data: Buffer): Buffer => {
    const length = Buffer.alloc(4);
    length.writeUInt32BE(data.length);
    return Buffer.concat([length, data]);
  };
  const blob = Buffer.concat([
    field(Buffer.from('ssh-rsa')),
    field(mpint(jwk.e!)),
    field(mpint(jwk.n!)),
  ]);
  return `ssh-rsa ${blob.toString('base64')} compute-gallery-actions-validate`;
}

type Json = Record<string, unknown>;

/** The VNet with one subnet (no NSG, no public IP: nothing listens from outside). */
export function vnetBody(location: string, tags: Record<string, string>): Json {
  return {
    location,
    tags,
    properties: {
      addressSpace: { addressPrefixes: ['10.99.0.0/24'] },
      subnets: [{ name: VM_NAMES.subnet, properties: { addressPrefix: '10.99.0.0/26' } }],
    },
  };
}

export function nicBody(location: string, subnetId: string, tags: Record<string, string>): Json {
  return {
    location,
    tags,
    properties: {
      ipConfigurations: [
        {
          name: 'ipconfig1',
          properties: { privateIPAllocationMethod: 'Dynamic', subnet: { id: subnetId } },
        },
      ],
    },
  };
}

/** The VM request in the SDK's (flattened) model. */
export function vmBody(
  image: ImageFacts & { region: string },
  plan: VmPlan,
  nicId: string,
  credentials: VmCredentials,
  tags: Record<string, string>,
): Json {
  const confidential = plan.securityType === 'ConfidentialVM';
  const osProfile =
    image.osType === 'Windows'
      ? {
          computerName: VM_NAMES.user,
          adminUsername: VM_NAMES.user,
          adminPassword: credentials.adminPassword,
          windowsConfiguration: { provisionVMAgent: true, enableAutomaticUpdates: false },
        }
      : {
          computerName: VM_NAMES.user,
          adminUsername: VM_NAMES.user,
          linuxConfiguration: {
            disablePasswordAuthentication: true,
            provisionVMAgent: true,
            ssh: {
              publicKeys: [
                {
                  path: `/home/${VM_NAMES.user}/.ssh/authorized_keys`,
                  keyData: credentials.sshPublicKey,
                },
              ],
            },
          },
        };
  return {
    location: image.region,
    tags,
    hardwareProfile: { vmSize: plan.size },
    storageProfile: {
      imageReference: { id: image.id },
      osDisk: {
        createOption: 'FromImage',
        caching: 'ReadWrite',
        deleteOption: 'Delete',
        managedDisk: {
          storageAccountType: 'StandardSSD_LRS',
          ...(confidential
            ? { securityProfile: { securityEncryptionType: 'VMGuestStateOnly' } }
            : {}),
        },
      },
      ...(plan.diskControllerType ? { diskControllerType: plan.diskControllerType } : {}),
    },
    osProfile,
    ...(plan.securityType === 'Standard'
      ? {}
      : {
          securityProfile: {
            securityType: plan.securityType,
            uefiSettings: { secureBootEnabled: true, vTpmEnabled: true },
          },
        }),
    networkProfile: { networkInterfaces: [{ id: nicId, primary: true, deleteOption: 'Delete' }] },
    diagnosticsProfile: { bootDiagnostics: { enabled: true } },
  };
}

/** Facts of the run a resource group or cluster is named after. */
export interface RunIdentity {
  /** GITHUB_RUN_ID, or a timestamp outside Actions. */
  readonly runId: string;
  readonly attempt: string;
  /** Tells matrix legs and steps of one run apart. */
  readonly discriminator: string;
  /** The run's URL, for tags. */
  readonly url?: string;
}

export function runIdentity(env: NodeJS.ProcessEnv, now: Date): RunIdentity {
  const runId = env.GITHUB_RUN_ID ?? `local${now.getTime()}`;
  const { GITHUB_SERVER_URL, GITHUB_REPOSITORY } = env;
  return {
    runId,
    attempt: env.GITHUB_RUN_ATTEMPT ?? '1',
    discriminator: [env.GITHUB_JOB, env.GITHUB_ACTION].filter(Boolean).join('/'),
    ...(GITHUB_REPOSITORY && env.GITHUB_RUN_ID
      ? {
          url: `${GITHUB_SERVER_URL ?? 'https://github.com'}/${GITHUB_REPOSITORY}/actions/runs/${runId}`,
        }
      : {}),
  };
}

/**
 * The resource group of one validation: `cga-validate-<run>-<attempt>-<definition>-<version>-<hash>`,
 * where the hash tells apart matrix legs and modes validating in the same run. At most 90
 * characters (the definition is shortened when needed).
 */
export function resourceGroupName(run: RunIdentity, image: ImageFacts, mode: string): string {
  const hash = createHash('sha256')
    .update(`${run.discriminator}|${image.id.toLowerCase()}|${mode}`)
    .digest('hex')
    .slice(0, 6);
  const fixed = `cga-validate-${run.runId}-${run.attempt}--${image.ref.version}-${hash}`;
  const definition = image.ref.imageDefinition
    .slice(0, Math.max(0, 90 - fixed.length))
    .replace(/[.-]+$/, '');
  return `cga-validate-${run.runId}-${run.attempt}-${definition}-${image.ref.version}-${hash}`;
}

/** Tags on everything validation creates, so a sweep can find leftovers. */
export function validationTags(
  run: RunIdentity,
  image: ImageFacts,
  rg: string,
): Record<string, string> {
  return {
    'managed-by': 'compute-gallery-actions',
    purpose: 'validate-cluster',
    'validation-id': rg,
    'image-version-id': image.id.slice(0, 256),
    ...(run.url ? { run: `${run.url}/attempts/${run.attempt}` } : {}),
  };
}
