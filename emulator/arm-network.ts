/**
 * Microsoft.Network, as much as a test VM needs: virtual networks with their subnets (inline in
 * the VNet and as child resources) and network interfaces with private IP configurations.
 * Public IPs and network security groups are not served, so a reference to one is an invalid
 * reference, as a reference to a missing resource is in Azure. Shapes follow the network
 * interface the Azure CLI recorded (`../shared/fixtures/azure-cli-recordings/`).
 */
import { randomUUID } from 'node:crypto';
import { RG, seg, SUB } from './arm-core.js';
import type { ArmCore, Params, Route } from './arm-core.js';
import { ArmError } from './http.js';
import type { Req, Res } from './http.js';
import { normalizeRegion } from './regions.js';
import { key } from './store.js';
import type { StoredResource } from './store.js';

type Json = Record<string, unknown>;

export const NET = {
  vnet: 'Microsoft.Network/virtualNetworks',
  subnet: 'Microsoft.Network/virtualNetworks/subnets',
  nic: 'Microsoft.Network/networkInterfaces',
} as const;

const NETWORK = `${RG}/providers/microsoft\\.network`;
/** Network resource names: 1-80 of letters, digits, `_ . -`, starting alphanumeric, not ending in `.` or `-`. */
const NAME = /^[A-Za-z0-9]([\w.-]{0,78}\w)?$/;

export function networkRoutes(core: ArmCore, r: Route): void {
  const vnetId = (m: Params): string =>
    core.canonical(`${core.rgId(m)}/providers/Microsoft.Network/virtualNetworks/${m.name}`);
  const nicId = (m: Params): string =>
    core.canonical(`${core.rgId(m)}/providers/Microsoft.Network/networkInterfaces/${m.name}`);

  r(
    'GET',
    `${SUB}/providers/microsoft\\.network/locations/${seg('location')}/operations/${seg('operation')}`,
    (_q, m) => core.opStatus(m.operation),
  );
  r(
    'GET',
    `${SUB}/providers/microsoft\\.network/locations/${seg('location')}/operationresults/${seg('operation')}`,
    (q, m) => core.monitor(q, m.operation),
  );

  r('GET', `${NETWORK}/virtualnetworks`, (q, m) => listRendered(core, q, core.rgId(m), NET.vnet));
  r('GET', `${NETWORK}/virtualnetworks/${seg('name')}`, (_q, m) => ({
    status: 200,
    body: renderNetwork(core, core.mustGet(vnetId(m), 'virtualNetwork')),
  }));
  r('PUT', `${NETWORK}/virtualnetworks/${seg('name')}`, (q, m) => putVnet(core, q, m, vnetId(m)));
  r('DELETE', `${NETWORK}/virtualnetworks/${seg('name')}`, (q, m) =>
    deleteVnet(core, q, vnetId(m)),
  );
  r('GET', `${NETWORK}/virtualnetworks/${seg('name')}/subnets`, (q, m) =>
    listRendered(core, q, vnetId(m), NET.subnet),
  );
  r('GET', `${NETWORK}/virtualnetworks/${seg('name')}/subnets/${seg('subnet')}`, (_q, m) => ({
    status: 200,
    body: renderNetwork(core, core.mustGet(`${vnetId(m)}/subnets/${m.subnet}`, 'subnet')),
  }));
  r('PUT', `${NETWORK}/virtualnetworks/${seg('name')}/subnets/${seg('subnet')}`, (q, m) =>
    putSubnet(core, q, m, vnetId(m)),
  );

  r('GET', `${NETWORK}/networkinterfaces`, (q, m) => listRendered(core, q, core.rgId(m), NET.nic));
  r('GET', `${NETWORK}/networkinterfaces/${seg('name')}`, (_q, m) => ({
    status: 200,
    body: renderNetwork(core, core.mustGet(nicId(m), 'networkInterface')),
  }));
  r('PUT', `${NETWORK}/networkinterfaces/${seg('name')}`, (q, m) => putNic(core, q, m, nicId(m)));
  r('DELETE', `${NETWORK}/networkinterfaces/${seg('name')}`, (q, m) =>
    deleteNic(core, q, nicId(m)),
  );
}

function listRendered(core: ArmCore, req: Req, parentId: string, type: string): Res {
  if (!core.store.get(parentId)) core.mustGet(parentId, type.split('/').slice(0, 2).join('/'));
  const items = core.store
    .children(parentId, type)
    .sort((a, b) => a.id.localeCompare(b.id))
    .map((x) => renderNetwork(core, x));
  return core.page(req, items);
}

/** A write into a resource group that is being deleted fails, as in ARM. */
export function requireLiveRg(core: ArmCore, m: Params): StoredResource {
  const rg = core.requireRg(m);
  if (rg.internal.deleting) {
    throw new ArmError(
      409,
      'ResourceGroupBeingDeleted',
      `The resource group '${rg.name}' is in deprovisioning state and cannot perform this operation.`,
    );
  }
  return rg;
}

function checkName(param: string, name: string): void {
  if (!NAME.test(name)) {
    throw new ArmError(
      400,
      'InvalidResourceName',
      `Resource name ${name} is invalid. The name can be up to 80 characters long. It must begin with a word character, and it must end with a word character or with '_'. The name may contain word characters or '.', '-', '_'.`,
      param,
    );
  }
}

// ---- rendering ----------------------------------------------------------------------------

const etag = (r: StoredResource): string =>
  `W/"${String(r.properties.resourceGuid ?? r.internal.createdAt)}"`;

/** VNets with their subnets, subnets with the NIC configurations in them, NICs with their VM. */
export function renderNetwork(core: ArmCore, r: StoredResource): Json {
  const base: Json = { name: r.name, id: r.id, etag: etag(r), type: r.type };
  if (r.type === NET.subnet) {
    return { ...base, properties: subnetProperties(core, r) };
  }
  const props: Json = { ...r.properties };
  if (r.type === NET.vnet) {
    props.subnets = core.store.children(r.id, NET.subnet).map((s) => ({
      name: s.name,
      id: s.id,
      etag: etag(s),
      type: s.type,
      properties: subnetProperties(core, s),
    }));
  }
  if (r.type === NET.nic) {
    const vm = core.store
      .all()
      .find(
        (x) =>
          x.type === 'Microsoft.Compute/virtualMachines' &&
          nicRefs(x).some((ref) => key(ref) === key(r.id)),
      );
    if (vm) props.virtualMachine = { id: vm.id };
  }
  return {
    ...base,
    location: r.location,
    ...(r.tags ? { tags: r.tags } : {}),
    ...(r.type === NET.nic ? { kind: 'Regular' } : {}),
    properties: props,
  };
}

function subnetProperties(core: ArmCore, subnet: StoredResource): Json {
  const configs = core.store
    .all()
    .filter((x) => x.type === NET.nic)
    .flatMap((nic) =>
      ipConfigurations(nic)
        .filter(
          (c) =>
            key(String(((c.properties as Json).subnet as Json | undefined)?.id ?? '')) ===
            key(subnet.id),
        )
        .map((c) => ({ id: c.id })),
    );
  return { ...subnet.properties, ...(configs.length ? { ipConfigurations: configs } : {}) };
}

function ipConfigurations(nic: StoredResource): Json[] {
  return (nic.properties.ipConfigurations ?? []) as Json[];
}

/** The NIC IDs a VM's network profile references. */
export function nicRefs(vm: StoredResource): string[] {
  const profile = (vm.properties.networkProfile ?? {}) as Json;
  return ((profile.networkInterfaces ?? []) as Json[]).map((n) => String(n.id ?? ''));
}

// ---- writes -------------------------------------------------------------------------------

/** Stores `r` (provisioningState Updating) and answers 201/200 with Network's async URL. */
function networkWrite(core: ArmCore, req: Req, r: StoredResource, isNew: boolean): Res {
  core.store.put(r);
  const op = core.startOp(
    req,
    {
      kind: isNew ? 'create' : 'update',
      resourceId: r.id,
      location: r.location,
      durationMs: core.settings.operationMs,
    },
    r,
  );
  core.store.save();
  const sub = r.id.split('/')[2];
  const url = `${req.origin}/subscriptions/${sub}/providers/Microsoft.Network/locations/${normalizeRegion(r.location)}/operations/${op.id}?api-version=${req.query.get('api-version')}`;
  return {
    status: isNew ? 201 : 200,
    headers: { 'azure-asyncoperation': url, 'retry-after': '1' },
    body: renderNetwork(core, r),
  };
}

function putVnet(core: ArmCore, req: Req, m: Params, id: string): Res {
  requireLiveRg(core, m);
  checkName('virtualNetworkName', m.name);
  const body = core.body(req);
  const location = core.location(body, NET.vnet);
  const props = (body.properties ?? {}) as Json;
  const prefixes = ((props.addressSpace as Json | undefined)?.addressPrefixes ?? []) as unknown[];
  if (prefixes.length === 0 || prefixes.some((p) => parseCidr(String(p)) === undefined)) {
    throw new ArmError(
      400,
      'InvalidAddressPrefixFormat',
      `Address prefixes ${JSON.stringify(prefixes)} of virtual network '${m.name}' are not valid CIDR blocks.`,
      'properties.addressSpace.addressPrefixes',
    );
  }
  const existing = core.store.get(id);
  if (existing) core.assertIdle(existing);
  const subnets = (props.subnets ?? []) as Json[];
  const r: StoredResource = {
    id,
    type: NET.vnet,
    name: m.name,
    location,
    properties: {
      provisioningState: 'Updating',
      resourceGuid: (existing?.properties.resourceGuid as string | undefined) ?? randomUUID(),
      addressSpace: { addressPrefixes: prefixes },
      virtualNetworkPeerings: [],
      enableDdosProtection: false,
    },
    internal: { createdAt: existing?.internal.createdAt ?? Date.now() },
  };
  core.applyTags(r, body);
  checkSubnets(
    m.name,
    prefixes.map(String),
    subnets.map((s) => [
      String(s.name ?? ''),
      String(((s.properties ?? {}) as Json).addressPrefix ?? ''),
    ]),
  );
  for (const s of subnets) storeSubnet(core, r, String(s.name), (s.properties ?? {}) as Json);
  return networkWrite(core, req, r, !existing);
}

function putSubnet(core: ArmCore, req: Req, m: Params, vnetId: string): Res {
  requireLiveRg(core, m);
  const vnet = core.mustGet(vnetId, 'virtualNetwork');
  const props = (core.body(req).properties ?? {}) as Json;
  const others = core.store
    .children(vnet.id, NET.subnet)
    .filter((s) => s.name.toLowerCase() !== m.subnet.toLowerCase())
    .map((s): [string, string] => [s.name, String(s.properties.addressPrefix)]);
  const prefixes = ((vnet.properties.addressSpace as Json).addressPrefixes ?? []) as string[];
  checkSubnets(vnet.name, prefixes, [...others, [m.subnet, String(props.addressPrefix ?? '')]]);
  const existing = core.store.get(`${vnet.id}/subnets/${m.subnet}`);
  const subnet = storeSubnet(core, vnet, m.subnet, props);
  subnet.location = vnet.location;
  return networkWrite(core, req, subnet, !existing);
}

function storeSubnet(
  core: ArmCore,
  vnet: StoredResource,
  name: string,
  props: Json,
): StoredResource {
  checkName('subnetName', name);
  const subnet: StoredResource = {
    id: `${vnet.id}/subnets/${name}`,
    type: NET.subnet,
    name,
    location: vnet.location,
    properties: {
      provisioningState: 'Succeeded',
      addressPrefix: props.addressPrefix,
      privateEndpointNetworkPolicies: 'Disabled',
      privateLinkServiceNetworkPolicies: 'Enabled',
      ...(props.defaultOutboundAccess !== undefined
        ? { defaultOutboundAccess: props.defaultOutboundAccess }
        : {}),
    },
    internal: { createdAt: Date.now() },
  };
  core.store.put(subnet);
  return subnet;
}

/** Each subnet inside the VNet's address space, none overlapping (NetcfgInvalidSubnet, …Overlap). */
function checkSubnets(vnetName: string, vnetPrefixes: string[], subnets: [string, string][]): void {
  const space = vnetPrefixes.map(parseCidr).filter((c): c is Cidr => c !== undefined);
  const seen: [string, Cidr][] = [];
  for (const [name, prefix] of subnets) {
    const cidr = parseCidr(prefix);
    if (!cidr || !space.some((s) => contains(s, cidr))) {
      throw new ArmError(
        400,
        'NetcfgInvalidSubnet',
        `Subnet '${name}' is not valid in virtual network '${vnetName}': its address prefix '${prefix}' must be a CIDR block inside ${vnetPrefixes.join(', ')}.`,
      );
    }
    const clash = seen.find(([, other]) => contains(other, cidr) || contains(cidr, other));
    if (clash) {
      throw new ArmError(
        400,
        'NetcfgSubnetRangesOverlap',
        `Subnet '${name}' is not valid because its IP address range overlaps with that of an existing subnet '${clash[0]}' in virtual network '${vnetName}'.`,
      );
    }
    seen.push([name, cidr]);
  }
}

function putNic(core: ArmCore, req: Req, m: Params, id: string): Res {
  requireLiveRg(core, m);
  checkName('networkInterfaceName', m.name);
  const body = core.body(req);
  const location = core.location(body, NET.nic);
  const props = (body.properties ?? {}) as Json;
  const configs = (props.ipConfigurations ?? []) as Json[];
  if (configs.length === 0) {
    throw new ArmError(
      400,
      'NetworkInterfaceMustHaveAtLeastOneIpConfiguration',
      `Network interface ${id} must have one or more IP configurations.`,
    );
  }
  const existing = core.store.get(id);
  if (existing) core.assertIdle(existing);
  const before = new Map(
    ipConfigurations(existing ?? ({ properties: {} } as StoredResource)).map((c) => [c.name, c]),
  );
  const ipConfigs = configs.map((c, i) => {
    const cp = (c.properties ?? {}) as Json;
    const subnetId = String((cp.subnet as Json | undefined)?.id ?? '');
    const subnet = core.store.get(subnetId);
    if (
      !subnet ||
      subnet.type !== NET.subnet ||
      normalizeRegion(subnet.location) !== normalizeRegion(location)
    ) {
      throw invalidReference(subnetId || '(none)', id);
    }
    for (const ref of [
      'publicIPAddress',
      'loadBalancerBackendAddressPools',
      'applicationSecurityGroups',
    ]) {
      if (cp[ref] !== undefined) throw invalidReference(JSON.stringify(cp[ref]), id);
    }
    const name = String(c.name ?? `ipconfig${i + 1}`);
    const kept = before.get(name)?.properties as Json | undefined;
    return {
      name,
      id: `${id}/ipConfigurations/${name}`,
      type: 'Microsoft.Network/networkInterfaces/ipConfigurations',
      properties: {
        provisioningState: 'Succeeded',
        privateIPAddress: kept?.privateIPAddress ?? nextAddress(core, subnet),
        privateIPAllocationMethod: cp.privateIPAllocationMethod ?? 'Dynamic',
        subnet: { id: subnet.id },
        primary: i === 0,
        privateIPAddressVersion: 'IPv4',
      },
    };
  });
  if (props.networkSecurityGroup !== undefined)
    throw invalidReference(JSON.stringify(props.networkSecurityGroup), id);
  const r: StoredResource = {
    id,
    type: NET.nic,
    name: m.name,
    location,
    properties: {
      provisioningState: 'Updating',
      resourceGuid: (existing?.properties.resourceGuid as string | undefined) ?? randomUUID(),
      ipConfigurations: ipConfigs,
      dnsSettings: { dnsServers: [], appliedDnsServers: [] },
      macAddress: (existing?.properties.macAddress as string | undefined) ?? macAddress(),
      enableAcceleratedNetworking: props.enableAcceleratedNetworking === true,
      enableIPForwarding: false,
      primary: true,
      nicType: 'Standard',
      auxiliaryMode: 'None',
    },
    internal: { createdAt: existing?.internal.createdAt ?? Date.now() },
  };
  core.applyTags(r, body);
  return networkWrite(core, req, r, !existing);
}

function invalidReference(ref: string, by: string): ArmError {
  return new ArmError(
    400,
    'InvalidResourceReference',
    `Resource ${ref} referenced by resource ${by} was not found. Please make sure that the referenced resource exists, and that both resources are in the same region.`,
  );
}

function deleteNic(core: ArmCore, req: Req, id: string): Res {
  const nic = core.store.get(id);
  const vm = nic && (renderNetwork(core, nic).properties as Json).virtualMachine;
  if (vm) {
    throw new ArmError(
      400,
      'NicInUse',
      `Network Interface ${id} is used by existing resource ${(vm as Json).id}. In order to delete the network interface, it must be dissociated from the resource.`,
    );
  }
  return core.deleteResource(req, id, 'networkInterface');
}

function deleteVnet(core: ArmCore, req: Req, id: string): Res {
  for (const subnet of core.store.children(id, NET.subnet)) {
    if (subnetProperties(core, subnet).ipConfigurations) {
      throw new ArmError(
        400,
        'InUseSubnetCannotBeDeleted',
        `Subnet ${subnet.name} is in use by network interfaces and cannot be deleted. In order to delete the subnet, delete all the resources within the subnet.`,
      );
    }
  }
  return core.deleteResource(req, id, 'virtualNetwork');
}

// ---- addresses ----------------------------------------------------------------------------

interface Cidr {
  base: number;
  bits: number;
}

function parseCidr(text: string): Cidr | undefined {
  const m = /^(\d{1,3})\.(\d{1,3})\.(\d{1,3})\.(\d{1,3})\/(\d{1,2})$/.exec(text);
  if (!m) return undefined;
  const octets = m.slice(1, 5).map(Number);
  const bits = Number(m[5]);
  if (octets.some((o) => o > 255) || bits > 29 || bits < 8) return undefined;
  const ip = octets.reduce((acc, o) => acc * 256 + o, 0);
  const size = 2 ** (32 - bits);
  return { base: ip - (ip % size), bits };
}

function contains(outer: Cidr, inner: Cidr): boolean {
  const size = 2 ** (32 - outer.bits);
  return inner.bits >= outer.bits && inner.base >= outer.base && inner.base < outer.base + size;
}

/** Azure keeps the first four addresses of a subnet; NICs get the next free one (x.x.x.4 first). */
function nextAddress(core: ArmCore, subnet: StoredResource): string {
  const cidr = parseCidr(String(subnet.properties.addressPrefix))!;
  const used = new Set(
    core.store
      .all()
      .filter((x) => x.type === NET.nic)
      .flatMap((nic) => ipConfigurations(nic))
      .map((c) => String((c.properties as Json).privateIPAddress)),
  );
  for (let n = cidr.base + 4; n < cidr.base + 2 ** (32 - cidr.bits) - 1; n++) {
    const ip = [24, 16, 8, 0].map((s) => Math.floor(n / 2 ** s) % 256).join('.');
    if (!used.has(ip)) return ip;
  }
  throw new ArmError(
    400,
    'SubnetIsFull',
    `Subnet ${subnet.name} with address prefix ${String(subnet.properties.addressPrefix)} does not have enough capacity for 1 IP addresses.`,
  );
}

function macAddress(): string {
  const bytes = [
    0x00,
    0x22,
    0x48,
    ...Array.from({ length: 3 }, () => Math.floor(Math.random() * 256)),
  ];
  return bytes.map((b) => b.toString(16).padStart(2, '0').toUpperCase()).join('-');
}
