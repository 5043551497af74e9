/**
 * The default smoke scenario: run every bundle once with no inputs. A bundle that loads fails
 * cleanly, the way a user who forgot an input sees it: exit code 1 and an `::error::` line that
 * names one of the inputs its action.yml declares. A stack trace or a missing module fails.
 */
import { errorAnnotations, type Bundle, type BundleRun, type SmokeScenario } from '../lib/smoke.js';

/** The problems with a run that was expected to stop at input validation. */
export function expectInputFailure(bundle: Bundle, run: BundleRun): string[] {
  const problems: string[] = [];
  if (run.code !== 1) problems.push(`exit code ${String(run.code)}, expected 1`);
  const errors = errorAnnotations(run);
  if (errors.length === 0) {
    problems.push('no ::error:: line: a missing input must be reported with core.setFailed');
    return problems;
  }
  const names = bundle.inputs.map((i) => i.name);
  const namesAnInput =
    names.length > 0
      ? (message: string) => names.some((name) => message.includes(name))
      : (message: string) => /\binput\b/i.test(message);
  if (!errors.some(namesAnInput)) {
    const expected = names.length > 0 ? `one of ${names.join(', ')}` : 'an input';
    problems.push(`the ::error:: line does not name ${expected}: ${firstLine(errors[0] ?? '')}`);
  }
  return problems;
}

function firstLine(text: string): string {
  return text.split('\n')[0] ?? '';
}

/**
 * A `post:` step run without the main step's state (main stopped before creating anything) must
 * do nothing and succeed: a failing post step would fail every job whose main step failed early.
 */
export function expectQuietPost(run: BundleRun): string[] {
  const problems: string[] = [];
  if (run.code !== 0) problems.push(`exit code ${String(run.code)}, expected 0`);
  const errors = errorAnnotations(run);
  if (errors.length > 0)
    problems.push(`a post step with nothing to do failed: ${firstLine(errors[0]!)}`);
  return problems;
}

const scenario: SmokeScenario = {
  name: 'missing-inputs',
  async prepare({ bundles }) {
    return bundles.map((bundle) => ({
      bundle,
      title: bundle.post ? 'no inputs, no state' : 'no inputs',
      check: (run) => (bundle.post ? expectQuietPost(run) : expectInputFailure(bundle, run)),
    }));
  },
};

export default scenario;
