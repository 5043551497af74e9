/**
 * Microsoft.Compute virtual machines made from gallery image versions, with their OS disks:
 * create (checked as Azure checks it: the image exists and is replicated to the VM's region,
 * generation / architecture / security type / disk controller fit, the NICs exist and are free,
 * an OS profile Azure accepts), instance view, Run Command, boot diagnostics, delete. What the
 * guest does (boot, answer commands) comes from the image version's guest profile
 * (emulator/guest.ts). Shapes follow the REST spec examples for virtualMachines and runCommand
 * and the VM the Azure CLI recorded.
 */
import { randomBytes, randomUUID } from 'node:crypto';
import { COMPUTE, seg, SUB, T } from './arm-core.js';
import type { ArmCore, Params, Route } from './arm-core.js';
import { NET, nicRefs, requireLiveRg } from './arm-network.js';
import { profileFor, serialConsoleLog } from './guest.js';
import type { GuestProfile } from './guest.js';
import { runScript } from './guest-shell.js';
import { ArmError, changeNotAllowed } from './http.js';
import type { Req, Res } from './http.js';
import { normalizeRegion } from './regions.js';
import { replicatedTo } from './replication.js';
import { key } from './store.js';
import type { ResourceInternal, Store, StoredResource } from './store.js';
import { checkVmAgainstImage } from './vm-rules.js';

type Json = Record<string, unknown>;

export const VM = 'Microsoft.Compute/virtualMachines';
export const DISK = 'Microsoft.Compute/disks';

/** What the stand-in keeps about a VM's guest, beside ARM's view of it. */
interface VmInternal extends ResourceInternal {
  guest?: GuestProfile;
  imageVersionId?: string;
  hyperVGeneration?: string;
}
const internalOf = (vm: StoredResource): VmInternal => vm.internal as VmInternal;

/** Run Command keeps the last 4,096 bytes of each stream, as Azure does. */
const OUTPUT_LIMIT = 4096;

export function vmRoutes(core: ArmCore, r: Route): void {
  const V = `${COMPUTE}/virtualmachines`;
  const vmId = (m: Params): string =>
    core.canonical(`${core.rgId(m)}/providers/Microsoft.Compute/virtualMachines/${m.name}`);
  const diskId = (m: Params): string =>
    core.canonical(`${core.rgId(m)}/providers/Microsoft.Compute/disks/${m.name}`);
  const get = (m: Params): StoredResource => core.mustGet(vmId(m), 'virtualMachine');

  r('GET', `${SUB}/providers/microsoft\\.compute/virtualmachines`, (q, m) =>
    core.list(q, `/subscriptions/${m.sub}`, VM),
  );
  r('GET', V, (q, m) => core.list(q, core.rgId(m), VM));
  r('GET', `${V}/${seg('name')}`, (q, m) => ({
    status: 200,
    body: renderVm(core, get(m), q.query.get('$expand')),
  }));
  r('PUT', `${V}/${seg('name')}`, (q, m) => putVm(core, q, m, vmId(m)));
  r('DELETE', `${V}/${seg('name')}`, (q, m) => deleteVm(core, q, vmId(m)));
  r('GET', `${V}/${seg('name')}/instanceview`, (_q, m) => ({
    status: 200,
    body: instanceView(core, get(m)),
  }));
  r('POST', `${V}/${seg('name')}/runcommand`, (q, m) => runCommand(core, q, get(m)));
  r('POST', `${V}/${seg('name')}/retrievebootdiagnosticsdata`, (q, m) =>
    bootDiagnostics(q, get(m)),
  );

  r('GET', `${COMPUTE}/disks`, (q, m) => core.list(q, core.rgId(m), DISK));
  r('GET', `${COMPUTE}/disks/${seg('name')}`, (_q, m) => ({
    status: 200,
    body: renderDisk(core, core.mustGet(diskId(m), 'disk')),
  }));
  r('DELETE', `${COMPUTE}/disks/${seg('name')}`, (q, m) => {
    const owner = attachedTo(core, diskId(m));
    if (owner) {
      throw new ArmError(
        409,
        'OperationNotAllowed',
        `Disk ${m.name} is attached to VM ${owner.id}.`,
      );
    }
    return core.deleteResource(q, diskId(m), 'disk');
  });
}

// ---- create -------------------------------------------------------------------------------

const VM_NAME = /^[^\s\\/"[\]:|<>+=;,?*@&_][^\s\\/"[\]:|<>+=;,?*@&]{0,63}$/;
const RESERVED_USERS = [
  'admin',
  'administrator',
  'root',
  'guest',
  'user',
  'test',
  'sys',
  'support',
];

function putVm(core: ArmCore, req: Req, m: Params, id: string): Res {
  requireLiveRg(core, m);
  const name = m.name;
  if (!VM_NAME.test(name) || /[.-]$/.test(name)) {
    throw new ArmError(
      400,
      'InvalidParameter',
      "Virtual machine name cannot contain whitespace or special characters (\\/\"[]:|<>+=;,?*@&), begin with '_', end with '.' or '-', or be longer than 64 characters.",
      'vmName',
    );
  }
  const body = core.body(req);
  const location = core.location(body, VM);
  const props = (body.properties ?? {}) as Json;
  const existing = core.store.get(id);
  if (existing) return updateVm(core, req, existing, body, props);

  const storage = (props.storageProfile ?? {}) as Json;
  const { version, image } = resolveImage(core, (storage.imageReference ?? {}) as Json, location);
  const { diskControllerType } = checkVmAgainstImage(props, image);
  const osType = String(image.properties.osType) as 'Linux' | 'Windows';
  const osProfile = checkOsProfile(props.osProfile as Json | undefined, osType, name);
  const nics = checkNics(core, props, location, id);

  const guest = {
    ...profileFor(core.store, version.id, osType),
    computerName: String(osProfile.computerName),
  };
  const requestedDisk = (storage.osDisk ?? {}) as Json;
  const managed = (requestedDisk.managedDisk ?? {}) as Json;
  const diskName = String(
    requestedDisk.name ?? `${name}_OsDisk_1_${randomBytes(16).toString('hex')}`,
  );
  const diskId = `${core.rgId(m)}/providers/Microsoft.Compute/disks/${diskName}`;
  const sizeInGB = Number(
    ((version.properties.storageProfile as Json).osDiskImage as Json | undefined)?.sizeInGB ?? 30,
  );
  const osDisk = {
    osType,
    name: diskName,
    createOption: 'FromImage',
    caching: requestedDisk.caching ?? 'ReadWrite',
    managedDisk: {
      ...managed,
      storageAccountType: managed.storageAccountType ?? 'Premium_LRS',
      id: diskId,
    },
    deleteOption: requestedDisk.deleteOption ?? 'Detach',
    diskSizeGB: Math.max(sizeInGB, Number(requestedDisk.diskSizeGB ?? 0)),
  };
  const vm: StoredResource = {
    id,
    type: VM,
    name,
    location,
    properties: {
      hardwareProfile: props.hardwareProfile,
      provisioningState: 'Creating',
      vmId: randomUUID(),
      storageProfile: {
        imageReference: { id: (storage.imageReference as Json).id, exactVersion: version.name },
        osDisk,
        dataDisks: [],
        diskControllerType,
      },
      osProfile,
      securityProfile: props.securityProfile ?? { securityType: 'Standard' },
      networkProfile: { networkInterfaces: nics },
      ...(props.diagnosticsProfile ? { diagnosticsProfile: props.diagnosticsProfile } : {}),
      timeCreated: new Date().toISOString(),
    },
    internal: { createdAt: Date.now() },
  };
  Object.assign(internalOf(vm), {
    guest,
    imageVersionId: version.id,
    hyperVGeneration: String(image.properties.hyperVGeneration ?? 'V1'),
  });
  core.applyTags(vm, body);
  storeDisk(core, vm, diskId, osDisk, image, version);
  const bootMs = guest.boot.durationMs ?? core.settings.operationMs * 3;
  const failure = guest.boot.fails
    ? {
        code: guest.boot.code ?? 'OSProvisioningTimedOut',
        message:
          guest.boot.message ??
          `OS Provisioning for VM '${name}' did not finish in the allotted time. The VM may still finish provisioning successfully. Please check provisioning state later. Also, make sure the image has been properly prepared (generalized).`,
      }
    : undefined;
  return core.startWrite(req, vm, 'create', bootMs, failure);
}

/** A PUT on an existing VM: tags, size and diagnostics may change; the image and OS profile not. */
function updateVm(core: ArmCore, req: Req, vm: StoredResource, body: Json, props: Json): Res {
  core.assertIdle(vm);
  const storage = (props.storageProfile ?? {}) as Json;
  const image = storage.imageReference as Json | undefined;
  const current = (vm.properties.storageProfile as Json).imageReference as Json;
  if (image && key(String(image.id ?? '')) !== key(String(current.id))) {
    throw changeNotAllowed('imageReference');
  }
  if (props.hardwareProfile) vm.properties.hardwareProfile = props.hardwareProfile;
  if (props.diagnosticsProfile) vm.properties.diagnosticsProfile = props.diagnosticsProfile;
  core.applyTags(vm, body);
  return core.startWrite(req, vm, 'update', core.settings.operationMs);
}

const IMAGE_ID =
  /^\/subscriptions\/[^/]+\/resourceGroups\/[^/]+\/providers\/Microsoft\.Compute\/galleries\/[^/]+\/images\/[^/]+(\/versions\/[^/]+)?$/i;

/** The gallery version a VM boots: by version ID, or the latest of a definition. */
function resolveImage(
  core: ArmCore,
  ref: Json,
  location: string,
): { version: StoredResource; image: StoredResource } {
  const id = typeof ref.id === 'string' ? ref.id : '';
  if (!IMAGE_ID.test(id)) {
    throw new ArmError(
      400,
      'InvalidParameter',
      'The stand-in creates VMs from gallery image versions or definitions only: storageProfile.imageReference.id must be a gallery image version or image definition resource ID.',
      'storageProfile.imageReference',
    );
  }
  const notAvailable = (what: string): ArmError =>
    new ArmError(
      404,
      'GalleryImageNotFound',
      `The gallery image ${what} is not available in ${normalizeRegion(location)} region. Please contact image owner to replicate to this region, or change your requested region.`,
      'imageReference',
    );
  const definitionId = id.replace(/\/versions\/[^/]+$/i, '');
  const image = core.store.get(definitionId);
  if (!image || image.type !== T.image) throw notAvailable(id);
  const usable = (v: StoredResource): boolean =>
    !v.internal.deleting &&
    v.properties.provisioningState !== 'Failed' &&
    replicatedTo(v, location);
  if (/\/versions\//i.test(id)) {
    const version = core.store.get(id);
    if (!version || !usable(version)) throw notAvailable(id);
    return { version, image };
  }
  const candidates = core.store
    .children(image.id, T.version)
    .filter(
      (v) =>
        usable(v) &&
        (v.properties.publishingProfile as Json | undefined)?.excludeFromLatest !== true,
    )
    .sort((a, b) => compareVersionNames(b.name, a.name));
  if (!candidates[0]) throw notAvailable(`${id}/versions/latest`);
  return { version: candidates[0], image };
}

function compareVersionNames(a: string, b: string): number {
  const pa = a.split('.').map(Number);
  const pb = b.split('.').map(Number);
  for (let i = 0; i < 3; i++) if (pa[i] !== pb[i]) return (pa[i] ?? 0) - (pb[i] ?? 0);
  return 0;
}

/** The OS profile Azure accepts, as it returns it (no password). */
function checkOsProfile(raw: Json | undefined, osType: 'Linux' | 'Windows', vmName: string): Json {
  const invalid = (message: string, target: string): ArmError =>
    new ArmError(400, 'InvalidParameter', message, target);
  if (!raw) throw invalid("Required parameter 'osProfile' is missing (null).", 'osProfile');
  const user = String(raw.adminUsername ?? '');
  if (!user)
    throw invalid("Required parameter 'adminUsername' is missing (null).", 'adminUsername');
  if (RESERVED_USERS.includes(user.toLowerCase())) {
    throw invalid('The Admin Username specified is not allowed.', 'adminUsername');
  }
  const computerName = String(raw.computerName ?? vmName);
  if (osType === 'Windows' && computerName.length > 15) {
    throw invalid('Windows computer name cannot be more than 15 characters long.', 'computerName');
  }
  const { adminPassword, ...kept } = raw;
  const linux = (raw.linuxConfiguration ?? {}) as Json;
  if (osType === 'Linux') {
    const keys = (((linux.ssh ?? {}) as Json).publicKeys ?? []) as Json[];
    if (linux.disablePasswordAuthentication === true) {
      if (
        keys.length === 0 ||
        keys.some((k) => !/^(ssh-rsa|ssh-ed25519) [A-Za-z0-9+/=]+/.test(String(k.keyData)))
      ) {
        throw invalid(
          'Destination path for SSH public keys and an OpenSSH-format key (ssh-rsa or ssh-ed25519) are required when password authentication is disabled.',
          'linuxConfiguration.ssh.publicKeys',
        );
      }
    } else if (typeof adminPassword !== 'string' || !strongPassword(adminPassword)) {
      throw invalid(
        'The supplied password must be between 6-72 characters long and must satisfy at least 3 of password complexity requirements from the following: 1) Contains an uppercase character 2) Contains a lowercase character 3) Contains a numeric digit 4) Contains a special character 5) Control characters are not allowed',
        'adminPassword',
      );
    }
    return {
      ...kept,
      computerName,
      linuxConfiguration: {
        disablePasswordAuthentication: false,
        provisionVMAgent: true,
        ...linux,
      },
      secrets: [],
      allowExtensionOperations: true,
      requireGuestProvisionSignal: true,
    };
  }
  if (
    typeof adminPassword !== 'string' ||
    adminPassword.length < 12 ||
    !strongPassword(adminPassword)
  ) {
    throw invalid(
      'The supplied password must be between 12-123 characters long and must satisfy at least 3 of password complexity requirements from the following: 1) Contains an uppercase character 2) Contains a lowercase character 3) Contains a numeric digit 4) Contains a special character 5) Control characters are not allowed',
      'adminPassword',
    );
  }
  return {
    ...kept,
    computerName,
    windowsConfiguration: {
      provisionVMAgent: true,
      enableAutomaticUpdates: true,
      ...((raw.windowsConfiguration ?? {}) as Json),
    },
    secrets: [],
    allowExtensionOperations: true,
    requireGuestProvisionSignal: true,
  };
}

function strongPassword(p: string): boolean {
  const classes = [/[A-Z]/, /[a-z]/, /\d/, /[^A-Za-z0-9]/].filter((re) => re.test(p)).length;
  return (
    p.length >= 6 && p.length <= 123 && classes >= 3 && ![...p].some((c) => c.charCodeAt(0) < 0x20)
  );
}

/** Every NIC exists in the VM's region and is not another VM's. */
function checkNics(core: ArmCore, props: Json, location: string, vmId: string): Json[] {
  const refs = (((props.networkProfile ?? {}) as Json).networkInterfaces ?? []) as Json[];
  if (refs.length === 0) {
    throw new ArmError(
      400,
      'InvalidParameter',
      'At least one network interface is required: properties.networkProfile.networkInterfaces.',
      'networkProfile.networkInterfaces',
    );
  }
  return refs.map((ref) => {
    const nic = core.store.get(String(ref.id ?? ''));
    if (
      !nic ||
      nic.type !== NET.nic ||
      normalizeRegion(nic.location) !== normalizeRegion(location)
    ) {
      throw new ArmError(
        400,
        'InvalidResourceReference',
        `Resource ${String(ref.id)} referenced by resource ${vmId} was not found. Please make sure that the referenced resource exists, and that both resources are in the same region.`,
      );
    }
    const user = core.store
      .all()
      .find(
        (x) =>
          x.type === VM &&
          key(x.id) !== key(vmId) &&
          nicRefs(x).some((n) => key(n) === key(nic.id)),
      );
    if (user) {
      throw new ArmError(
        400,
        'NicInUse',
        `Network Interface ${nic.id} is used by existing resource ${user.id}. In order to use it for a new virtual machine, it must be dissociated from the resource.`,
      );
    }
    return { ...ref, id: nic.id };
  });
}

function storeDisk(
  core: ArmCore,
  vm: StoredResource,
  id: string,
  osDisk: Json,
  image: StoredResource,
  version: StoredResource,
): void {
  const type = String((osDisk.managedDisk as Json).storageAccountType);
  core.store.put({
    id,
    type: DISK,
    name: String(osDisk.name),
    location: vm.location,
    sku: { name: type, tier: type.startsWith('Premium') ? 'Premium' : 'Standard' },
    properties: {
      osType: osDisk.osType,
      hyperVGeneration: image.properties.hyperVGeneration ?? 'V1',
      creationData: { createOption: 'FromImage', galleryImageReference: { id: version.id } },
      diskSizeGB: osDisk.diskSizeGB,
      diskState: 'Attached',
      provisioningState: 'Succeeded',
      timeCreated: new Date().toISOString(),
    },
    internal: { createdAt: Date.now() },
  });
}

function attachedTo(core: ArmCore, diskId: string): StoredResource | undefined {
  return core.store.all().find((x) => {
    if (x.type !== VM) return false;
    const osDisk = ((x.properties.storageProfile ?? {}) as Json).osDisk as Json | undefined;
    return key(String((osDisk?.managedDisk as Json | undefined)?.id ?? '')) === key(diskId);
  });
}

function renderDisk(core: ArmCore, disk: StoredResource): Json {
  const owner = attachedTo(core, disk.id);
  const out = core.render(disk);
  return {
    ...out,
    ...(owner ? { managedBy: owner.id } : {}),
    properties: { ...(out.properties as Json), diskState: owner ? 'Attached' : 'Unattached' },
  };
}

// ---- delete -------------------------------------------------------------------------------

/** Deletes the VM, and with it the OS disk and NICs whose deleteOption is Delete. */
function deleteVm(core: ArmCore, req: Req, id: string): Res {
  const vm = core.store.get(id);
  const res = core.deleteResource(req, id, 'virtualMachine');
  if (!vm || res.status !== 202) return res;
  const storage = (vm.properties.storageProfile ?? {}) as Json;
  const osDisk = (storage.osDisk ?? {}) as Json;
  const dependents = [
    ...(osDisk.deleteOption === 'Delete' ? [String((osDisk.managedDisk as Json).id)] : []),
    ...(((vm.properties.networkProfile as Json).networkInterfaces ?? []) as Json[])
      .filter((n) => ((n.properties ?? {}) as Json).deleteOption === 'Delete')
      .map((n) => String(n.id)),
  ];
  for (const dependent of dependents) {
    const r = core.store.get(dependent);
    if (r && !r.internal.deleting) core.deleteResource(req, dependent, 'dependent');
  }
  return res;
}

// ---- views --------------------------------------------------------------------------------

function renderVm(core: ArmCore, vm: StoredResource, expand: string | null): Json {
  const out = core.render(vm);
  if (expand?.toLowerCase() !== 'instanceview') return out;
  return {
    ...out,
    properties: { ...(out.properties as Json), instanceView: instanceView(core, vm) },
  };
}

const status = (code: string, level: string, displayStatus: string, extra: Json = {}): Json => ({
  code,
  level,
  displayStatus,
  ...extra,
});

/** The instance view, as the recorded VM shows it: provisioning and power state, agent, disks. */
function instanceView(core: ArmCore, vm: StoredResource): Json {
  const inner = internalOf(vm);
  const guest = inner.guest;
  const state = String(vm.properties.provisioningState);
  const op = Object.values(core.store.world.operations).find(
    (o) => key(o.resourceId) === key(vm.id) && o.kind === 'create',
  );
  const bootedAt = new Date(op ? op.startedAt + op.durationMs : vm.internal.createdAt);
  const time = bootedAt.toISOString();
  const osDisk = ((vm.properties.storageProfile ?? {}) as Json).osDisk as Json;
  const statuses: Json[] = [];
  let agent: Json;
  if (state === 'Creating') {
    statuses.push(
      status('ProvisioningState/creating', 'Info', 'Creating'),
      status('PowerState/starting', 'Info', 'VM starting'),
    );
    agent = { vmAgentVersion: 'Unknown', statuses: [] };
  } else if (state === 'Failed') {
    const error = op?.error ?? {
      code: 'OSProvisioningTimedOut',
      message: 'OS Provisioning failed.',
    };
    statuses.push(
      status(`ProvisioningState/failed/${error.code}`, 'Error', 'Provisioning failed', {
        message: error.message,
        time,
      }),
      status('PowerState/running', 'Info', 'VM running'),
    );
    agent = {
      vmAgentVersion: 'Unknown',
      statuses: [
        status('ProvisioningState/Unavailable', 'Warning', 'Not Ready', {
          message: 'VM status blob is found but not yet populated.',
          time,
        }),
      ],
    };
  } else {
    statuses.push(
      status(
        `ProvisioningState/${state.toLowerCase()}`,
        'Info',
        `Provisioning ${state.toLowerCase()}`,
        { time },
      ),
      status('PowerState/running', 'Info', 'VM running'),
    );
    agent = {
      vmAgentVersion: guest?.osType === 'Windows' ? '2.7.41491.1102' : '2.12.0.2',
      statuses: [
        status('ProvisioningState/succeeded', 'Info', 'Ready', {
          message: 'Guest Agent is running',
          time,
        }),
      ],
      extensionHandlers: [],
    };
  }
  return {
    computerName: guest?.computerName,
    ...(state === 'Succeeded' ? { osName: guest?.osName, osVersion: guest?.osVersion } : {}),
    vmAgent: agent,
    disks: [
      {
        name: osDisk.name,
        statuses: [
          status('ProvisioningState/succeeded', 'Info', 'Provisioning succeeded', { time }),
        ],
      },
    ],
    hyperVGeneration: inner.hyperVGeneration ?? 'V1',
    statuses,
  };
}

// ---- Run Command and boot diagnostics -----------------------------------------------------

/** POST runCommand: 202 and an operation whose result is what the guest printed. */
function runCommand(core: ArmCore, req: Req, vm: StoredResource): Res {
  const body = core.body(req);
  const guest = internalOf(vm).guest;
  const os = guest?.osType ?? 'Linux';
  const commandId = String(body.commandId ?? '');
  const expected = os === 'Linux' ? 'RunShellScript' : 'RunPowerShellScript';
  if (commandId !== expected) {
    throw new ArmError(
      400,
      'InvalidParameter',
      `Run command '${commandId}' is not available for this VM (OS type ${os}); use '${expected}'.`,
      'commandId',
    );
  }
  const script = body.script;
  if (!Array.isArray(script) || script.some((l) => typeof l !== 'string')) {
    throw new ArmError(400, 'InvalidParameter', "'script' must be a list of lines.", 'script');
  }
  core.assertIdle(vm);
  const durationMs = guest?.runCommandMs ?? core.settings.operationMs;
  const dead = vm.properties.provisioningState !== 'Succeeded' || !guest || guest.boot.fails;
  const error = dead
    ? {
        code: 'VMAgentStatusCommunicationError',
        message: `VM '${vm.name}' has not reported status for VM agent or extensions. Verify that the OS is up and healthy, the VM has a running VM agent, and that it can establish outbound connections to Azure storage.`,
      }
    : undefined;
  const result =
    guest && !dead ? runCommandResult(os, runScript(script as string[], os, guest)) : undefined;
  const op = core.startOp(
    req,
    { kind: 'action', resourceId: vm.id, location: vm.location, durationMs, result, error },
    vm,
  );
  core.store.save();
  return { status: 202, headers: core.asyncHeaders(req, op, true) };
}

const tail = (text: string): string => {
  const bytes = Buffer.from(text, 'utf8');
  return bytes.length <= OUTPUT_LIMIT
    ? text
    : bytes.subarray(bytes.length - OUTPUT_LIMIT).toString('utf8');
};

/** `{value: [...]}`: Linux puts both streams in one message; Windows has one status per stream. */
function runCommandResult(
  os: 'Linux' | 'Windows',
  run: { stdout: string; stderr: string; exitCode: number },
): Json {
  if (os === 'Windows') {
    return {
      value: [
        status('ComponentStatus/StdOut/succeeded', 'Info', 'Provisioning succeeded', {
          message: tail(run.stdout),
        }),
        status('ComponentStatus/StdErr/succeeded', 'Info', 'Provisioning succeeded', {
          message: tail(run.stderr),
        }),
      ],
    };
  }
  const head =
    run.exitCode === 0
      ? 'Enable succeeded: '
      : `Enable failed: failed to execute command: command terminated with exit status=${run.exitCode}`;
  const code =
    run.exitCode === 0 ? 'ProvisioningState/succeeded' : `ProvisioningState/failed/${run.exitCode}`;
  return {
    value: [
      status(code, 'Info', run.exitCode === 0 ? 'Provisioning succeeded' : 'Provisioning failed', {
        message: `${head}\n[stdout]\n${tail(run.stdout)}\n[stderr]\n${tail(run.stderr)}`,
      }),
    ],
  };
}

/** POST retrieveBootDiagnosticsData: a (stand-in) blob URL of the serial console log. */
function bootDiagnostics(req: Req, vm: StoredResource): Res {
  const diag = ((vm.properties.diagnosticsProfile ?? {}) as Json).bootDiagnostics as
    Json | undefined;
  if (diag?.enabled !== true) {
    throw new ArmError(
      409,
      'OperationNotAllowed',
      `Boot diagnostics is not enabled for VM '${vm.name}'. Enable diagnosticsProfile.bootDiagnostics to retrieve its logs.`,
    );
  }
  const minutes = Number(req.query.get('sasUriExpirationTimeInMinutes') ?? 120);
  const expiry = new Date(Date.now() + minutes * 60_000).toISOString();
  const vmId = String(vm.properties.vmId);
  return {
    status: 200,
    body: {
      serialConsoleLogBlobUri: `${req.origin}/_emulator/boot-diagnostics/${vmId}/serialconsole.log?sv=2024-08-04&se=${encodeURIComponent(expiry)}&sr=b&sp=r&sig=${randomBytes(16).toString('hex')}`,
    },
  };
}

/** The serial console log of the VM with this `vmId` (for the admin route serving the blob). */
export function serialLogFor(store: Store, vmId: string): string | undefined {
  const vm = store
    .all()
    .find((x) => x.type === VM && String(x.properties.vmId).toLowerCase() === vmId.toLowerCase());
  const guest = vm && internalOf(vm).guest;
  return guest ? serialConsoleLog(guest, new Date(vm.internal.createdAt)) : undefined;
}
