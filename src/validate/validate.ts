/**
 * validate-cluster's work once its inputs are read: find the image, then boot it on a VM or in a
 * CAPZ workload cluster and report. Everything from outside (clients, tools, the run, state for
 * the post step) comes in through {@link ValidateContext}.
 */
import type { AzureClients } from '../azure/clients.js';
import { InputError } from '../common/errors.js';
import type { RunCommand } from '../common/exec.js';
import type { Logger } from '../common/logger.js';
import type { GalleryImageVersionId } from '../gallery/identifiers.js';
import { DEFAULT_PROVENANCE_FILES } from './checks.js';
import type { SaveState } from './cleanup.js';
import { CAPZ_DEFAULT_TEMPLATES, CAPZ_TEMPLATE_SOURCE } from './cluster/capz-templates.js';
import { validateCluster } from './cluster/cluster.js';
import { readImage } from './image.js';
import type { ValidationReport } from './report.js';
import type { RunIdentity } from './vm/plan.js';
import { validateVm } from './vm/vm.js';

/** How long cleanup may wait for Azure to delete the resource group. */
const CLEANUP_TIMEOUT_MS = 20 * 60_000;

/** The cluster-mode files, read and checked. */
export interface LoadedClusterInputs {
  readonly kubeconfig: string;
  /** Undefined: CAPZ's default flavor, chosen once the image's OS is known. */
  readonly template?: { readonly text: string; readonly shown: string };
  readonly cniManifest?: string;
}

/** What a validation asks for: validate-cluster's inputs, read and checked. */
export interface ValidateRequest {
  /** Where the test resources go. */
  readonly subscriptionId: string;
  readonly tenantId?: string;
  readonly imageVersionId: string;
  readonly imageVersion: GalleryImageVersionId;
  /** With the `v`. */
  readonly kubernetesVersion: string;
  /** Unset: the version's own region. */
  readonly location?: string;
  readonly vmSize?: string;
  readonly containerdVersion?: string;
  /** Unset: the OS's default path. */
  readonly provenanceFile?: string;
  readonly timeoutMinutes: number;
  readonly pollIntervalSeconds: number;
  /** Cluster mode: the cluster's shape and its files, loaded. */
  readonly cluster?: LoadedClusterInputs & {
    readonly namespace: string;
    readonly controlPlaneCount: number;
    readonly workerCount: number;
    readonly keepOnFailure: boolean;
  };
}

export interface ValidateContext {
  readonly clients: Pick<AzureClients, 'compute' | 'resources'>;
  readonly logger: Logger;
  readonly run: RunCommand;
  readonly runId: RunIdentity;
  readonly saveState: SaveState;
  /** Hides a value (the Windows admin password) from the log. */
  readonly maskSecret: (value: string) => void;
  /** GETs a URL without credentials (the boot-diagnostics SAS URL). */
  readonly fetchText: (url: string) => Promise<string>;
  /** Template variables the step's environment sets (clusterctl reads them from there). */
  readonly env: Readonly<Record<string, string | undefined>>;
  readonly signal?: AbortSignal;
}

/** Reads the image, then validates it in the mode asked for. */
export async function validateImage(
  req: ValidateRequest,
  ctx: ValidateContext,
): Promise<ValidationReport> {
  const image = await readImage(
    ctx.clients.compute,
    req.imageVersionId,
    req.imageVersion,
    req.location,
    ctx.logger,
  );
  const timing = {
    timeoutMs: req.timeoutMinutes * 60_000,
    pollIntervalMs: req.pollIntervalSeconds * 1000,
    cleanupTimeoutMs: CLEANUP_TIMEOUT_MS,
  };
  const cluster = req.cluster;
  if (cluster) {
    if (image.osType === 'Windows' && cluster.workerCount === 0) {
      throw new InputError(
        'worker-count',
        '0',
        'A Windows image runs only on workers (the control plane is Linux): expected at least 1.',
      );
    }
    return validateCluster(
      {
        subscriptionId: req.subscriptionId,
        ...(req.tenantId ? { tenantId: req.tenantId } : {}),
        image,
        kubernetesVersion: req.kubernetesVersion,
        kubeconfig: cluster.kubeconfig,
        template: cluster.template ?? {
          text: CAPZ_DEFAULT_TEMPLATES[image.osType],
          shown: `CAPZ default (${image.osType}) flavor, ${CAPZ_TEMPLATE_SOURCE}`,
        },
        namespace: cluster.namespace,
        controlPlaneCount: cluster.controlPlaneCount,
        workerCount: cluster.workerCount,
        keepOnFailure: cluster.keepOnFailure,
        ...(req.vmSize ? { vmSize: req.vmSize } : {}),
        ...(cluster.cniManifest ? { cniManifest: cluster.cniManifest } : {}),
        ...timing,
      },
      {
        run: ctx.run,
        logger: ctx.logger,
        runId: ctx.runId,
        saveState: ctx.saveState,
        env: ctx.env,
        ...(ctx.signal ? { signal: ctx.signal } : {}),
      },
    );
  }
  return validateVm(
    {
      subscriptionId: req.subscriptionId,
      image,
      kubernetesVersion: req.kubernetesVersion,
      provenanceFile: req.provenanceFile ?? DEFAULT_PROVENANCE_FILES[image.osType],
      ...(req.vmSize ? { vmSize: req.vmSize } : {}),
      ...(req.containerdVersion ? { containerdVersion: req.containerdVersion } : {}),
      ...timing,
    },
    {
      compute: ctx.clients.compute,
      resources: ctx.clients.resources,
      logger: ctx.logger,
      run: ctx.runId,
      saveState: ctx.saveState,
      maskSecret: ctx.maskSecret,
      fetchText: ctx.fetchText,
      ...(ctx.signal ? { signal: ctx.signal } : {}),
    },
  );
}
