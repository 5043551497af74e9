import { githubContext, kubernetesReleases } from '../../runner/github.js';
import { InputError } from '../../common/errors.js';
import {
  actionsLogger,
  azureForAction,
  releaseCalendarLoader,
  runAction,
  setOutputs,
  writeSummary,
} from '../../runner/runtime.js';
import { declaredInputs } from '../../runner/spec.js';
import { PLAN } from './spec.js';
import { makePlan } from '../../plan/plan.js';
import { publishedIn } from '../../plan/published.js';
import type { PlanContext } from '../../plan/plan.js';
import { versionSource } from '../../plan/triggers.js';
import { getPlanInputs } from './inputs.js';
import { planSummary } from './summary.js';

/** plan (the root action): the trigger becomes a matrix of Kubernetes version × OS target. */
export async function run(): Promise<void> {
  await runAction(async () => {
    const settings = getPlanInputs(declaredInputs(PLAN));
    const loadCalendar = releaseCalendarLoader();
    const source = versionSource(settings.kubernetesVersions, githubContext());
    const ctx: PlanContext = {
      calendar: await loadCalendar(),
      today: new Date(),
      logger: actionsLogger,
    };
    if (source.kind === 'releases') {
      if (!settings.githubToken) {
        throw new InputError(
          'github-token',
          '',
          'Required to read the releases of kubernetes/kubernetes when no versions are given (the default is the job token).',
        );
      }
      ctx.listReleases = kubernetesReleases(settings.githubToken);
    }
    if (settings.published) {
      const { compute } = azureForAction(settings.published.azure, 'plan');
      ctx.isPublished = publishedIn(compute, settings.published);
    }
    const plan = await makePlan(
      {
        source,
        minorVersions: settings.minorVersions,
        includePrereleases: settings.includePrereleases,
        targets: settings.targets,
      },
      ctx,
    );
    const versions = [...new Set(plan.entries.map((e) => e['kubernetes-version']))];
    setOutputs(PLAN, {
      matrix: JSON.stringify({ include: plan.entries }),
      'kubernetes-versions': JSON.stringify(versions),
      empty: String(plan.entries.length === 0),
    });
    await writeSummary(planSummary(plan));
  });
}
