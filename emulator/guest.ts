/**
 * What runs inside the stand-in's VMs. Nothing boots: a VM made from a gallery image version
 * takes that version's **guest profile** (the versions its binaries report, its services,
 * cloud-init's outcome, `kubeadm init --dry-run`'s outcome, its files, whether it boots at all)
 * and answers Run Command and boot diagnostics from it. Tests set a profile per image version
 * through `POST /_emulator/guest-profiles`; a version without one gets {@link defaultProfile}.
 */
import type { Req, Res } from './http.js';
import { key } from './store.js';
import type { Store, WorldState } from './store.js';

export interface GuestProfile {
  osType: 'Linux' | 'Windows';
  /** What the binaries report, without the `v`; `null`: the binary is not installed. */
  versions: {
    kubelet: string | null;
    kubeadm: string | null;
    kubectl: string | null;
    containerd: string | null;
    crictl: string | null;
  };
  /** systemd units (Linux) or Windows services: started at boot or not. */
  services: Record<string, 'enabled' | 'disabled'>;
  /** `cloud-init status`: done, error, or still running (never finishes). */
  cloudInit: 'done' | 'error' | 'running';
  /** `kubeadm init --dry-run`: passes or fails, optionally with the output to print. */
  kubeadmDryRun: { ok: boolean; output?: string };
  /** Files by absolute path, with their content. */
  files: Record<string, string>;
  /** Whether containerd answers on its socket (crictl works). */
  runtimeReady: boolean;
  osName: string;
  osVersion: string;
  kernel: string;
  /** Boot: how long it takes, and whether it fails (and how). */
  boot: {
    durationMs?: number;
    fails: boolean;
    /** Azure's error code for the failed create; OSProvisioningTimedOut by default. */
    code?: string;
    message?: string;
    /** The serial console log; a plausible one is written when unset. */
    serialLog?: string;
  };
  /** How long one Run Command takes (default: the stand-in's operationMs). */
  runCommandMs?: number;
  /** Set by the stand-in per VM (hostname, `hostname` command). */
  computerName?: string;
}

/** A profile as given to the admin API: any part, merged over the default. */
export type GuestProfilePatch = Partial<
  Omit<GuestProfile, 'versions' | 'boot' | 'kubeadmDryRun'>
> & {
  versions?: Partial<GuestProfile['versions']>;
  boot?: Partial<GuestProfile['boot']>;
  kubeadmDryRun?: Partial<GuestProfile['kubeadmDryRun']>;
};

/**
 * Where image-builder writes its provenance file: the node role writes /etc/image-builder-release
 * and the Windows systemprep role C:\\image-builder-release.txt, each only when IB_VERSION or
 * IB_COMMIT reached the build (kubernetes-sigs/image-builder images/capi/ansible/roles/node/tasks/
 * main.yml l. 138-149; ansible/windows/roles/systemprep/tasks/main.yml l. 14-23). A guest has the
 * file only when its build put it there (a profile's `files`), never by default.
 */
export const PROVENANCE_FILES = {
  Linux: '/etc/image-builder-release',
  Windows: 'C:\\image-builder-release.txt',
} as const;

/** The guest a version gets without a profile: a healthy node image of the version's name. */
export function defaultProfile(imageVersionId: string, osType: 'Linux' | 'Windows'): GuestProfile {
  const name = imageVersionId.split('/').pop() ?? '';
  const kubernetes = /^\d+\.\d+\.\d+$/.test(name) ? name : '1.31.2';
  const [major, minor] = kubernetes.split('.');
  const linux = osType === 'Linux';
  return {
    osType,
    versions: {
      kubelet: kubernetes,
      kubeadm: kubernetes,
      kubectl: kubernetes,
      containerd: '1.7.22',
      crictl: `${major}.${minor}.0`,
    },
    services: { kubelet: 'enabled', containerd: 'enabled' },
    cloudInit: 'done',
    kubeadmDryRun: { ok: true },
    files: {},
    runtimeReady: true,
    osName: linux ? 'ubuntu' : 'Windows Server 2022 Datacenter',
    osVersion: linux ? '24.04' : '10.0.20348',
    kernel: linux ? '6.8.0-1021-azure' : '10.0.20348',
    boot: { fails: false },
  };
}

// ---- the profiles in the persisted world ---------------------------------------------------

interface GuestWorld extends WorldState {
  /** Extension of state.json: guest profiles by image version (lower-cased) ID. */
  guestProfiles?: Record<string, { imageVersionId: string; profile: GuestProfilePatch }>;
}

function profiles(store: Store): NonNullable<GuestWorld['guestProfiles']> {
  const world = store.world as GuestWorld;
  world.guestProfiles ??= {};
  return world.guestProfiles;
}

/** The guest a VM made from `imageVersionId` now gets. */
export function profileFor(
  store: Store,
  imageVersionId: string,
  osType: 'Linux' | 'Windows',
): GuestProfile {
  const base = defaultProfile(imageVersionId, osType);
  const patch = profiles(store)[key(imageVersionId)]?.profile ?? {};
  return {
    ...base,
    ...patch,
    osType,
    versions: { ...base.versions, ...patch.versions },
    services: { ...base.services, ...patch.services },
    files: { ...base.files, ...patch.files },
    kubeadmDryRun: { ...base.kubeadmDryRun, ...patch.kubeadmDryRun },
    boot: { ...base.boot, ...patch.boot },
  };
}

const VERSION_ID =
  /^\/subscriptions\/[^/]+\/resourceGroups\/[^/]+\/providers\/Microsoft\.Compute\/galleries\/[^/]+\/images\/[^/]+\/versions\/[^/]+$/i;

const PROFILE_KEYS: Record<string, string> = {
  osType: 'string',
  versions: 'object',
  services: 'object',
  cloudInit: 'string',
  kubeadmDryRun: 'object',
  files: 'object',
  runtimeReady: 'boolean',
  osName: 'string',
  osVersion: 'string',
  kernel: 'string',
  boot: 'object',
  runCommandMs: 'number',
};

/** What is wrong with a profile patch, if anything. */
export function profileProblem(patch: Record<string, unknown>): string | undefined {
  for (const [k, v] of Object.entries(patch)) {
    const type = PROFILE_KEYS[k];
    if (!type)
      return `unknown profile field '${k}'; known: ${Object.keys(PROFILE_KEYS).join(', ')}`;
    if (typeof v !== type || v === null)
      return `'${k}' must be ${type === 'object' ? 'an object' : `a ${type}`}`;
  }
  const versions = (patch.versions ?? {}) as Record<string, unknown>;
  for (const [tool, v] of Object.entries(versions)) {
    if (!['kubelet', 'kubeadm', 'kubectl', 'containerd', 'crictl'].includes(tool)) {
      return `unknown tool '${tool}' in 'versions'`;
    }
    if (v !== null && (typeof v !== 'string' || !/^\d+\.\d+\.\d+/.test(v))) {
      return `'versions.${tool}' must be a version such as 1.31.2 (no 'v'), or null when not installed`;
    }
  }
  for (const [unit, state] of Object.entries((patch.services ?? {}) as Record<string, unknown>)) {
    if (state !== 'enabled' && state !== 'disabled')
      return `'services.${unit}' must be 'enabled' or 'disabled'`;
  }
  if (
    patch.cloudInit !== undefined &&
    !['done', 'error', 'running'].includes(String(patch.cloudInit))
  ) {
    return "'cloudInit' must be 'done', 'error' or 'running'";
  }
  if (patch.osType !== undefined && !['Linux', 'Windows'].includes(String(patch.osType))) {
    return "'osType' must be 'Linux' or 'Windows'";
  }
  return undefined;
}

// ---- admin API ----------------------------------------------------------------------------

const bad = (message: string): Res => ({
  status: 400,
  body: { error: { code: 'BadRequest', message } },
});

/**
 * `/_emulator/guest-profiles` (GET, POST, DELETE) and the boot-diagnostics blobs
 * (`GET /_emulator/boot-diagnostics/<vmId>/serialconsole.log`, what retrieveBootDiagnosticsData
 * hands out). Undefined for any other admin path.
 */
export function handleGuestAdmin(
  store: Store,
  req: Req,
  serialLog: (vmId: string) => string | undefined,
): Res | undefined {
  const p = req.path.toLowerCase().replace(/^\/_emulator/, '');
  const diag = /^\/boot-diagnostics\/([0-9a-f-]+)\/serialconsole\.log$/.exec(p);
  if (diag && req.method === 'GET') {
    const log = serialLog(diag[1]!);
    return log === undefined
      ? {
          status: 404,
          body: { error: { code: 'BlobNotFound', message: 'The specified blob does not exist.' } },
        }
      : { status: 200, headers: { 'content-type': 'text/plain; charset=utf-8' }, body: log };
  }
  if (p !== '/guest-profiles') return undefined;
  if (req.method === 'GET') {
    return { status: 200, body: Object.values(profiles(store)) };
  }
  if (req.method === 'DELETE') {
    (store.world as GuestWorld).guestProfiles = {};
    store.save();
    return { status: 204 };
  }
  if (req.method !== 'POST') return undefined;
  const body = (req.body ?? {}) as Record<string, unknown>;
  const id = body.imageVersionId;
  if (typeof id !== 'string' || !VERSION_ID.test(id)) {
    return bad("a guest profile needs 'imageVersionId': the gallery image version's resource ID");
  }
  const patch = (body.profile ?? {}) as Record<string, unknown>;
  if (typeof patch !== 'object' || Array.isArray(patch)) return bad("'profile' must be an object");
  const problem = profileProblem(patch);
  if (problem) return bad(problem);
  profiles(store)[key(id)] = { imageVersionId: id, profile: patch as GuestProfilePatch };
  store.save();
  const osType = (patch.osType as 'Linux' | 'Windows' | undefined) ?? 'Linux';
  return { status: 201, body: { imageVersionId: id, profile: profileFor(store, id, osType) } };
}

// ---- boot diagnostics ---------------------------------------------------------------------

/** The serial console log of a guest that booted (or did not). */
export function serialConsoleLog(guest: GuestProfile, bootedAt: Date): string {
  if (guest.boot.serialLog !== undefined) return guest.boot.serialLog;
  const t = (s: number): string => `[${s.toFixed(6).padStart(12)}]`;
  if (guest.osType === 'Windows') {
    const lines = [
      'Computer is booting, SAC started and initialized.',
      '',
      'EVENT: The CMD command is now available.',
    ];
    if (guest.boot.fails)
      lines.push('', 'EVENT: The system is shutting down: INACCESSIBLE_BOOT_DEVICE (0x0000007B)');
    return `${lines.join('\r\n')}\r\n`;
  }
  const lines = [
    `${t(0)} Linux version ${guest.kernel} (buildd@lcy02-amd64) #21-Ubuntu SMP ${bootedAt.toUTCString()}`,
    `${t(0)} Command line: BOOT_IMAGE=/vmlinuz-${guest.kernel} root=PARTUUID=7b2f0d3a-01 ro console=tty1 console=ttyS0 earlyprintk=ttyS0`,
  ];
  if (guest.boot.fails) {
    lines.push(
      `${t(2.81)} VFS: Cannot open root device "PARTUUID=7b2f0d3a-01" or unknown-block(0,0): error -6`,
      `${t(2.81)} Kernel panic - not syncing: VFS: Unable to mount root fs on unknown-block(0,0)`,
      `${t(2.82)} ---[ end Kernel panic - not syncing: VFS: Unable to mount root fs on unknown-block(0,0) ]---`,
    );
  } else {
    lines.push(
      `${t(4.12)} systemd[1]: Started containerd.service - containerd container runtime.`,
      `${t(9.87)} cloud-init[812]: Cloud-init v. 24.4-0ubuntu1 finished. Datasource DataSourceAzure [seed=/dev/sr0].  Up 9.87 seconds`,
      '',
      `Ubuntu ${guest.osVersion} LTS ${guest.computerName ?? 'localhost'} ttyS0`,
    );
  }
  return `${lines.join('\n')}\n`;
}
