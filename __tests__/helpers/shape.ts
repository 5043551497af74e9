/**
 * Body-shape comparison for replaying recorded Azure traffic against the stand-in: the key
 * structure of `expected` must be present in `actual`, recursively. Extra keys in `actual` are
 * fine (the stand-in may say more than an example does); values are not compared, but their JSON
 * types are (a number where Azure sends a number). Arrays compare element by element up to the
 * expected length.
 */
export interface ShapeProblem {
  /** JSONPath-like location, e.g. `$.properties.storageProfile.osDiskImage.sizeInGB`. */
  path: string;
  problem: 'missing' | 'type';
  detail?: string;
}

const kind = (v: unknown): string => (v === null ? 'null' : Array.isArray(v) ? 'array' : typeof v);

export function shapeProblems(expected: unknown, actual: unknown, path = '$'): ShapeProblem[] {
  const want = kind(expected);
  const got = kind(actual);
  // A null in an example carries no shape to check.
  if (want === 'null') return [];
  if (want !== got) {
    return [{ path, problem: 'type', detail: `expected ${want}, got ${got}` }];
  }
  if (want === 'array') {
    const e = expected as unknown[];
    const a = actual as unknown[];
    return e.flatMap((item, i) =>
      i < a.length
        ? shapeProblems(item, a[i], `${path}[${i}]`)
        : [{ path: `${path}[${i}]`, problem: 'missing' as const }],
    );
  }
  if (want === 'object') {
    const e = expected as Record<string, unknown>;
    const a = actual as Record<string, unknown>;
    return Object.keys(e).flatMap((k) =>
      k in a
        ? shapeProblems(e[k], a[k], `${path}.${k}`)
        : [{ path: `${path}.${k}`, problem: 'missing' as const }],
    );
  }
  return [];
}

/**
 * The problems left after removing the ones an allow-list excuses. An entry excuses its path and
 * everything under it; `[*]` matches any array index. Entries that excused nothing come back in
 * `unused`, so a test can insist that every excuse is still needed.
 */
export function unexcused(
  problems: ShapeProblem[],
  allow: Record<string, string> = {},
): { left: string[]; unused: string[] } {
  const patterns = Object.keys(allow).map((p) => ({
    p,
    re: new RegExp(
      '^' +
        p.replace(/[.*+?^${}()|[\]\\]/g, '\\$&').replace(/\\\[\\\*\\\]/g, '\\[\\d+\\]') +
        '(?=$|[.[])',
    ),
  }));
  const used = new Set<string>();
  const left: string[] = [];
  for (const problem of problems) {
    const hit = patterns.find(({ re }) => re.test(problem.path));
    if (hit) used.add(hit.p);
    else left.push(problem.detail ? `${problem.path} (${problem.detail})` : problem.path);
  }
  return { left, unused: patterns.map(({ p }) => p).filter((p) => !used.has(p)) };
}

/**
 * The shape of an async-operation URL: its path with IDs and names replaced by `*`, and its query
 * keys (the signed `t`, `c`, `s`, `h` parameters real ARM appends are dropped).
 */
export function asyncUrlShape(url: string): string {
  const u = new URL(url);
  const path = u.pathname
    .split('/')
    .map((seg, i, all) =>
      i > 0 && /^(subscriptions|locations|capsoperations)$/i.test(all[i - 1] ?? '')
        ? '*'
        : seg.toLowerCase(),
    )
    .join('/');
  const keys = [...u.searchParams.keys()].filter((k) => !['t', 'c', 's', 'h'].includes(k)).sort();
  return `${path}?${keys.join('&')}`;
}
