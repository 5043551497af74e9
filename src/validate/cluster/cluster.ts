/**
 * `mode: cluster`: a CAPZ workload cluster whose machines boot the staging version. The cluster
 * template is rendered, its AzureMachineTemplates pointed at the version and checked against
 * the management cluster's CRD, applied; then the control plane must initialize, every Machine
 * run, every node be Ready with kubelet `v<version>`, and a pause pod run on every node. The
 * cluster is deleted (and waited for) unless `keep-on-failure` and it failed. Its name is saved
 * as action state before it is applied, so the `post:` step deletes it if this step cannot.
 */
import { createHash } from 'node:crypto';
import { stringify } from 'yaml';
import type { RunCommand } from '../../common/exec.js';
import { ConfigurationError } from '../../common/errors.js';
import type { Logger } from '../../common/logger.js';
import type { CheckResult } from '../checks.js';
import { STATE } from '../cleanup.js';
import type { CleanupOutcome, SaveState } from '../cleanup.js';
import { azureMachineImageSchema, schemaProblems } from './crd-schema.js';
import type { ImageFacts } from '../image.js';
import { Kubectl, kubectlWorkDir, requireKubectl, writeKubeconfig } from './kubectl.js';
import { REPORT_SCHEMA, tailText } from '../report.js';
import type { ClusterDiagnostics, ValidationReport } from '../report.js';
import { renderClusterTemplate } from './template.js';
import type { KubeObject } from './template.js';
import { DEFAULT_VM_SIZES, planVm } from '../vm/plan.js';
import type { RunIdentity } from '../vm/plan.js';

export const AZURE_MACHINE_TEMPLATE_CRD = 'azuremachinetemplates.infrastructure.cluster.x-k8s.io';

/** The smoke workload: a pause container on every node, control plane included. */
const SMOKE = {
  name: 'cga-smoke',
  namespace: 'default',
  image: 'registry.k8s.io/pause:3.10',
} as const;

export interface ClusterValidationSettings {
  readonly subscriptionId: string;
  readonly tenantId?: string;
  readonly image: ImageFacts & { region: string };
  /** With the `v`. */
  readonly kubernetesVersion: string;
  /** The management cluster's kubeconfig (checked by loadKubeconfig). */
  readonly kubeconfig: string;
  readonly template: { readonly text: string; readonly shown: string };
  readonly namespace: string;
  readonly controlPlaneCount: number;
  readonly workerCount: number;
  readonly vmSize?: string;
  readonly keepOnFailure: boolean;
  /** Applied to the workload cluster once its API answers (for templates without a CNI). */
  readonly cniManifest?: string;
  readonly timeoutMs: number;
  readonly pollIntervalMs: number;
  readonly cleanupTimeoutMs: number;
}

export interface ClusterValidationContext {
  readonly run: RunCommand;
  readonly logger: Logger;
  readonly runId: RunIdentity;
  readonly saveState: SaveState;
  /** Template variables the step's environment sets (clusterctl reads them from there). */
  readonly env: Readonly<Record<string, string | undefined>>;
  readonly signal?: AbortSignal;
}

interface Condition {
  type?: string;
  status?: string;
  reason?: string;
  message?: string;
}
interface ClusterObject {
  status?: {
    phase?: string;
    controlPlaneReady?: boolean;
    conditions?: Condition[];
    initialization?: { controlPlaneInitialized?: boolean };
  };
}
interface MachineObject {
  metadata?: { name?: string };
  status?: { phase?: string; nodeRef?: { name?: string }; failureMessage?: string };
}
interface NodeObject {
  metadata?: { name?: string };
  status?: { conditions?: Condition[]; nodeInfo?: { kubeletVersion?: string } };
}

/** The workload cluster's name: `cga-<run>-<attempt>-<hash>`, a DNS label CAPZ accepts. */
export function clusterName(run: RunIdentity, image: ImageFacts): string {
  const hash = createHash('sha256')
    .update(`${run.discriminator}|${image.id.toLowerCase()}|cluster`)
    .digest('hex')
    .slice(0, 6);
  return `cga-${run.runId}-${run.attempt}-${hash}`.toLowerCase().slice(0, 40);
}

export async function validateCluster(
  s: ClusterValidationSettings,
  ctx: ClusterValidationContext,
): Promise<ValidationReport> {
  const started = new Date();
  const { image, namespace } = s;
  const { logger } = ctx;
  const v = s.kubernetesVersion;
  const expected = s.controlPlaneCount + s.workerCount;
  await requireKubectl(ctx.run);
  const work = await kubectlWorkDir();
  try {
    const kubectl = new Kubectl(
      ctx.run,
      await writeKubeconfig(work.dir, 'management.kubeconfig', s.kubeconfig),
      work.dir,
    );
    const crd = await kubectl.getOrUndefined(['get', 'crd', AZURE_MACHINE_TEMPLATE_CRD]);
    if (!crd) {
      throw new ConfigurationError(
        `The management cluster in 'kubeconfig' has no ${AZURE_MACHINE_TEMPLATE_CRD} CRD: install Cluster API Provider Azure there first (clusterctl init --infrastructure azure).`,
      );
    }
    const name = clusterName(ctx.runId, image);
    const rendered = renderClusterTemplate({
      template: s.template,
      variables: templateVariables(s, name, ctx.env),
      namespace,
      image: image.ref,
      osType: image.osType,
    });
    checkImagesAgainstCrd(rendered.objects, crd);
    logger.info(
      `Cluster ${namespace}/${name}: ${s.controlPlaneCount} control plane, ${s.workerCount} worker(s); ${rendered.imageTemplates.join(', ')} boot ${image.id}.`,
    );

    // Saved before the cluster exists: from here on, post: deletes it if this step cannot.
    ctx.saveState(STATE.cluster, JSON.stringify({ name, namespace }));
    const deadline = Date.now() + s.timeoutMs;
    const state = new Observed();
    let error: string | undefined;
    try {
      logger.info(await kubectl.apply(rendered.yaml, name));
      await waitForCluster(s, ctx, kubectl, work.dir, name, deadline, state);
      if (state.allReady(expected, v)) await runSmokeWorkload(s, ctx, state, deadline, expected);
    } catch (err) {
      error = ctx.signal?.aborted ? 'Cancelled.' : (err as Error).message;
    }
    if (!error && Date.now() >= deadline && !state.smokeReady) {
      error = `Timed out after ${Math.round(s.timeoutMs / 60_000)} min.`;
    }
    const checks = state.checks(s, expected);
    for (const c of checks)
      logger.info(
        `${c.status === 'passed' ? '✓' : c.status === 'failed' ? '✗' : '-'} ${c.name}: ${c.actual}`,
      );
    const failed = error !== undefined || checks.some((c) => c.status !== 'passed');

    const diagnostics =
      failed && !ctx.signal?.aborted
        ? await logger.group('Diagnostics', () =>
            collectDiagnostics(kubectl, state.workload, name, namespace),
          )
        : undefined;
    let cleanup: CleanupOutcome;
    if (failed && s.keepOnFailure) {
      cleanup = {
        target: `cluster ${namespace}/${name}`,
        deleted: false,
        message: `Kept cluster ${namespace}/${name} for debugging (keep-on-failure); delete it with: kubectl delete cluster ${name} -n ${namespace}`,
      };
      ctx.saveState(STATE.done, 'true');
    } else {
      cleanup = await deleteCluster(kubectl, name, namespace, {
        logger,
        pollIntervalMs: s.pollIntervalMs,
        timeoutMs: s.cleanupTimeoutMs,
        leftovers: rendered.objects.filter(
          (o) => o.kind !== 'Cluster' && o.metadata?.name?.startsWith(name),
        ),
      });
      if (cleanup.deleted) ctx.saveState(STATE.done, 'true');
    }
    logger.info(cleanup.message);
    const kubelets = [...new Set(state.nodes.map((n) => n.kubeletVersion))];
    const finished = new Date();
    return {
      schema: REPORT_SCHEMA,
      result: failed ? 'failed' : 'passed',
      mode: 'cluster',
      imageVersionId: image.id,
      kubernetesVersion: v,
      location: image.region,
      image: {
        osType: image.osType,
        hyperVGeneration: image.hyperVGeneration,
        architecture: image.architecture,
        securityType: image.securityType,
        diskControllerTypes: image.diskControllerTypes,
      },
      cluster: {
        name,
        namespace,
        controlPlaneCount: s.controlPlaneCount,
        workerCount: s.workerCount,
        nodes: state.nodes,
      },
      checks,
      ...(kubelets.length === 1 && kubelets[0] ? { kubeletVersion: kubelets[0] } : {}),
      ...(error ? { error } : {}),
      ...(diagnostics ? { diagnostics } : {}),
      cleanup,
      startedAt: started.toISOString(),
      finishedAt: finished.toISOString(),
      durationMs: finished.getTime() - started.getTime(),
    };
  } finally {
    await work.dispose();
  }
}

/** The values clusterctl would take from the environment, with the run's own on top. */
function templateVariables(
  s: ClusterValidationSettings,
  name: string,
  env: Readonly<Record<string, string | undefined>>,
): Record<string, string | undefined> {
  const windows = s.image.osType === 'Windows';
  const imageSize = planVm(s.image, s.vmSize).size;
  return {
    ...env,
    AZURE_TENANT_ID: env.AZURE_TENANT_ID ?? s.tenantId,
    CLUSTER_NAME: name,
    KUBERNETES_VERSION: s.kubernetesVersion,
    AZURE_LOCATION: s.image.region,
    AZURE_SUBSCRIPTION_ID: s.subscriptionId,
    CONTROL_PLANE_MACHINE_COUNT: String(s.controlPlaneCount),
    WORKER_MACHINE_COUNT: String(s.workerCount),
    // A Windows cluster's control plane is Linux: only its workers boot the image.
    AZURE_CONTROL_PLANE_MACHINE_TYPE: windows ? DEFAULT_VM_SIZES.V2 : imageSize,
    AZURE_NODE_MACHINE_TYPE: imageSize,
  };
}

/** Each AzureMachineTemplate's image must be what the management cluster's CRD accepts. */
function checkImagesAgainstCrd(objects: KubeObject[], crd: unknown): void {
  for (const o of objects) {
    if (o.kind !== 'AzureMachineTemplate') continue;
    const image = (o.spec?.template as { spec?: { image?: unknown } } | undefined)?.spec?.image;
    if (image === undefined) continue;
    const schema = azureMachineImageSchema(crd, o.apiVersion ?? '');
    if (!schema) {
      throw new ConfigurationError(
        `The management cluster's ${AZURE_MACHINE_TEMPLATE_CRD} CRD does not serve ${o.apiVersion}, which the cluster template uses: use a template for the CAPZ release installed there.`,
      );
    }
    const problems = schemaProblems(image, schema, `${o.metadata?.name}.spec.template.spec.image`);
    if (problems.length > 0) {
      throw new Error(
        `The rendered AzureMachineTemplate does not fit the CAPZ CRD: ${problems.join('; ')}`,
      );
    }
  }
}

/** What the last look at the clusters showed; the checks are drawn from it. */
class Observed {
  initialized = false;
  initializedReason = 'not yet seen';
  machines: { name: string; phase: string }[] = [];
  nodes: { name: string; ready: boolean; kubeletVersion: string; reason?: string }[] = [];
  workload: Kubectl | undefined;
  smokeReady = false;
  smokeActual = 'not reached';

  allReady(expected: number, version: string): boolean {
    return (
      this.machines.length === expected &&
      this.machines.every((m) => m.phase === 'Running') &&
      this.nodes.length === expected &&
      this.nodes.every((n) => n.ready && n.kubeletVersion === version)
    );
  }

  checks(s: ClusterValidationSettings, expected: number): CheckResult[] {
    const v = s.kubernetesVersion;
    const row = (
      name: string,
      title: string,
      ok: boolean,
      expectedText: string,
      actual: string,
      reached: boolean,
    ): CheckResult => ({
      name,
      title,
      status: ok ? 'passed' : reached ? 'failed' : 'skipped',
      expected: expectedText,
      actual: reached ? actual : 'not reached',
    });
    const running = this.machines.filter((m) => m.phase === 'Running').length;
    const notRunning = this.machines
      .filter((m) => m.phase !== 'Running')
      .map((m) => `${m.name}: ${m.phase}`);
    const ready = this.nodes.filter((n) => n.ready).length;
    const notReady = this.nodes
      .filter((n) => !n.ready)
      .map((n) => `${n.name}${n.reason ? `: ${n.reason}` : ''}`);
    const versions = [...new Set(this.nodes.map((n) => n.kubeletVersion))];
    const wrong = this.nodes.filter((n) => n.kubeletVersion !== v);
    return [
      row(
        'control-plane-initialized',
        'the control plane initializes',
        this.initialized,
        'ControlPlaneInitialized',
        this.initializedReason,
        true,
      ),
      row(
        'machines-running',
        'every Machine is Running',
        this.machines.length === expected && running === expected,
        `${expected}/${expected} Running`,
        `${running}/${expected} Running${notRunning.length ? ` (${notRunning.join(', ')})` : ''}`,
        this.initialized,
      ),
      row(
        'nodes-ready',
        'every node is Ready',
        this.nodes.length === expected && ready === expected,
        `${expected}/${expected} Ready`,
        `${ready}/${expected} Ready${notReady.length ? ` (NotReady: ${notReady.join('; ')})` : ''}`,
        this.initialized,
      ),
      row(
        'kubelet-version',
        `every node runs kubelet ${v}`,
        this.nodes.length === expected && wrong.length === 0,
        v,
        versions.length === 0
          ? 'no nodes'
          : wrong.length === 0
            ? v
            : `${versions.join(', ')} (${wrong.map((n) => n.name).join(', ')})`,
        this.nodes.length > 0,
      ),
      row(
        'smoke-workload',
        `a pause pod runs on every node`,
        this.smokeReady,
        `${expected}/${expected} pods Ready`,
        this.smokeActual,
        this.smokeActual !== 'not reached',
      ),
    ];
  }
}

async function waitForCluster(
  s: ClusterValidationSettings,
  ctx: ClusterValidationContext,
  kubectl: Kubectl,
  dir: string,
  name: string,
  deadline: number,
  state: Observed,
): Promise<void> {
  const ns = s.namespace;
  const expected = s.controlPlaneCount + s.workerCount;
  let last = '';
  for (;;) {
    try {
      const cluster = await kubectl.getOrUndefined<ClusterObject>([
        'get',
        'cluster',
        name,
        '-n',
        ns,
      ]);
      const init = cluster?.status?.conditions?.find((c) => c.type === 'ControlPlaneInitialized');
      state.initialized =
        init?.status === 'True' ||
        cluster?.status?.initialization?.controlPlaneInitialized === true ||
        cluster?.status?.controlPlaneReady === true;
      state.initializedReason = state.initialized
        ? 'ControlPlaneInitialized'
        : `not initialized (${cluster?.status?.phase ?? 'no status'}${init?.reason ? `: ${init.reason}` : ''}${init?.message ? ` ${init.message}` : ''})`;
      if (state.initialized && !state.workload) {
        const secret = await kubectl.text([
          'get',
          'secret',
          `${name}-kubeconfig`,
          '-n',
          ns,
          '-o',
          'jsonpath={.data.value}',
        ]);
        const path = await writeKubeconfig(
          dir,
          'workload.kubeconfig',
          Buffer.from(secret, 'base64').toString('utf8'),
        );
        state.workload = new Kubectl(ctx.run, path, dir);
        if (s.cniManifest) ctx.logger.info(await state.workload.apply(s.cniManifest, 'cni'));
      }
      const machines = await kubectl.json<{ items: MachineObject[] }>([
        'get',
        'machines',
        '-n',
        ns,
        '-l',
        `cluster.x-k8s.io/cluster-name=${name}`,
      ]);
      state.machines = machines.items.map((m) => ({
        name: m.metadata?.name ?? '?',
        phase: m.status?.phase ?? 'Pending',
      }));
      if (state.workload) {
        const nodes = await state.workload.json<{ items: NodeObject[] }>(['get', 'nodes']);
        state.nodes = nodes.items.map((n) => {
          const ready = n.status?.conditions?.find((c) => c.type === 'Ready');
          return {
            name: n.metadata?.name ?? '?',
            ready: ready?.status === 'True',
            kubeletVersion: n.status?.nodeInfo?.kubeletVersion ?? 'unknown',
            ...(ready?.status !== 'True' && (ready?.reason || ready?.message)
              ? { reason: [ready.reason, ready.message].filter(Boolean).join(' ') }
              : {}),
          };
        });
      }
    } catch (err) {
      ctx.logger.warning(`Reading the cluster failed (retrying): ${(err as Error).message}`);
    }
    const progress = `initialized ${state.initialized}; machines ${state.machines.map((m) => m.phase).join(',') || 'none'}; nodes ${state.nodes.map((n) => `${n.ready ? 'Ready' : 'NotReady'} ${n.kubeletVersion}`).join(',') || 'none'}`;
    if (progress !== last) ctx.logger.info(`${ns}/${name}: ${progress}`);
    last = progress;
    if (state.allReady(expected, s.kubernetesVersion)) return;
    // Every node is up but runs another kubelet: waiting will not change that.
    if (
      state.nodes.length === expected &&
      state.nodes.every((n) => n.ready) &&
      state.nodes.some((n) => n.kubeletVersion !== s.kubernetesVersion)
    )
      return;
    if (Date.now() >= deadline || ctx.signal?.aborted) return;
    await sleep(Math.min(s.pollIntervalMs, Math.max(0, deadline - Date.now())), ctx.signal);
  }
}

async function runSmokeWorkload(
  s: ClusterValidationSettings,
  ctx: ClusterValidationContext,
  state: Observed,
  deadline: number,
  expected: number,
): Promise<void> {
  const workload = state.workload!;
  const daemonSet = {
    apiVersion: 'apps/v1',
    kind: 'DaemonSet',
    metadata: { name: SMOKE.name, namespace: SMOKE.namespace },
    spec: {
      selector: { matchLabels: { app: SMOKE.name } },
      template: {
        metadata: { labels: { app: SMOKE.name } },
        spec: {
          tolerations: [{ operator: 'Exists' }],
          containers: [{ name: 'pause', image: SMOKE.image }],
        },
      },
    },
  };
  ctx.logger.info(await workload.apply(stringify(daemonSet), SMOKE.name));
  state.smokeActual = `0/${expected} pods Ready`;
  for (;;) {
    const ds = await workload.getOrUndefined<{
      status?: { desiredNumberScheduled?: number; numberReady?: number };
    }>(['get', 'daemonset', SMOKE.name, '-n', SMOKE.namespace]);
    const ready = ds?.status?.numberReady ?? 0;
    const desired = ds?.status?.desiredNumberScheduled ?? 0;
    state.smokeActual = `${ready}/${expected} pods Ready${desired !== expected ? ` (${desired} scheduled)` : ''}`;
    if (ready === expected && desired === expected) {
      state.smokeReady = true;
      return;
    }
    if (Date.now() >= deadline || ctx.signal?.aborted) return;
    await sleep(Math.min(s.pollIntervalMs, Math.max(0, deadline - Date.now())), ctx.signal);
  }
}

async function collectDiagnostics(
  kubectl: Kubectl,
  workload: Kubectl | undefined,
  name: string,
  ns: string,
): Promise<ClusterDiagnostics> {
  const problems: string[] = [];
  const grab = async (what: string, k: Kubectl | undefined, args: string[], keep: number) => {
    if (!k) return undefined;
    const result = await k
      .raw(args)
      .catch((err: unknown) => ({ code: 1, stdout: '', stderr: (err as Error).message }));
    if (result.code !== 0) {
      problems.push(`${what}: ${result.stderr.trim()}`);
      return undefined;
    }
    return tailText(result.stdout, keep);
  };
  const cluster = await grab(
    'cluster',
    kubectl,
    ['get', 'cluster', name, '-n', ns, '-o', 'yaml'],
    8192,
  );
  const machines = await grab(
    'machines',
    kubectl,
    ['get', 'machines', '-n', ns, '-l', `cluster.x-k8s.io/cluster-name=${name}`, '-o', 'wide'],
    8192,
  );
  const nodes = await grab('nodes', workload, ['get', 'nodes', '-o', 'wide'], 8192);
  const events = await grab(
    'events',
    kubectl,
    ['get', 'events', '-n', ns, '--sort-by=.lastTimestamp'],
    8192,
  );
  return {
    ...(cluster ? { cluster } : {}),
    ...(machines ? { machines } : {}),
    ...(nodes ? { nodes } : {}),
    ...(events ? { events } : {}),
    problems,
  };
}

/**
 * Deletes the Cluster (CAPZ takes its machines and Azure resources with it), waits until it is
 * gone, then the template objects named after it that nothing owns (machine and config
 * templates). A cluster already gone counts as deleted.
 */
export async function deleteCluster(
  kubectl: Kubectl,
  name: string,
  ns: string,
  o: { logger: Logger; pollIntervalMs: number; timeoutMs: number; leftovers?: KubeObject[] },
): Promise<CleanupOutcome> {
  const target = `cluster ${ns}/${name}`;
  const started = Date.now();
  o.logger.info(`Deleting ${target}.`);
  const del = await kubectl.raw([
    'delete',
    'cluster',
    name,
    '-n',
    ns,
    '--ignore-not-found',
    '--wait=false',
  ]);
  if (del.code !== 0) {
    return { target, deleted: false, message: `Deleting ${target} failed: ${del.stderr.trim()}` };
  }
  for (;;) {
    const left = await kubectl
      .getOrUndefined(['get', 'cluster', name, '-n', ns])
      .catch(() => 'unknown');
    if (left === undefined) break;
    if (Date.now() - started >= o.timeoutMs) {
      return {
        target,
        deleted: false,
        message: `Deleting ${target} was still running after ${Math.round(o.timeoutMs / 60_000)} min; CAPZ finishes it on its own.`,
      };
    }
    await sleep(o.pollIntervalMs);
  }
  if (o.leftovers?.length) {
    const manifest = o.leftovers
      .map((x) =>
        stringify({
          apiVersion: x.apiVersion,
          kind: x.kind,
          metadata: { name: x.metadata?.name, namespace: ns },
        }),
      )
      .join('---\n');
    const file = await writeKubeconfig(
      dirOf(kubectl.kubeconfigPath),
      `${name}-leftovers.yaml`,
      manifest,
    );
    const result = await kubectl.raw(['delete', '-f', file, '--ignore-not-found', '--wait=false']);
    if (result.code !== 0)
      o.logger.warning(`Deleting the templates of ${target}: ${result.stderr.trim()}`);
  }
  const seconds = ((Date.now() - started) / 1000).toFixed(1);
  return { target, deleted: true, message: `Deleted ${target} in ${seconds} s.` };
}

function dirOf(path: string): string {
  return path.slice(0, Math.max(0, path.lastIndexOf('/'))) || '.';
}

function sleep(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    const timer = setTimeout(resolve, ms);
    signal?.addEventListener('abort', () => {
      clearTimeout(timer);
      resolve();
    });
  });
}
