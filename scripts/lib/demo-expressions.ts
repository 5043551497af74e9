/**
 * GitHub Actions expressions, evaluated with GitHub's own `@actions/expressions` (the lexer,
 * parser and evaluator the Actions language services use) against contexts the demo builds.
 * The demo's runner (demo-runner.ts) reads `with:`, `env:`, `if:`, `strategy.matrix`, job and
 * workflow outputs through these functions, so what it runs is what the workflow files say.
 */
import { data, Evaluator, Lexer, Parser } from '@actions/expressions';
import type { FunctionDefinition } from '@actions/expressions/funcs/info';
import { truthy } from '@actions/expressions/result';

/** Plain JSON contexts by name: `github`, `inputs`, `vars`, `needs`, `matrix`, `steps`, … */
export type Contexts = Record<string, unknown>;

/**
 * What `success()`, `failure()` and `cancelled()` answer where they are evaluated (the rules of
 * each level are in demo-status.ts): `failure()` is `failed` and `cancelled()` is `cancelled`;
 * a cancelled job or run answers `failure()` false, as the runner's one status for a job does.
 */
export interface Status {
  failed: boolean;
  cancelled: boolean;
  /**
   * `success()` where it is more than "nothing failed": in a job's `if:`, false when an ancestor
   * was skipped or cancelled. Unset: not failed and not cancelled.
   */
  succeeded?: boolean;
}

const CONTEXT_NAMES = [
  'github',
  'inputs',
  'vars',
  'needs',
  'matrix',
  'strategy',
  'steps',
  'env',
  'job',
  'jobs',
  'runner',
  'secrets',
];

const STATUS_FUNCTIONS = /\b(success|failure|always|cancelled)\s*\(/i;

/** Evaluates one expression (without `${{ }}`) to plain JSON. */
export function evaluateExpression(
  expression: string,
  contexts: Contexts,
  status?: Status,
): unknown {
  return JSON.parse(JSON.stringify(evaluate(expression, contexts, status), data.replacer));
}

/**
 * A YAML value as the runner sees it: a string holding only `${{ x }}` becomes x's value (an
 * object stays an object, as `strategy.matrix: ${{ fromJSON(…) }}` needs); text with expressions
 * inside becomes text; anything else is returned as it is.
 */
export function evaluateValue(value: unknown, contexts: Contexts): unknown {
  if (typeof value !== 'string') return value;
  const parts = splitTemplate(value);
  if (parts.length === 1 && parts[0]!.kind === 'expression') {
    return evaluateExpression(parts[0]!.text, contexts);
  }
  return parts
    .map((p) => (p.kind === 'text' ? p.text : evaluate(p.text, contexts).coerceString()))
    .join('');
}

/** `evaluateValue` for inputs, env and outputs: always a string, as the runner hands them on. */
export function evaluateString(value: unknown, contexts: Contexts): string {
  const result = evaluateValue(value, contexts);
  if (result === null || result === undefined) return '';
  return typeof result === 'object' ? JSON.stringify(result) : String(result);
}

/**
 * An `if:` condition: with or without `${{ }}`; without a status function it means
 * `success() && (…)`, as on GitHub. Absent, it is `success()`.
 */
export function evaluateCondition(condition: unknown, contexts: Contexts, status: Status): boolean {
  if (condition === undefined || condition === null) return succeeded(status);
  if (typeof condition === 'boolean') return condition && succeeded(status);
  let text = String(condition).trim();
  const parts = splitTemplate(text);
  if (parts.length === 1 && parts[0]!.kind === 'expression') text = parts[0]!.text;
  const expression = STATUS_FUNCTIONS.test(text) ? text : `success() && (${text})`;
  return truthy(evaluate(expression, contexts, status));
}

/** The text and `${{ … }}` parts of a template, in order; quotes inside expressions respected. */
export function splitTemplate(value: string): { kind: 'text' | 'expression'; text: string }[] {
  const parts: { kind: 'text' | 'expression'; text: string }[] = [];
  let i = 0;
  while (i < value.length) {
    const start = value.indexOf('${{', i);
    if (start === -1) {
      parts.push({ kind: 'text', text: value.slice(i) });
      break;
    }
    if (start > i) parts.push({ kind: 'text', text: value.slice(i, start) });
    let j = start + 3;
    let quoted = false;
    while (j < value.length) {
      if (value[j] === "'") quoted = !quoted;
      else if (!quoted && value.startsWith('}}', j)) break;
      j++;
    }
    if (j >= value.length) throw new Error(`Unclosed expression in '${value}'`);
    parts.push({ kind: 'expression', text: value.slice(start + 3, j).trim() });
    i = j + 2;
  }
  return parts;
}

function evaluate(expression: string, contexts: Contexts, status?: Status): data.ExpressionData {
  const functions = statusFunctions(status ?? { failed: false, cancelled: false });
  try {
    const { tokens } = new Lexer(expression).lex();
    const tree = new Parser(tokens, CONTEXT_NAMES, [...functions.values()]).parse();
    const context = JSON.parse(JSON.stringify(contexts), data.reviver) as data.Dictionary;
    return new Evaluator(tree, context, functions).evaluate();
  } catch (err) {
    throw new Error(`Cannot evaluate \${{ ${expression} }}: ${(err as Error).message}`);
  }
}

function succeeded(status: Status): boolean {
  return !status.cancelled && (status.succeeded ?? !status.failed);
}

function statusFunctions(status: Status): Map<string, FunctionDefinition> {
  const fn = (name: string, value: () => boolean): [string, FunctionDefinition] => [
    name,
    { name, minArgs: 0, maxArgs: 0, call: () => new data.BooleanData(value()) },
  ];
  return new Map([
    fn('success', () => succeeded(status)),
    fn('failure', () => status.failed && !status.cancelled),
    fn('always', () => true),
    fn('cancelled', () => status.cancelled),
  ]);
}
