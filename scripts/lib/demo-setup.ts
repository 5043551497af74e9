/**
 * What the demo's world holds before the pipeline runs: the local Azure stand-in (in this
 * process) with the resource groups and the storage account a publisher creates once, GitHub
 * releases shaped like kubernetes/kubernetes's, and the calling repository's disk image.
 */
import { createHash } from 'node:crypto';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { getCACertificates, setDefaultCACertificates } from 'node:tls';
import { ClientSecretCredential } from '@azure/identity';
import { stringify } from 'yaml';
import { startEmulator, type Emulator } from '../../emulator/server.js';
import { writeQcow2 } from './demo-qcow2.js';

export const SUBSCRIPTION = '00000000-0000-0000-0000-000000000000';
export const TENANT = '11111111-1111-1111-1111-111111111111';
/** The staging identity: plan, build, publish, validate, staging cleanup, dry-run cleanup. */
export const CLIENT = '22222222-2222-2222-2222-222222222222';
/** The production identity: promote and production cleanup, in the production environment. */
export const PRODUCTION_CLIENT = '33333333-3333-3333-3333-333333333333';
export const STAGING_RESOURCE_GROUP = 'rg-capi-staging';
export const STORAGE_ACCOUNT = 'capistaging';
export const LOCATION = 'westus2';

/** Starts the stand-in on `dataDir` and makes this process trust its CA. */
export async function startStandIn(dataDir: string): Promise<Emulator> {
  // Fast operations keep the demo short: replication and creates finish within one poll.
  const emulator = await startEmulator({
    dataDir,
    settings: { operationMs: 0, replicationMs: 0 },
  });
  setDefaultCACertificates([
    ...getCACertificates('default'),
    readFileSync(emulator.caCertPath, 'utf8'),
  ]);
  return emulator;
}

async function admin<T = unknown>(
  emulator: Emulator,
  route: string,
  body?: unknown,
  method = 'POST',
): Promise<T> {
  const res = await fetch(`${emulator.adminEndpoint}${route}`, {
    method,
    headers: { 'content-type': 'application/json' },
    ...(body === undefined ? {} : { body: JSON.stringify(body) }),
  });
  const text = await res.text();
  if (!res.ok) throw new Error(`stand-in ${route}: ${res.status} ${text}`);
  return (text ? JSON.parse(text) : undefined) as T;
}

/** A job's GITHUB_TOKEN for `repository`, minted by the stand-in with the job's permissions. */
export async function mintJobToken(
  emulator: Emulator,
  repository: string,
  permissions: Readonly<Record<string, string>>,
): Promise<string> {
  return (await admin<{ token: string }>(emulator, '/github/tokens', { repository, permissions }))
    .token;
}

/** What a branch of a stand-in repository holds: its head commit, history and files. */
export async function readBranch(
  emulator: Emulator,
  repository: string,
  branch: string,
): Promise<
  | {
      commit: { sha: string; parents: string[]; message: string };
      history: string[];
      files: Record<string, string>;
    }
  | undefined
> {
  const res = await fetch(
    `${emulator.adminEndpoint}/github/branch?repository=${encodeURIComponent(repository)}&branch=${encodeURIComponent(branch)}`,
  );
  return res.ok ? ((await res.json()) as Awaited<ReturnType<typeof readBranch>>) : undefined;
}

/**
 * Releases of kubernetes/kubernetes, newest first, as the GitHub API lists them: patches of four
 * minors, interleaved by date as upstream publishes them, a pre-release and a draft. Demo data
 * in the real shape, not a copy of upstream's list.
 */
export function demoReleases(): {
  tag_name: string;
  prerelease?: boolean;
  draft?: boolean;
  created_at: string;
}[] {
  const releases: {
    tag_name: string;
    prerelease?: boolean;
    draft?: boolean;
    created_at: string;
  }[] = [];
  let day = Date.UTC(2026, 10, 12);
  const at = (): string => new Date((day -= 86_400_000 * 3)).toISOString();
  releases.push({ tag_name: 'v1.38.0-alpha.3', prerelease: true, created_at: at() });
  releases.push({ tag_name: 'v1.37.3', draft: true, created_at: at() });
  for (let patch = 2; patch >= 0; patch--) {
    releases.push({ tag_name: `v1.37.${patch}`, created_at: at() });
    releases.push({ tag_name: `v1.36.${patch + 4}`, created_at: at() });
    releases.push({ tag_name: `v1.35.${patch + 8}`, created_at: at() });
    releases.push({ tag_name: `v1.34.${patch + 11}`, created_at: at() });
  }
  releases.push({ tag_name: 'v1.37.0-rc.1', prerelease: true, created_at: at() });
  return releases;
}

/**
 * The Kubernetes release calendar of the demo's world, in the shape of kubernetes/website's
 * `data/releases/schedule.yaml` and `eol.yaml` (the fields src/kubernetes/release-data.ts reads):
 * a minor every four months, 1.37 on the day of the demo's v1.37.0, each supported for 14 months
 * with two months of maintenance mode at the end. Demo data, not upstream's.
 */
export function demoReleaseCalendar(): { scheduleYaml: string; endOfLifeYaml: string } {
  const day = (d: Date): string => d.toISOString().slice(0, 10);
  const released = (minor: number): Date => {
    const first = new Date(demoReleases().find((r) => r.tag_name === 'v1.37.0')!.created_at);
    return new Date(Date.UTC(first.getUTCFullYear(), first.getUTCMonth() - 4 * (37 - minor), 10));
  };
  const monthsAfter = (d: Date, months: number): Date =>
    new Date(Date.UTC(d.getUTCFullYear(), d.getUTCMonth() + months, d.getUTCDate()));
  const minors = [37, 36, 35, 34, 33, 32, 31];
  const lastDay = new Date(demoReleases()[0]!.created_at);
  const ended = minors.filter((m) => monthsAfter(released(m), 14) < lastDay);
  return {
    scheduleYaml: stringify({
      schedules: minors
        .filter((m) => !ended.includes(m))
        .map((m) => ({
          release: `1.${m}`,
          releaseDate: day(released(m)),
          maintenanceModeStartDate: day(monthsAfter(released(m), 12)),
          endOfLifeDate: day(monthsAfter(released(m), 14)),
        })),
    }),
    endOfLifeYaml: stringify({
      branches: ended.map((m) => ({
        release: `1.${m}`,
        finalPatchRelease: `1.${m}.${12 + (m % 5)}`,
        endOfLifeDate: day(monthsAfter(released(m), 14)),
      })),
    }),
  };
}

/** Where the demo's copy of kubernetes/website's release data is, for KUBERNETES_RELEASE_DATA_URL. */
export function releaseDataUrl(emulator: Emulator): string {
  return `${emulator.githubRawUrl}/kubernetes/website/main/data/releases`;
}

/**
 * Seeds the GitHub side (releases of kubernetes/kubernetes, kubernetes/website's release
 * calendar, the calling repository) and creates what a publisher creates once by hand.
 */
export async function seedWorld(
  emulator: Emulator,
  callerRepository: string,
): Promise<{ blobContainerUrl: string }> {
  await admin(emulator, '/github/releases', {
    repository: 'kubernetes/kubernetes',
    releases: demoReleases(),
  });
  const calendar = demoReleaseCalendar();
  await admin(emulator, '/github/repositories', {
    repository: 'kubernetes/website',
    files: {
      'data/releases/schedule.yaml': calendar.scheduleYaml,
      'data/releases/eol.yaml': calendar.endOfLifeYaml,
    },
  });
  await admin(emulator, '/github/repositories', { repository: callerRepository });
  const credential = new ClientSecretCredential(TENANT, CLIENT, 'demo-secret', {
    authorityHost: emulator.authorityHost,
    disableInstanceDiscovery: true,
  });
  const { token } = (await credential.getToken('https://management.azure.com/.default'))!;
  const put = async (id: string, apiVersion: string, body: unknown): Promise<void> => {
    const res = await fetch(`${emulator.endpoint}${id}?api-version=${apiVersion}`, {
      method: 'PUT',
      headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
      body: JSON.stringify(body),
    });
    if (res.status >= 300) throw new Error(`PUT ${id}: ${res.status} ${await res.text()}`);
  };
  const group = `/subscriptions/${SUBSCRIPTION}/resourceGroups/${STAGING_RESOURCE_GROUP}`;
  await put(group, '2024-11-01', { location: LOCATION });
  await put(
    `${group}/providers/Microsoft.Storage/storageAccounts/${STORAGE_ACCOUNT}`,
    '2023-05-01',
    {
      location: LOCATION,
      sku: { name: 'Standard_LRS' },
      kind: 'StorageV2',
    },
  );
  return { blobContainerUrl: `${emulator.blobEndpoint}/${STORAGE_ACCOUNT}/vhds` };
}

/**
 * The calling repository's disk image, `images/node.qcow2`, written in Node (no qemu-img): a
 * 48 MiB disk holding 3 MiB of data in three places, so the upload shows zeros being skipped.
 * @returns its SHA-256.
 */
export function makeDiskImage(repositoryDir: string): string {
  const dir = path.join(repositoryDir, 'images');
  mkdirSync(dir, { recursive: true });
  const disk = Buffer.alloc(48 * 1024 * 1024);
  for (const offset of [0, 17, 40]) {
    for (let i = 0; i < 1024 * 1024; i += 4096) {
      disk.write(`node image block ${offset}:${i}\n`, offset * 1024 * 1024 + i);
    }
  }
  const qcow2 = writeQcow2(disk);
  writeFileSync(path.join(dir, 'node.qcow2'), qcow2);
  return createHash('sha256').update(qcow2).digest('hex');
}

/** A federated identity credential as Entra holds it (issuer, subject, audiences must match). */
export interface FederatedCredential {
  clientId: string;
  issuer: string;
  subject: string;
  audiences: string[];
}

/**
 * Registers federated credentials with the stand-in's Entra side, as a user does once with
 * `az ad app federated-credential create`: the stand-in, like Entra, takes a client assertion
 * only when issuer, subject and audience match a credential of that client.
 */
export async function registerFederatedCredentials(
  emulator: Emulator,
  credentials: readonly FederatedCredential[],
): Promise<void> {
  for (const [i, { clientId, ...credential }] of credentials.entries()) {
    await admin(emulator, '/clients', {
      clientId,
      federatedCredentials: [{ name: `demo-${i + 1}`, ...credential }],
    });
  }
}

export const PRODUCTION_RESOURCE_GROUP = 'rg-capi-community';
export const PRODUCTION_GALLERY = 'ClusterAPI';
/** The public name CAPZ pins for its reference images' community gallery. */
export const COMMUNITY_PUBLIC_NAME = 'ClusterAPI-f72ceb4f-5159-4c26-a0fe-2ea738f0d019';
/** The publisher image-builder's publishing workflow gave the demo's existing definitions. */
export const REFERENCE_PUBLISHER = 'example-sig';

/**
 * The production gallery of the image-builder scenario, as image-builder's own publishing
 * workflow leaves it: a community gallery (public name {@link COMMUNITY_PUBLIC_NAME}) whose
 * definitions are `capi-ubun2-<ver>` with identifier `<publisher>/reference-images/ubuntu-<ver>`
 * and no SecurityType feature. The demo's run must promote into it as it is.
 * @returns the definitions' IDs.
 */
export async function seedImageBuilderGallery(emulator: Emulator): Promise<string[]> {
  const group = `/subscriptions/${SUBSCRIPTION}/resourceGroups/${PRODUCTION_RESOURCE_GROUP}`;
  const gallery = `${group}/providers/Microsoft.Compute/galleries/${PRODUCTION_GALLERY}`;
  const definitions = ['2204', '2404'].map((ver) => ({
    id: `${gallery}/images/capi-ubun2-${ver}`,
    location: LOCATION,
    properties: {
      osType: 'Linux',
      osState: 'Generalized',
      hyperVGeneration: 'V1',
      architecture: 'x64',
      identifier: {
        publisher: REFERENCE_PUBLISHER,
        offer: 'reference-images',
        sku: `ubuntu-${ver}`,
      },
    },
  }));
  await admin(emulator, '/seed', {
    resources: [
      { id: group, location: LOCATION },
      {
        id: gallery,
        location: LOCATION,
        properties: {
          identifier: { uniqueName: `${SUBSCRIPTION}-${PRODUCTION_GALLERY.toUpperCase()}` },
          sharingProfile: {
            permissions: 'Community',
            communityGalleryInfo: {
              publisherUri: 'https://capz.sigs.k8s.io',
              publisherContact: 'capz-maintainers@example.com',
              eula: 'https://www.apache.org/licenses/LICENSE-2.0',
              publicNamePrefix: 'ClusterAPI',
              publicNames: [COMMUNITY_PUBLIC_NAME],
              communityGalleryEnabled: true,
            },
          },
        },
      },
      ...definitions,
    ],
  });
  return definitions.map((d) => d.id);
}
