/**
 * The record of one image.yml leg (what each job of it did and produced) and the run summary
 * images.yml writes from every leg's record. Formerly bash + jq in the workflows' run: steps;
 * here, where tests reach it (issue 16 item 7).
 */

/** What `toJSON(needs)` holds for one job. */
export interface NeededJob {
  result?: string;
  outputs?: Record<string, string | undefined>;
}

export interface LegRecord {
  'kubernetes-version': string;
  os: string;
  'image-version'?: string;
  /** Each job's result: success, failure, cancelled or skipped. */
  results: Record<string, string>;
  'staging-image-version-id'?: string;
  'validation-result'?: string;
  'kubelet-version'?: string;
  /** The staging version's attestation (image.yml's attest job), when one was made. */
  'attestation-url'?: string;
  'image-version-id'?: string;
  'community-image-id'?: string;
  'image-reference'?: string;
}

/** The file (and artifact) name of a leg's record: one per leg, so legs never overwrite. */
export function recordName(os: string, version: string): string {
  const safe = (s: string): string => s.replace(/[^\w.-]+/g, '_');
  return `image-${safe(os)}-${safe(version)}`;
}

/** A leg's record from the workflow's inputs and `needs`. Empty outputs are left out. */
export function legRecord(
  leg: { 'kubernetes-version'?: unknown; os?: unknown },
  jobs: Record<string, NeededJob>,
): LegRecord {
  const out = (job: string, name: string): string | undefined => {
    const value = jobs[job]?.outputs?.[name];
    return value === undefined || value === '' ? undefined : value;
  };
  const record: LegRecord = {
    'kubernetes-version': String(leg['kubernetes-version'] ?? ''),
    os: String(leg.os ?? ''),
    results: Object.fromEntries(
      Object.entries(jobs).map(([id, job]) => [id, job.result ?? 'skipped']),
    ),
  };
  const fields: [keyof LegRecord, string, string][] = [
    ['image-version', 'build', 'image-version'],
    ['staging-image-version-id', 'publish', 'image-version-id'],
    ['validation-result', 'validate', 'result'],
    ['kubelet-version', 'validate', 'kubelet-version'],
    ['attestation-url', 'attest', 'attestation-url'],
    ['image-version-id', 'promote', 'image-version-id'],
    ['community-image-id', 'promote', 'community-image-id'],
    ['image-reference', 'promote', 'image-reference'],
  ];
  for (const [field, job, name] of fields) {
    const value = out(job, name);
    if (value !== undefined) (record as unknown as Record<string, unknown>)[field] = value;
  }
  return record;
}

/** Reads a record written by legRecord; names the file when it is not one. */
export function parseLegRecord(text: string, file: string): LegRecord {
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch (err) {
    throw new Error(`${file} is not JSON: ${(err as Error).message}`);
  }
  const r = parsed as Partial<LegRecord> | null;
  if (!r || typeof r.os !== 'string' || typeof r['kubernetes-version'] !== 'string') {
    throw new Error(`${file} is not a leg record (no os or kubernetes-version).`);
  }
  return { results: {}, ...r } as LegRecord;
}

const cell = (value: string | undefined): string => (value ?? '').replace(/\|/g, '\\|');

/** The run summary: one table row a leg, then each promoted image's CAPZ `image:` stanza. */
export function runSummary(records: readonly LegRecord[]): string {
  const sorted = [...records].sort(
    (a, b) =>
      a.os.localeCompare(b.os) || a['kubernetes-version'].localeCompare(b['kubernetes-version']),
  );
  const lines = [
    '### Images',
    '',
    '| Kubernetes | OS | Version | Build | Publish | Validate | Promote | Production image |',
    '|---|---|---|---|---|---|---|---|',
  ];
  for (const r of sorted) {
    const result = (job: string): string => r.results[job] ?? '';
    lines.push(
      `| ${cell(r['kubernetes-version'])} | ${cell(r.os)} | ${cell(r['image-version'])} | ` +
        `${result('build')} | ${result('publish')} | ${result('validate')} | ${result('promote')} | ` +
        `${cell(r['community-image-id'] ?? r['image-version-id'])} |`,
    );
  }
  if (sorted.length === 0) lines.push('', 'No leg left a record.');
  for (const r of sorted) {
    if (!r['image-reference']) continue;
    lines.push(
      '',
      `\`${r.os} ${r['image-version'] ?? ''}\`:`,
      '',
      '```yaml',
      r['image-reference'].trimEnd(),
      '```',
    );
  }
  return `${lines.join('\n')}\n`;
}

/**
 * Whether images.yml's promote job may promote a leg: published, and validated (or validation
 * skipped on purpose), and attested when an attestation was attempted. Only the tested bits, as
 * image.yml's own promote job decides.
 */
export function promotable(record: LegRecord, skipValidation: boolean): boolean {
  if (record.results.publish !== 'success' || !record['staging-image-version-id']) return false;
  // An attestation that was asked for and failed: promote would copy unattested bits.
  const attest = record.results.attest;
  if (attest !== undefined && attest !== 'success' && attest !== 'skipped') return false;
  if (record['validation-result'] === 'passed' && record.results.validate === 'success')
    return true;
  return skipValidation && record.results.validate === 'skipped';
}

/** What images.yml's promote job records for a leg: its promote step as `toJSON(steps.promote)`. */
export function promotionRecord(
  leg: { 'kubernetes-version'?: unknown; os?: unknown; 'image-version'?: unknown },
  step: { outcome?: string; conclusion?: string; outputs?: Record<string, string> } | null,
): LegRecord {
  const record = legRecord(leg, {
    promote: {
      result: step?.conclusion ?? step?.outcome ?? 'skipped',
      outputs: step?.outputs ?? {},
    },
  });
  if (typeof leg['image-version'] === 'string' && leg['image-version']) {
    record['image-version'] = leg['image-version'];
  }
  return record;
}

/**
 * A leg's record with its promotion (a record of images.yml's promote job, named
 * `promotion-<os>-<version>`) folded in: the promote result and production IDs come from there.
 */
export function withPromotions(
  records: readonly LegRecord[],
  promotions: readonly LegRecord[],
): LegRecord[] {
  return records.map((r) => {
    const p = promotions.find(
      (x) => x.os === r.os && x['kubernetes-version'] === r['kubernetes-version'],
    );
    if (!p) return r;
    const merged: LegRecord = {
      ...r,
      results: { ...r.results, promote: p.results.promote ?? 'skipped' },
    };
    for (const key of ['image-version-id', 'community-image-id', 'image-reference'] as const) {
      if (p[key]) merged[key] = p[key];
    }
    return merged;
  });
}
