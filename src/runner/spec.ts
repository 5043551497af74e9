/**
 * An action's contract with the runner, declared once: the inputs its code may read, their
 * defaults, and the outputs it sets. `action.yml` is checked against it (and its README tables
 * are generated from `action.yml`), the typed reader refuses an input it does not list, and
 * {@link setOutputs} takes exactly its outputs.
 */
import { environmentInputReader, type InputReader } from '../common/inputs.js';

export interface ActionSpec<I extends string = string, O extends string = string> {
  /** The folder under src/actions/ and dist/. */
  readonly name: string;
  /** Every input the code reads; `action.yml` declares exactly these. */
  readonly inputs: readonly I[];
  /** The defaults the code applies, keyed by input; `action.yml` states the same. */
  readonly defaults: Readonly<Partial<Record<I, string | number | boolean>>>;
  /** Every output the action sets; `action.yml` declares exactly these. */
  readonly outputs: readonly O[];
}

/** Declares an action, keeping the input and output names as literal types. */
export function defineAction<const I extends string, const O extends string>(
  spec: ActionSpec<I, O>,
): ActionSpec<I, O> {
  return spec;
}

/**
 * `read`, refusing as a bug any input `spec` does not declare: an input the code reads must be
 * in `action.yml`, or the runner would never pass it.
 */
export function declaredInputs(
  spec: ActionSpec,
  read: InputReader = environmentInputReader(),
): InputReader {
  const declared = new Set<string>(spec.inputs);
  return (name) => {
    if (!declared.has(name)) {
      throw new Error(`${spec.name} reads input '${name}', which its action.yml does not declare.`);
    }
    return read(name);
  };
}

/** Checks that `outputs` names exactly the outputs `spec` declares; returns them. */
export function declaredOutputs<O extends string>(
  spec: ActionSpec<string, O>,
  outputs: Readonly<Record<O, string | undefined>>,
): Readonly<Record<O, string | undefined>> {
  const given = Object.keys(outputs).sort();
  const declared = [...spec.outputs].sort();
  if (given.join('\n') !== declared.join('\n')) {
    throw new Error(
      `${spec.name} sets outputs ${given.join(', ')}; its action.yml declares ${declared.join(', ')}.`,
    );
  }
  return outputs;
}
