import { displayRegion, normalizeRegion } from './regions.js';
import type { Store, StoredResource } from './store.js';

/** ARM types by the shape of the ID's tail, most specific first. */
const TYPES: [RegExp, string][] = [
  [
    /\/providers\/microsoft\.compute\/galleries\/[^/]+\/images\/[^/]+\/versions\/[^/]+$/i,
    'Microsoft.Compute/galleries/images/versions',
  ],
  [
    /\/providers\/microsoft\.compute\/galleries\/[^/]+\/images\/[^/]+$/i,
    'Microsoft.Compute/galleries/images',
  ],
  [/\/providers\/microsoft\.compute\/galleries\/[^/]+$/i, 'Microsoft.Compute/galleries'],
  [/\/providers\/microsoft\.compute\/images\/[^/]+$/i, 'Microsoft.Compute/images'],
  [/^\/subscriptions\/[^/]+\/resourcegroups\/[^/]+$/i, 'Microsoft.Resources/resourceGroups'],
];

export interface SeedResource {
  id: string;
  location: string;
  tags?: Record<string, string>;
  properties?: Record<string, unknown>;
}

/**
 * `POST /_emulator/seed`: puts resources straight into the world, finished (Succeeded, fully
 * replicated, published `properties.publishingProfile.publishedDate` or now). For benchmarks and
 * tests that need thousands of versions without making thousands of requests; nothing is
 * validated beyond the type and the parent, so seed what Azure would have accepted.
 * @returns a problem, or undefined when every resource was stored.
 */
export function seed(store: Store, resources: SeedResource[]): string | undefined {
  const now = Date.now();
  for (const [i, input] of resources.entries()) {
    const type = TYPES.find(([re]) => re.test(input.id ?? ''))?.[1];
    if (!type || typeof input.location !== 'string') {
      return `resources[${i}]: needs an 'id' of a resource group, gallery, definition, version or managed image, and a 'location'`;
    }
    const parent = input.id.replace(/\/[^/]+\/[^/]+$/, '').replace(/\/providers\/[^/]+$/i, '');
    if (type !== 'Microsoft.Resources/resourceGroups' && !store.get(parent)) {
      return `resources[${i}]: parent '${parent}' does not exist (seed parents first)`;
    }
    const properties: Record<string, unknown> = {
      ...input.properties,
      provisioningState: 'Succeeded',
    };
    const r: StoredResource = {
      id: input.id,
      type,
      name: input.id.split('/').pop()!,
      location: input.location,
      ...(input.tags ? { tags: input.tags } : {}),
      properties,
      internal: { createdAt: now },
    };
    if (type.endsWith('/versions')) {
      const pp = (properties.publishingProfile ?? {}) as Record<string, unknown>;
      const regions = (
        (pp.targetRegions as { name: string; regionalReplicaCount?: number }[] | undefined) ?? [
          { name: input.location },
        ]
      ).map((t) => ({
        ...t,
        name: displayRegion(t.name),
        regionalReplicaCount: t.regionalReplicaCount ?? 1,
        storageAccountType: 'Standard_LRS',
      }));
      properties.publishingProfile = {
        replicaCount: 1,
        storageAccountType: 'Standard_LRS',
        excludeFromLatest: false,
        publishedDate: new Date(now).toISOString(),
        ...pp,
        targetRegions: regions,
      };
      r.internal.replication = regions.map((t) => ({
        region: normalizeRegion(t.name),
        startedAt: 0,
        durationMs: 1,
        fails: false,
      }));
    }
    store.put(r);
  }
  store.flush();
  return undefined;
}
