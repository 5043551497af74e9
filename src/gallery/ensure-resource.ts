/**
 * The one way galleries and definitions are made sure of. Two runs publishing into a fresh
 * gallery race to create it: the loser's PUT answers 409 Conflict while the winner's create is
 * running. And a create can end `Failed`, leaving a resource that looks present but is not
 * usable. Both are handled alike: read again, wait while another operation runs, check what is
 * there, and send the create again (loudly) over a Failed one rather than use it.
 */
import type { Logger } from '../common/logger.js';
import { azureError, statusOf } from '../azure/errors.js';

/** What a managed resource says about its last operation. */
interface Provisioned {
  provisioningState?: string;
}

export interface EnsureResourceSteps<T extends Provisioned> {
  /** For messages: `gallery 'g1'`, `image definition 'capi-ubuntu-2404'`. */
  readonly what: string;
  /** The resource, or undefined when it does not exist. */
  get(): Promise<T | undefined>;
  /** Sends the create and waits for its operation; rejects with Azure's error when it fails. */
  create(): Promise<T>;
  /** Throws when an existing resource differs from what was asked in a way that cannot change. */
  check(existing: T): void;
}

export interface EnsureResourceOptions {
  readonly logger: Logger;
  readonly pollIntervalMs: number;
  /** Gives up waiting for another run's operation after this long. */
  readonly timeoutMs?: number;
  readonly sleep?: (ms: number) => Promise<void>;
}

export interface EnsuredResource<T> {
  readonly resource: T;
  /** True only for the run whose create made it (or made a Failed one usable). */
  readonly created: boolean;
}

const IN_PROGRESS = new Set(['Creating', 'Updating', 'Deleting', 'Migrating']);

const defaultSleep = (ms: number) => new Promise<void>((done) => setTimeout(done, ms));

export async function ensureResource<T extends Provisioned>(
  steps: EnsureResourceSteps<T>,
  options: EnsureResourceOptions,
): Promise<EnsuredResource<T>> {
  const sleep = options.sleep ?? defaultSleep;
  const deadline = Date.now() + (options.timeoutMs ?? 15 * 60_000);
  let retriedFailed = false;
  let waitedFor: string | undefined;
  for (;;) {
    const existing = await steps.get();
    const state = existing?.provisioningState;
    if (existing && state !== undefined && IN_PROGRESS.has(state)) {
      if (Date.now() > deadline) {
        throw new Error(`Timed out waiting for ${steps.what} to leave state ${state}; run again.`);
      }
      if (waitedFor !== state)
        options.logger.info(`Found ${steps.what} in state ${state}; waiting for it to finish.`);
      waitedFor = state;
      await sleep(options.pollIntervalMs);
      continue;
    }
    if (existing) steps.check(existing);
    if (existing && state !== 'Failed') {
      options.logger.info(`${capitalise(steps.what)} exists.`);
      return { resource: existing, created: false };
    }
    if (existing && retriedFailed) {
      throw new Error(
        `${capitalise(steps.what)} is still in state Failed after creating it again.`,
      );
    }
    if (existing) {
      options.logger.warning(
        `${capitalise(steps.what)} exists in state Failed (an earlier create failed); creating it again rather than using it.`,
      );
      retriedFailed = true;
    }
    try {
      return { resource: await steps.create(), created: true };
    } catch (err) {
      if (statusOf(err) !== 409 || Date.now() > deadline) {
        throw azureError(err, `creating ${steps.what}`);
      }
      // Another run's create (or update) of the same resource is running: read it again.
      options.logger.info(
        `Another run is creating ${steps.what} (409 Conflict); reading it again.`,
      );
      await sleep(options.pollIntervalMs);
    }
  }
}

function capitalise(text: string): string {
  return text.charAt(0).toUpperCase() + text.slice(1);
}
