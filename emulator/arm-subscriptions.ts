import { seg } from './arm-core.js';
import type { ArmCore, Route } from './arm-core.js';
import type { Req, Res } from './http.js';

type Json = Record<string, unknown>;

/**
 * Microsoft.Resources reads outside resource groups: the subscriptions a caller sees
 * (`Subscriptions_List` / `Subscriptions_Get`, what `az login` asks first) and a resource's tags
 * (`Tags_GetAtScope`). Issue 12, items 9 and 10.
 */
export function subscriptionRoutes(core: ArmCore, r: Route): void {
  r('GET', '/subscriptions', (q) =>
    core.page(
      q,
      known(core).map((id) => render(id, q)),
    ),
  );
  r('GET', `/subscriptions/${seg('sub')}`, (q, m) => ({
    status: 200,
    body: render(m.sub.toLowerCase(), q),
  }));
  r('GET', '(?<scope>/subscriptions/.+)/providers/microsoft\\.resources/tags/default', (_q, m) =>
    tagsAtScope(core, m.scope),
  );
}

/** Every subscription that holds something in the stand-in, in ID order. */
function known(core: ArmCore): string[] {
  const ids = new Set(core.store.all().map((x) => x.id.split('/')[2]!.toLowerCase()));
  return [...ids].sort();
}

/**
 * A subscription as `Subscriptions_List` answers it (api 2019-11-01 and later: id,
 * subscriptionId, tenantId, displayName, state, subscriptionPolicies, authorizationSource).
 * The stand-in has no tenants of its own: a subscription belongs to the caller's tenant, as any
 * subscription exists for writes.
 */
function render(subscriptionId: string, req: Req): Json {
  return {
    id: `/subscriptions/${subscriptionId}`,
    authorizationSource: 'RoleBased',
    managedByTenants: [],
    subscriptionId,
    tenantId: req.tenant ?? '',
    displayName: `stand-in subscription ${subscriptionId.slice(0, 8)}`,
    state: 'Enabled',
    subscriptionPolicies: {
      locationPlacementId: 'Public_2014-09-01',
      quotaId: 'PayAsYouGo_2014-09-01',
      spendingLimit: 'Off',
    },
  };
}

/** `GET {scope}/providers/Microsoft.Resources/tags/default`: the resource's tags, 404 when gone. */
function tagsAtScope(core: ArmCore, scope: string): Res {
  const target = core.store.get(scope);
  if (!target) {
    if (/^\/subscriptions\/[^/]+$/i.test(scope)) {
      return { status: 200, body: tagsBody(scope, {}) };
    }
    core.mustGet(scope, 'scope');
  }
  return { status: 200, body: tagsBody(target!.id, target!.tags ?? {}) };
}

function tagsBody(scope: string, tags: Record<string, string>): Json {
  return {
    id: `${scope}/providers/Microsoft.Resources/tags/default`,
    name: 'default',
    type: 'Microsoft.Resources/tags',
    properties: { tags },
  };
}
