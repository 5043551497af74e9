/**
 * Fail before the long work (issue 10): what a run will need after a build of up to hours —
 * promote's community inputs, the production gallery, the identity it signs in with — checked
 * in the first seconds of the run, so a mistake costs seconds, not a build.
 */
import type { Logger } from '../common/logger.js';
import { checkProductionGallery } from './production.js';
import type { ProductionApi, ProductionTarget } from './production.js';
import type { SharingSettings } from './request.js';

/** What a run will promote into, as preflight's inputs give it (read and checked). */
export interface PreflightRequest {
  /** Whether the run will promote at all; nothing about production is checked otherwise. */
  readonly promote: boolean;
  /** The production gallery and what the caller said about it (when promoting). */
  readonly production?: ProductionTarget;
  /** Promote's sharing, community inputs included (already complete when read). */
  readonly sharing?: SharingSettings;
}

export interface PreflightResult {
  /** One line per check that passed, for the summary. */
  readonly checks: string[];
  /** The production gallery's public name, when it exists and is community-shared. */
  readonly publicName?: string;
}

/** Runs the checks that need Azure; the input reader has already done those that do not. */
export async function preflight(
  request: PreflightRequest,
  ctx: { api?: ProductionApi; logger: Logger },
): Promise<PreflightResult> {
  if (!request.promote || !request.production) {
    ctx.logger.info('This run does not promote: nothing about production to check.');
    return { checks: ['no promotion'] };
  }
  const checks: string[] = [];
  if (request.sharing?.kind === 'community') {
    checks.push('community gallery inputs given (public-name-prefix, publisher-uri, …)');
  }
  const p = request.production;
  if (!ctx.api) throw new Error('preflight needs Azure clients to check the production gallery');
  const gallery = await checkProductionGallery(ctx.api, p);
  if (gallery.exists) {
    checks.push(`production gallery ${p.resourceGroup}/${p.gallery} exists`);
    if (p.publicName) checks.push(`its public name is ${p.publicName}`);
  } else {
    checks.push(`production gallery ${p.resourceGroup}/${p.gallery} will be created`);
  }
  for (const line of checks) ctx.logger.info(`✓ ${line}`);
  return { checks, ...(gallery.publicName ? { publicName: gallery.publicName } : {}) };
}
