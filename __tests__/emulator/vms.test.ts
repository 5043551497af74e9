/**
 * The stand-in's networks, VMs made from gallery versions, Run Command, boot diagnostics and guest
 * profiles, through the real @azure/arm-compute and @azure/arm-resources clients.
 */
import { afterAll, afterEach, beforeAll, describe, expect, it } from '@jest/globals';
import type { ComputeManagementClient, VirtualMachine } from '@azure/arm-compute';
import { ResourceManagementClient } from '@azure/arm-resources';
import { armRequest, startTestEmulator, SUBSCRIPTION } from '../helpers/emulator.js';
import type { TestEmulator } from '../helpers/emulator.js';
import { seedImageVersion } from '../helpers/gallery-seed.js';

const FAST = { updateIntervalInMs: 20 };
const NET_API = '2024-05-01';
const SSH_KEY = `ssh-rsa ${Buffer.from('not a real key').toString('base64')} test`;
let emu: TestEmulator;
let compute: ComputeManagementClient;
let resources: ResourceManagementClient;
let version: string;
let n = 0;

beforeAll(async () => {
  emu = await startTestEmulator();
  compute = emu.compute();
  resources = new ResourceManagementClient(emu.credential(), SUBSCRIPTION, {
    endpoint: emu.endpoint,
  });
  version = await seedImageVersion(emu, { securityType: 'TrustedLaunchSupported' });
});
afterAll(async () => {
  await emu?.dispose();
});
afterEach(async () => {
  await emu.admin('DELETE', '/guest-profiles');
});

const rgId = (rg: string): string => `/subscriptions/${SUBSCRIPTION}/resourceGroups/${rg}`;

/** A fresh resource group with a VNet, a subnet and a NIC in it; returns the NIC's ID. */
async function network(rg: string, location = 'westus2'): Promise<string> {
  await resources.resourceGroups.createOrUpdate(rg, { location });
  const vnet = `${rgId(rg)}/providers/Microsoft.Network/virtualNetworks/vnet`;
  // The SDK's path template is `/{+resourceId}`: an ID with its leading slash would make `//`.
  await resources.resources.createOrUpdateById(
    vnet.slice(1),
    NET_API,
    {
      location,
      properties: {
        addressSpace: { addressPrefixes: ['10.0.0.0/24'] },
        subnets: [{ name: 'default', properties: { addressPrefix: '10.0.0.0/26' } }],
      },
    },
    FAST,
  );
  const nic = `${rgId(rg)}/providers/Microsoft.Network/networkInterfaces/nic`;
  await resources.resources.createOrUpdateById(
    nic.slice(1),
    NET_API,
    {
      location,
      properties: {
        ipConfigurations: [
          { name: 'ipconfig1', properties: { subnet: { id: `${vnet}/subnets/default` } } },
        ],
      },
    },
    FAST,
  );
  return nic;
}

function vmBody(
  nic: string,
  overrides: Partial<VirtualMachine> = {},
  image = version,
): VirtualMachine {
  return {
    location: 'westus2',
    hardwareProfile: { vmSize: 'Standard_D2s_v5' },
    storageProfile: {
      imageReference: { id: image },
      osDisk: {
        createOption: 'FromImage',
        deleteOption: 'Delete',
        managedDisk: { storageAccountType: 'Standard_LRS' },
      },
    },
    osProfile: {
      computerName: 'cgavalidate',
      adminUsername: 'cga',
      linuxConfiguration: {
        disablePasswordAuthentication: true,
        ssh: { publicKeys: [{ path: '/home/cga/.ssh/authorized_keys', keyData: SSH_KEY }] },
      },
    },
    securityProfile: {
      securityType: 'TrustedLaunch',
      uefiSettings: { secureBootEnabled: true, vTpmEnabled: true },
    },
    networkProfile: { networkInterfaces: [{ id: nic, deleteOption: 'Delete', primary: true }] },
    diagnosticsProfile: { bootDiagnostics: { enabled: true } },
    ...overrides,
  };
}

/** The wire form of an SDK VM model, for raw requests. */
function wire(vm: VirtualMachine): Record<string, unknown> {
  const { location, networkProfile, ...properties } = vm;
  const networkInterfaces = (networkProfile?.networkInterfaces ?? []).map(({ id, ...p }) => ({
    id,
    properties: p,
  }));
  return { location, properties: { ...properties, networkProfile: { networkInterfaces } } };
}

/** A resource group with a network and a VM booted from `image`. */
async function bootedVm(image = version, overrides: Partial<VirtualMachine> = {}): Promise<string> {
  const rg = `rg-vm-${++n}`;
  const nic = await network(rg);
  await compute.virtualMachines.createOrUpdate(rg, 'vm', vmBody(nic, overrides, image), FAST);
  return rg;
}

async function run(rg: string, script: string[], commandId = 'RunShellScript'): Promise<string> {
  const result = await compute.virtualMachines.runCommand(rg, 'vm', { commandId, script }, FAST);
  return (result.value ?? []).map((s) => s.message ?? '').join('\n');
}

describe('virtual networks and network interfaces', () => {
  it('gives a NIC the first free address and shows it in the subnet', async () => {
    const nic = await network('rg-net');
    const got = await armRequest<{ properties: Record<string, unknown> }>(
      emu,
      'GET',
      nic,
      undefined,
      NET_API,
    );
    const config = (
      got.body.properties.ipConfigurations as { properties: Record<string, unknown> }[]
    )[0]!;
    expect(config.properties).toMatchObject({ privateIPAddress: '10.0.0.4', primary: true });
    expect(got.body.properties).not.toHaveProperty('virtualMachine');
    const subnet = await armRequest<{ properties: { ipConfigurations: { id: string }[] } }>(
      emu,
      'GET',
      `${rgId('rg-net')}/providers/Microsoft.Network/virtualNetworks/vnet/subnets/default`,
      undefined,
      NET_API,
    );
    expect(subnet.body.properties.ipConfigurations).toEqual([
      { id: `${nic}/ipConfigurations/ipconfig1` },
    ]);
  });

  it('refuses a subnet outside the address space, a public IP and a missing subnet', async () => {
    await resources.resourceGroups.createOrUpdate('rg-net-bad', { location: 'westus2' });
    const base = `${rgId('rg-net-bad')}/providers/Microsoft.Network`;
    const outside = await armRequest(
      emu,
      'PUT',
      `${base}/virtualNetworks/v`,
      {
        location: 'westus2',
        properties: {
          addressSpace: { addressPrefixes: ['10.0.0.0/24'] },
          subnets: [{ name: 's', properties: { addressPrefix: '10.1.0.0/26' } }],
        },
      },
      NET_API,
    );
    expect(outside.status).toBe(400);
    expect(outside.body).toMatchObject({ error: { code: 'NetcfgInvalidSubnet' } });
    const nic = (ipConfig: Record<string, unknown>) =>
      armRequest(
        emu,
        'PUT',
        `${base}/networkInterfaces/n`,
        {
          location: 'westus2',
          properties: { ipConfigurations: [{ name: 'c', properties: ipConfig }] },
        },
        NET_API,
      );
    expect(
      (await nic({ subnet: { id: `${base}/virtualNetworks/none/subnets/s` } })).body,
    ).toMatchObject({
      error: { code: 'InvalidResourceReference' },
    });
    await network('rg-net-bad');
    const withPublicIp = await nic({
      subnet: { id: `${base}/virtualNetworks/vnet/subnets/default` },
      publicIPAddress: { id: `${base}/publicIPAddresses/pip` },
    });
    expect(withPublicIp.status).toBe(400);
    expect(withPublicIp.body).toMatchObject({ error: { code: 'InvalidResourceReference' } });
  });
});

describe('virtual machines from gallery versions', () => {
  it('boots a Trusted Launch VM and reports it as the recorded VM looks', async () => {
    const rg = await bootedVm();
    const vm = await compute.virtualMachines.get(rg, 'vm', { expand: 'instanceView' });
    expect(vm.provisioningState).toBe('Succeeded');
    expect(vm.storageProfile?.imageReference).toMatchObject({
      id: version,
      exactVersion: '1.31.2',
    });
    expect(vm.storageProfile?.osDisk).toMatchObject({
      osType: 'Linux',
      createOption: 'FromImage',
      diskSizeGB: 30,
    });
    const raw = await armRequest<{ properties: { osProfile: object } }>(
      emu,
      'GET',
      vm.id!,
      undefined,
      '2024-11-01',
    );
    expect(raw.body.properties.osProfile).not.toHaveProperty('adminPassword');
    expect(vm.instanceView?.statuses?.map((s) => s.code)).toEqual([
      'ProvisioningState/succeeded',
      'PowerState/running',
    ]);
    expect(vm.instanceView).toMatchObject({
      computerName: 'cgavalidate',
      hyperVGeneration: 'V2',
      osName: 'ubuntu',
    });
    expect(vm.instanceView?.vmAgent?.statuses?.[0]).toMatchObject({ displayStatus: 'Ready' });
    const nic = await armRequest<{ properties: { virtualMachine?: { id: string } } }>(
      emu,
      'GET',
      vm.networkProfile!.networkInterfaces![0]!.id!,
      undefined,
      NET_API,
    );
    expect(nic.body.properties.virtualMachine?.id).toBe(vm.id);
    const disk = await armRequest(
      emu,
      'GET',
      vm.storageProfile!.osDisk!.managedDisk!.id!,
      undefined,
      '2024-03-02',
    );
    expect(disk.body).toMatchObject({ managedBy: vm.id, properties: { diskState: 'Attached' } });
  });

  it.each([
    [
      'a Trusted Launch VM from a Standard image',
      { securityType: 'Standard' },
      {},
      /not supported by gallery image/,
    ],
    [
      'a Trusted Launch VM from a V1 image',
      { hyperVGeneration: 'V1' as const },
      {},
      /generation 2/,
    ],
    [
      'a V2 image on a V1-only size',
      { securityType: 'TrustedLaunchSupported' },
      { hardwareProfile: { vmSize: 'Standard_A2_v2' } },
      /cannot boot Hypervisor Generation '2'/,
    ],
    [
      'a confidential VM on a size that is not confidential',
      { securityType: 'ConfidentialVmSupported' },
      { securityProfile: { securityType: 'ConfidentialVM' as const } },
      /not supported for security type 'ConfidentialVM'/,
    ],
    [
      'an Arm64 image on an x64 size',
      { architecture: 'Arm64' as const, securityType: 'TrustedLaunchSupported' },
      {},
      /architecture 'Arm64'/,
    ],
    [
      'a SCSI-only image on an NVMe-only size',
      { securityType: 'TrustedLaunchSupported' },
      { hardwareProfile: { vmSize: 'Standard_D2s_v6' } },
      /supports only the NVMe disk controller/,
    ],
  ])('refuses %s before creating anything', async (_title, image, overrides, message) => {
    const definition = `def-${++n}`;
    const id = await seedImageVersion(emu, { definition, ...image });
    const rg = `rg-vm-${++n}`;
    const nic = await network(rg);
    const res = await armRequest(
      emu,
      'PUT',
      `${rgId(rg)}/providers/Microsoft.Compute/virtualMachines/vm`,
      wire(vmBody(nic, overrides, id)),
      '2024-11-01',
    );
    expect(res.status).toBe(400);
    expect((res.body as { error: { message: string } }).error.message).toMatch(message);
    const left = await armRequest<{ value: unknown[] }>(
      emu,
      'GET',
      `${rgId(rg)}/providers/Microsoft.Compute/virtualMachines`,
      undefined,
      '2024-11-01',
    );
    expect(left.body.value).toEqual([]);
  });

  it('boots a confidential VM from a CVM image on a confidential size', async () => {
    const id = await seedImageVersion(emu, {
      definition: 'capi-ubuntu-2404-cvm',
      securityType: 'ConfidentialVmSupported',
    });
    const rg = await bootedVm(id, {
      hardwareProfile: { vmSize: 'Standard_DC2as_v5' },
      securityProfile: {
        securityType: 'ConfidentialVM',
        uefiSettings: { secureBootEnabled: true, vTpmEnabled: true },
      },
      storageProfile: {
        imageReference: { id },
        osDisk: {
          createOption: 'FromImage',
          managedDisk: {
            storageAccountType: 'Standard_LRS',
            securityProfile: { securityEncryptionType: 'VMGuestStateOnly' },
          },
        },
      },
    });
    expect((await compute.virtualMachines.get(rg, 'vm')).provisioningState).toBe('Succeeded');
  });

  it('answers GalleryImageNotFound for a region the version is not replicated to', async () => {
    const rg = `rg-vm-${++n}`;
    const nic = await network(rg, 'eastus');
    const res = await armRequest(
      emu,
      'PUT',
      `${rgId(rg)}/providers/Microsoft.Compute/virtualMachines/vm`,
      wire({ ...vmBody(nic), location: 'eastus' }),
      '2024-11-01',
    );
    expect(res.status).toBe(404);
    expect(res.body).toMatchObject({
      error: {
        code: 'GalleryImageNotFound',
        message: expect.stringContaining('is not available in eastus region'),
      },
    });
  });

  it('refuses a NIC another VM uses, and deleting a NIC in use', async () => {
    const rg = await bootedVm();
    const nic = `${rgId(rg)}/providers/Microsoft.Network/networkInterfaces/nic`;
    const second = await armRequest(
      emu,
      'PUT',
      `${rgId(rg)}/providers/Microsoft.Compute/virtualMachines/vm2`,
      wire(vmBody(nic)),
      '2024-11-01',
    );
    expect(second.body).toMatchObject({ error: { code: 'NicInUse' } });
    const del = await armRequest(emu, 'DELETE', nic, undefined, NET_API);
    expect(del.body).toMatchObject({ error: { code: 'NicInUse' } });
  });

  it('deletes the OS disk and NIC with the VM when their deleteOption is Delete', async () => {
    const rg = await bootedVm();
    await compute.virtualMachines.delete(rg, 'vm', FAST);
    const left = (await emu.admin<{ id: string }[]>('GET', '/resources')).filter((r) =>
      r.id.toLowerCase().startsWith(rgId(rg).toLowerCase() + '/'),
    );
    expect(left.map((r) => r.id.split('/').slice(-2).join('/')).sort()).toEqual([
      'subnets/default',
      'virtualNetworks/vnet',
    ]);
  });
});

describe('Run Command and guest profiles', () => {
  it('runs the bash subset against the default guest', async () => {
    const rg = await bootedVm();
    const out = await run(rg, [
      'set -o pipefail',
      "echo '<<<cga kubelet'",
      'kubelet --version 2>&1',
      'echo ">>>cga $?"',
      'systemctl is-enabled containerd',
      'kubeadm init --dry-run --kubernetes-version v1.31.2 2>&1 | tail -n 1',
      'echo "rc=$?"',
      'nosuchtool',
      'echo "rc=$?"',
    ]);
    expect(out).toBe(
      'Enable succeeded: \n[stdout]\n<<<cga kubelet\nKubernetes v1.31.2\n>>>cga 0\nenabled\n' +
        '[dryrun] Finished dry-running successfully. Above are the resources that would be created\n' +
        'rc=0\nrc=127\n\n[stderr]\nbash: line 1: nosuchtool: command not found\n',
    );
  });

  it('answers from the profile set for the image version', async () => {
    await emu.admin('POST', '/guest-profiles', {
      imageVersionId: version,
      profile: {
        versions: { kubelet: '1.31.1' },
        services: { kubelet: 'disabled' },
        cloudInit: 'error',
      },
    });
    const rg = await bootedVm();
    const out = await run(rg, [
      'kubelet --version',
      'systemctl is-enabled kubelet',
      'echo "rc=$?"',
      'cloud-init status --wait',
    ]);
    expect(out).toContain('[stdout]\nKubernetes v1.31.1\ndisabled\nrc=1\nstatus: error\n');
  });

  it('fails a script outside the subset loudly', async () => {
    const rg = await bootedVm();
    const out = await run(rg, ['echo $(hostname)']);
    expect(out).toMatch(/^Enable failed: .*exit status=2/);
    expect(out).toContain('stand-in shell: line 1: lists, subshells and background jobs');
  });

  it('runs PowerShell on a Windows guest, one status per stream', async () => {
    const id = await seedImageVersion(emu, {
      definition: 'capi-win-2022-containerd',
      osType: 'Windows',
      securityType: 'TrustedLaunchSupported',
    });
    const rg = `rg-vm-${++n}`;
    const nic = await network(rg);
    await compute.virtualMachines.createOrUpdate(
      rg,
      'vm',
      vmBody(
        nic,
        {
          osProfile: {
            computerName: 'cgavalidate',
            adminUsername: 'cga',
            adminPassword: 'Local-Passw0rd!x',
          },
        },
        id,
      ),
      FAST,
    );
    const result = await compute.virtualMachines.runCommand(
      rg,
      'vm',
      {
        commandId: 'RunPowerShellScript',
        script: [
          '$LASTEXITCODE = 127',
          '& kubelet.exe --version 2>&1',
          'Write-Output ">>>cga $LASTEXITCODE"',
          '& sc.exe qc kubelet | Select-Object -Last 3',
        ],
      },
      FAST,
    );
    expect(result.value?.map((s) => s.code)).toEqual([
      'ComponentStatus/StdOut/succeeded',
      'ComponentStatus/StdErr/succeeded',
    ]);
    expect(result.value?.[0]?.message).toContain('Kubernetes v1.31.2\n>>>cga 0\n');
    expect(result.value?.[0]?.message).toContain('START_TYPE         : 2   AUTO_START');
    const wrong = await armRequest(
      emu,
      'POST',
      `${rgId(rg)}/providers/Microsoft.Compute/virtualMachines/vm/runCommand`,
      { commandId: 'RunShellScript', script: ['true'] },
      '2024-11-01',
    );
    expect(wrong.status).toBe(400);
  });

  it('refuses a bad profile naming the field', async () => {
    await expect(
      emu.admin('POST', '/guest-profiles', {
        imageVersionId: version,
        profile: { versions: { kubelet: 'v1.31.2' } },
      }),
    ).rejects.toThrow(/versions.kubelet/);
    await expect(
      emu.admin('POST', '/guest-profiles', { imageVersionId: 'nope', profile: {} }),
    ).rejects.toThrow(/imageVersionId/);
  });
});

describe('a guest that does not boot', () => {
  it('fails the create with OSProvisioningTimedOut, and keeps the VM for diagnostics', async () => {
    await emu.admin('POST', '/guest-profiles', {
      imageVersionId: version,
      profile: { boot: { fails: true } },
    });
    const rg = `rg-vm-${++n}`;
    const nic = await network(rg);
    await expect(
      compute.virtualMachines.createOrUpdate(rg, 'vm', vmBody(nic), FAST),
    ).rejects.toThrow(/OSProvisioningTimedOut/);
    const view = await compute.virtualMachines.instanceView(rg, 'vm');
    expect(view.statuses?.[0]).toMatchObject({
      code: 'ProvisioningState/failed/OSProvisioningTimedOut',
      level: 'Error',
    });
    expect(view.vmAgent?.statuses?.[0]).toMatchObject({ displayStatus: 'Not Ready' });
    await expect(run(rg, ['true'])).rejects.toThrow(/VMAgentStatusCommunicationError/);
    const diag = await compute.virtualMachines.retrieveBootDiagnosticsData(rg, 'vm', {
      sasUriExpirationTimeInMinutes: 5,
    });
    const log = await (await fetch(diag.serialConsoleLogBlobUri!)).text();
    expect(log).toContain('Kernel panic - not syncing');
  });
});

describe('deleting the resource group', () => {
  it('takes the VM, its disk, NIC, VNet and subnet, and refuses writes meanwhile', async () => {
    await emu.admin('POST', '/guest-profiles', {
      imageVersionId: version,
      profile: { runCommandMs: 400 },
    });
    const rg = await bootedVm(version, {
      storageProfile: {
        imageReference: { id: version },
        osDisk: { createOption: 'FromImage', deleteOption: 'Detach' },
      },
    });
    const poller = resources.resourceGroups.delete(rg, FAST);
    const late = await armRequest(
      emu,
      'PUT',
      `${rgId(rg)}/providers/Microsoft.Network/virtualNetworks/late`,
      { location: 'westus2', properties: { addressSpace: { addressPrefixes: ['10.9.0.0/24'] } } },
      NET_API,
    );
    expect(late.body).toMatchObject({ error: { code: 'ResourceGroupBeingDeleted' } });
    await poller;
    const left = (await emu.admin<{ id: string }[]>('GET', '/resources')).filter((r) =>
      r.id.toLowerCase().startsWith(rgId(rg).toLowerCase()),
    );
    expect(left).toEqual([]);
    expect((await resources.resourceGroups.checkExistence(rg)).body).toBe(false);
  });
});
