import { communityRoutes } from './arm-community.js';
import { ArmCore, LOC, seg, T } from './arm-core.js';
import type { ArmSettings, Handler, Params } from './arm-core.js';
import { galleryRoutes } from './arm-galleries.js';
import { networkRoutes } from './arm-network.js';
import { resourceRoutes } from './arm-resources.js';
import { subscriptionRoutes } from './arm-subscriptions.js';
import { versionRoutes } from './arm-versions.js';
import { vmRoutes } from './arm-vms.js';
import type { BlobService } from './blob.js';
import { ArmError } from './http.js';
import type { Req, Res } from './http.js';
import type { Operations } from './operations.js';
import { replicationStatus } from './replication.js';
import type { Store, StoredResource } from './store.js';

export type { ArmSettings } from './arm-core.js';

/** The oldest api-version the stand-in accepts (docs/design.md §6: 2021-10-01 onward, and older ARM ones). */
const OLDEST_API_VERSION = '2015-01-01';

/**
 * The Azure Resource Manager surface of the stand-in: resource groups, Compute Gallery
 * galleries / definitions / versions, managed images, storage accounts, community gallery reads,
 * and the async-operation URLs. Behaviour follows the REST spec examples and recorded traffic in
 * shared/fixtures; the parts live in arm-*.ts.
 */
export class Arm {
  private readonly core: ArmCore;
  private readonly routes: { method: string; re: RegExp; handler: Handler }[] = [];

  constructor(store: Store, blob: BlobService, settings: ArmSettings) {
    this.core = new ArmCore(store, blob, settings);
    const core = this.core;
    const r = (method: string, pattern: string, handler: Handler): void => {
      this.routes.push({ method, re: new RegExp(`^${pattern}$`, 'i'), handler });
    };
    subscriptionRoutes(core, r);
    resourceRoutes(core, r);
    galleryRoutes(core, r);
    versionRoutes(core, r);
    communityRoutes(core, r);
    networkRoutes(core, r);
    vmRoutes(core, r);
    r('GET', `${LOC}/capsoperations/${seg('operation')}`, (q, m) =>
      q.query.get('monitor') === 'true' ? core.monitor(q, m.operation) : core.opStatus(m.operation),
    );
  }

  get settings(): ArmSettings {
    return this.core.settings;
  }

  get ops(): Operations {
    return this.core.ops;
  }

  async handle(req: Req): Promise<Res> {
    const apiVersion = req.query.get('api-version');
    if (!apiVersion) {
      throw new ArmError(
        400,
        'MissingApiVersionParameter',
        'The api-version query parameter (?api-version=) is required for all requests.',
      );
    }
    if (!/^\d{4}-\d{2}-\d{2}(-preview)?$/.test(apiVersion) || apiVersion < OLDEST_API_VERSION) {
      throw new ArmError(
        400,
        'InvalidApiVersionParameter',
        `The api-version '${apiVersion}' is invalid. The supported versions are '2021-10-01' and later.`,
      );
    }
    if (this.core.ops.settle()) this.core.store.save();
    for (const route of this.routes) {
      if (route.method !== req.method) continue;
      const m = route.re.exec(req.path);
      if (m) return route.handler(req, { ...m.groups } as Params);
    }
    if (this.routes.some((route) => route.re.test(req.path))) {
      throw new ArmError(
        405,
        'MethodNotAllowed',
        `The requested resource does not support http method '${req.method}'.`,
      );
    }
    throw new ArmError(
      404,
      'InvalidResourceType',
      `The resource type could not be found for path '${req.path}'.`,
    );
  }

  /** What clients see of a stored resource. */
  render(r: StoredResource, expand?: string | null): Record<string, unknown> {
    return this.core.render(r, expand);
  }

  replicationStatus(r: StoredResource): Record<string, unknown> {
    return replicationStatus(r);
  }

  /** Everything stored, for the admin API and tests. */
  dump(): Record<string, unknown>[] {
    if (this.core.ops.settle()) this.core.store.save();
    return this.core.store
      .all()
      .map((r) => this.core.render(r, r.type === T.version ? 'ReplicationStatus' : undefined));
  }
}
