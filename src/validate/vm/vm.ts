/**
 * `mode: vm`: boots the staging version itself in a resource group of its own, runs the node
 * checks through Run Command (no SSH, no public IP), collects diagnostics when anything failed,
 * and deletes the resource group whatever happened. The group's name is saved as action state
 * before it exists, so the `post:` step deletes it when this step never gets to.
 */
import type { ComputeManagementClient, VirtualMachine } from '@azure/arm-compute';
import type { ResourceManagementClient } from '@azure/arm-resources';
import type { Logger } from '../../common/logger.js';
import { azureError } from '../../azure/errors.js';
import { checkScript, evaluateChecks, runCommandStreams } from '../checks.js';
import type { CheckOptions, CheckResult } from '../checks.js';
import { claimResourceGroup, deleteResourceGroup, STATE } from '../cleanup.js';
import type { SaveState } from '../cleanup.js';
import type { ImageFacts } from '../image.js';
import { REPORT_SCHEMA, tailText } from '../report.js';
import type { ValidationReport, VmDiagnostics } from '../report.js';
import {
  nicBody,
  planVm,
  resourceGroupName,
  validationTags,
  VM_NAMES,
  vmBody,
  vmCredentials,
  vnetBody,
} from './plan.js';
import type { RunIdentity, VmCredentials, VmPlan } from './plan.js';

/** Microsoft.Network api-version for the VNet and NIC (through the generic resources client). */
export const NETWORK_API_VERSION = '2024-05-01';

export interface VmValidationSettings {
  /** Where the resource group goes (the `subscription-id` input). */
  readonly subscriptionId: string;
  readonly image: ImageFacts & { region: string };
  /** With the `v`. */
  readonly kubernetesVersion: string;
  readonly vmSize?: string;
  readonly containerdVersion?: string;
  readonly provenanceFile: string;
  /** The whole validation, cleanup excluded. */
  readonly timeoutMs: number;
  readonly pollIntervalMs: number;
  /** How long to wait for the resource group to be deleted. */
  readonly cleanupTimeoutMs: number;
}

export interface VmValidationContext {
  readonly compute: Pick<ComputeManagementClient, 'virtualMachines'>;
  readonly resources: Pick<ResourceManagementClient, 'resourceGroups' | 'resources'>;
  readonly logger: Logger;
  readonly run: RunIdentity;
  readonly saveState: SaveState;
  /** Hides a value (the Windows admin password) from the log. */
  readonly maskSecret: (value: string) => void;
  /** GETs a URL without credentials (the boot-diagnostics SAS URL). */
  readonly fetchText: (url: string) => Promise<string>;
  /** Cancellation from outside (the runner stopping the step). */
  readonly signal?: AbortSignal;
  /** Makes the VM's credentials; tests may pass a cheaper one. */
  readonly credentials?: (osType: ImageFacts['osType']) => Promise<VmCredentials>;
}

/**
 * Boots the version on a VM in a resource group of its own, runs the node checks through Run
 * Command, collects diagnostics when something failed, deletes the group and reports.
 */
export async function validateVm(
  s: VmValidationSettings,
  ctx: VmValidationContext,
): Promise<ValidationReport> {
  const started = new Date();
  const plan = planVm(s.image, s.vmSize);
  const rg = resourceGroupName(ctx.run, s.image, 'vm');
  await claimResourceGroup(ctx.resources, rg, rg);
  // Saved before the group exists: from here on, post: deletes it if this step cannot.
  ctx.saveState(STATE.resourceGroup, rg);

  const deadline = AbortSignal.timeout(s.timeoutMs);
  const signal = ctx.signal ? AbortSignal.any([deadline, ctx.signal]) : deadline;
  const outcome = await bootAndCheck(s, ctx, { rg, plan, signal });
  for (const c of outcome.checks) {
    ctx.logger.info(
      `${c.status === 'passed' ? '✓' : c.status === 'failed' ? '✗' : '-'} ${c.name}: ${c.actual}`,
    );
  }

  const failed = outcome.error !== undefined || outcome.checks.some((c) => c.status === 'failed');
  let diagnostics: VmDiagnostics | undefined;
  // When cancelled, the runner kills the step within seconds: delete first, skip diagnostics.
  if (failed && !ctx.signal?.aborted) {
    diagnostics = await ctx.logger.group('Diagnostics', () =>
      collectDiagnostics(ctx, rg, outcome.vmCreated ? VM_NAMES.vm : undefined, outcome.runOutput),
    );
  }

  const cleanup = await deleteResourceGroup(ctx.resources, rg, {
    logger: ctx.logger,
    pollIntervalMs: s.pollIntervalMs,
    timeoutMs: s.cleanupTimeoutMs,
  });
  ctx.logger.info(cleanup.message);
  if (cleanup.deleted) ctx.saveState(STATE.done, 'true');

  const finished = new Date();
  const { image } = s;
  const kubelet = outcome.checks.find((c) => c.name === 'kubelet-version');
  return {
    schema: REPORT_SCHEMA,
    result: failed ? 'failed' : 'passed',
    mode: 'vm',
    imageVersionId: image.id,
    kubernetesVersion: s.kubernetesVersion,
    location: image.region,
    image: {
      osType: image.osType,
      hyperVGeneration: image.hyperVGeneration,
      architecture: image.architecture,
      securityType: image.securityType,
      diskControllerTypes: image.diskControllerTypes,
    },
    vm: {
      resourceGroup: rg,
      name: VM_NAMES.vm,
      size: plan.size,
      securityType: plan.securityType,
      diskControllerType: plan.diskControllerType ?? 'SCSI',
    },
    checks: outcome.checks,
    ...(kubelet && /^v\d/.test(kubelet.actual) ? { kubeletVersion: kubelet.actual } : {}),
    ...(outcome.error ? { error: outcome.error } : {}),
    ...(diagnostics ? { diagnostics } : {}),
    cleanup,
    startedAt: started.toISOString(),
    finishedAt: finished.toISOString(),
    durationMs: finished.getTime() - started.getTime(),
  };
}

/** What booting and checking the VM came to. */
interface VmOutcome {
  readonly checks: CheckResult[];
  /** Why the test stopped early: cancelled, timed out, or Azure refused a step. */
  readonly error?: string;
  /** Whether the VM was asked for (so diagnostics can look at it). */
  readonly vmCreated: boolean;
  /** What the check script printed, when it ran. */
  readonly runOutput?: { stdout: string; stderr: string };
}

/** The step a failure happened in, named as the report says it: `… while <stage>`. */
class StageFailure extends Error {
  constructor(
    readonly stage: string,
    override readonly cause: unknown,
  ) {
    super(`${stage}: ${cause instanceof Error ? cause.message : String(cause)}`);
  }
}

/** Runs one step of the test, tagging whatever it throws with the step's name. */
async function inStage<T>(stage: string, step: () => Promise<T>): Promise<T> {
  try {
    return await step();
  } catch (err) {
    throw new StageFailure(stage, err);
  }
}

const STAGES = {
  group: 'creating the resource group',
  network: 'creating the virtual network and NIC (no public IP)',
  checks: 'running the node checks (Run Command)',
} as const;

/** Network, VM, checks: each step in its stage, so a failure says what was going on. */
async function bootAndCheck(
  s: VmValidationSettings,
  ctx: VmValidationContext,
  run: { rg: string; plan: VmPlan; signal: AbortSignal },
): Promise<VmOutcome> {
  const { image } = s;
  const { rg, plan, signal } = run;
  const { compute, resources, logger } = ctx;
  const tags = validationTags(ctx.run, image, rg);
  const lro = { updateIntervalInMs: s.pollIntervalMs, abortSignal: signal };
  const checkOptions: CheckOptions = {
    osType: image.osType,
    kubernetesVersion: s.kubernetesVersion,
    provenanceFile: s.provenanceFile,
    ...(s.containerdVersion ? { containerdVersion: s.containerdVersion } : {}),
  };
  const boot: CheckResult = {
    name: 'vm-boots',
    title: `a ${plan.securityType} ${plan.size} VM boots from the version and its agent is ready`,
    status: 'passed',
    expected: 'provisioning Succeeded',
    actual: 'provisioning Succeeded',
  };
  const booting = `booting a ${plan.size} VM (${plan.securityType}${plan.diskControllerType ? `, ${plan.diskControllerType}` : ''})`;

  try {
    await inStage(STAGES.group, async () => {
      logger.info(`Creating resource group ${rg} in ${image.region}.`);
      await resources.resourceGroups.createOrUpdate(rg, { location: image.region, tags });
    });
    const { nicId, credentials } = await inStage(STAGES.network, async () => {
      const base = `/subscriptions/${s.subscriptionId}/resourceGroups/${rg}/providers`;
      const vnetId = `${base}/Microsoft.Network/virtualNetworks/${VM_NAMES.vnet}`;
      const nicId = `${base}/Microsoft.Network/networkInterfaces/${VM_NAMES.nic}`;
      // The generic client's path is `/{+resourceId}`: the ID goes without its leading slash.
      await resources.resources.createOrUpdateById(
        vnetId.slice(1),
        NETWORK_API_VERSION,
        vnetBody(image.region, tags),
        lro,
      );
      await resources.resources.createOrUpdateById(
        nicId.slice(1),
        NETWORK_API_VERSION,
        nicBody(image.region, `${vnetId}/subnets/${VM_NAMES.subnet}`, tags),
        lro,
      );
      const credentials = await (ctx.credentials ?? vmCredentials)(image.osType);
      if (credentials.adminPassword) ctx.maskSecret(credentials.adminPassword);
      return { nicId, credentials };
    });
    await inStage(booting, async () => {
      logger.info(`${capitalize(booting)} from ${image.id}.`);
      try {
        await compute.virtualMachines.createOrUpdate(
          rg,
          VM_NAMES.vm,
          vmBody(image, plan, nicId, credentials, tags) as unknown as VirtualMachine,
          lro,
        );
      } catch (err) {
        if (signal.aborted) throw err;
        throw new BootFailure(lroMessage(err));
      }
    });
    return await inStage(STAGES.checks, async () => {
      logger.info(`VM ${VM_NAMES.vm} is up; ${STAGES.checks}.`);
      const script = checkScript(checkOptions);
      const result = await compute.virtualMachines.runCommand(rg, VM_NAMES.vm, script, lro);
      const runOutput = runCommandStreams(result.value ?? []);
      return {
        checks: [boot, ...evaluateChecks(checkOptions, runOutput.stdout)],
        vmCreated: true,
        runOutput,
      };
    });
  } catch (err) {
    const { stage, cause } = err as StageFailure;
    const error = signal.aborted
      ? ctx.signal?.aborted
        ? `Cancelled while ${stage}.`
        : `Timed out after ${Math.round(s.timeoutMs / 60_000)} min while ${stage}.`
      : cause instanceof BootFailure
        ? `The VM did not boot: ${cause.message}`
        : errorText(cause, stage);
    const checks: CheckResult[] =
      cause instanceof BootFailure
        ? [{ ...boot, status: 'failed', actual: cause.message }]
        : stage === STAGES.checks
          ? [boot]
          : [{ ...boot, status: 'failed', actual: error }];
    return { checks, error, vmCreated: stage === booting || stage === STAGES.checks };
  }
}

/** Instance view, serial log and script output; each part may fail on its own. */
async function collectDiagnostics(
  ctx: VmValidationContext,
  rg: string,
  vmName: string | undefined,
  runOutput: { stdout: string; stderr: string } | undefined,
): Promise<VmDiagnostics> {
  const problems: string[] = [];
  const diagnostics: { -readonly [K in keyof VmDiagnostics]: VmDiagnostics[K] } = { problems };
  if (runOutput) {
    diagnostics.runCommand = {
      stdout: tailText(runOutput.stdout, 8192),
      stderr: tailText(runOutput.stderr, 4096),
    };
  }
  if (!vmName) return diagnostics;
  try {
    const view = await ctx.compute.virtualMachines.instanceView(rg, vmName);
    const pick = (s: { code?: string; displayStatus?: string; message?: string }) => ({
      code: s.code,
      displayStatus: s.displayStatus,
      ...(s.message ? { message: s.message } : {}),
    });
    diagnostics.instanceView = {
      statuses: (view.statuses ?? []).map(pick),
      ...(view.vmAgent
        ? {
            vmAgent: {
              version: view.vmAgent.vmAgentVersion,
              statuses: (view.vmAgent.statuses ?? []).map(pick),
            },
          }
        : {}),
    };
    for (const st of view.statuses ?? [])
      ctx.logger.info(`instance view: ${st.code} ${st.message ?? ''}`);
  } catch (err) {
    problems.push(errorText(err, 'reading the instance view'));
  }
  try {
    const data = await ctx.compute.virtualMachines.retrieveBootDiagnosticsData(rg, vmName, {
      sasUriExpirationTimeInMinutes: 10,
    });
    if (data.serialConsoleLogBlobUri) {
      diagnostics.serialLog = tailText(await ctx.fetchText(data.serialConsoleLogBlobUri), 16_384);
      ctx.logger.info(`serial console (last lines):\n${tailText(diagnostics.serialLog, 2048)}`);
    } else {
      problems.push('boot diagnostics gave no serial console log URL');
    }
  } catch (err) {
    problems.push(errorText(err, 'reading the serial console log'));
  }
  return diagnostics;
}

/** A failed long-running operation's text: "The long-running operation has failed. CODE. …". */
function lroMessage(err: unknown): string {
  const message = err instanceof Error ? err.message : String(err);
  return message.replace(/^The long-running operation has failed\.\s*/, '');
}

function errorText(err: unknown, doing: string): string {
  if (typeof (err as { statusCode?: unknown })?.statusCode === 'number') {
    return azureError(err, doing).message;
  }
  return `${capitalize(doing)} failed: ${lroMessage(err)}`;
}

/** The VM was created but did not come up: the image's fault, not the validation's. */
class BootFailure extends Error {}

function capitalize(text: string): string {
  return text.charAt(0).toUpperCase() + text.slice(1);
}
