/** Leg records on disk: one JSON file per leg, named after it, in a folder an artifact carries. */
import { mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { InputError } from '../common/errors.js';
import type { Logger } from '../common/logger.js';
import {
  legRecord,
  type LegRecord,
  type NeededJob,
  parseLegRecord,
  promotable,
  promotionRecord,
  recordName,
  withPromotions,
} from './leg-record.js';

export type RecordMode = 'write' | 'read' | 'promotion';

/** A record written: where, and its name. */
export interface WrittenRecord {
  readonly path: string;
  readonly name: string;
}

/** The one record in a downloaded artifact, and whether its leg is promotable. */
export interface ReadRecord extends WrittenRecord {
  readonly record: LegRecord;
  readonly promotable: boolean;
}

/** `value`, a JSON object from `toJSON(…)`, or an error naming `input`. */
export function parseJsonObject(input: string, value: string): Record<string, unknown> {
  try {
    const parsed: unknown = JSON.parse(value);
    if (parsed && typeof parsed === 'object' && !Array.isArray(parsed)) {
      return parsed as Record<string, unknown>;
    }
  } catch {
    // reported below
  }
  throw new InputError(input, value.slice(0, 80), 'A JSON object (toJSON(…) of the context).');
}

/** Writes the record of `leg` (mode write: from its jobs; promotion: from the promote step). */
export function writeRecord(
  directory: string,
  leg: Record<string, unknown>,
  from: { mode: 'write'; jobs: Record<string, NeededJob> } | { mode: 'promotion'; step?: object },
  logger: Logger,
): WrittenRecord {
  const version = String(leg['image-version'] || leg['kubernetes-version'] || '');
  const record =
    from.mode === 'promotion'
      ? promotionRecord(leg, (from.step ?? null) as never)
      : legRecord(leg, from.jobs);
  const base = recordName(record.os, version);
  const name = from.mode === 'promotion' ? `promotion-${base.slice('image-'.length)}` : base;
  const file = path.join(directory, `${name}.json`);
  mkdirSync(directory, { recursive: true });
  writeFileSync(file, `${JSON.stringify(record, null, 2)}\n`);
  logger.info(JSON.stringify(record, null, 2));
  return { path: file, name };
}

function jsonFiles(directory: string): string[] {
  try {
    return readdirSync(directory)
      .filter((f) => f.endsWith('.json'))
      .sort();
  } catch {
    return [];
  }
}

/** The one record in `directory` (a downloaded record artifact). */
export function readOneRecord(
  directory: string,
  skipValidation: boolean,
  logger: Logger,
): ReadRecord {
  const files = jsonFiles(directory);
  if (files.length !== 1) {
    throw new InputError(
      'directory',
      directory,
      `Expected one record file there, found ${files.length}.`,
    );
  }
  const file = files[0]!;
  const record = parseLegRecord(readFileSync(path.join(directory, file), 'utf8'), file);
  const ok = promotable(record, skipValidation);
  logger.info(
    `${record.os} ${record['image-version'] ?? record['kubernetes-version']}: ` +
      (ok ? 'published and validated, to be promoted.' : 'not promotable (see its record).'),
  );
  return {
    path: path.join(directory, file),
    name: file.replace(/\.json$/, ''),
    record,
    promotable: ok,
  };
}

/** Every leg's record in `directory`, with images.yml's promotion records folded in. */
export function readRunRecords(directory: string): LegRecord[] {
  const files = jsonFiles(directory);
  const read = (f: string) => parseLegRecord(readFileSync(path.join(directory, f), 'utf8'), f);
  // images.yml promotes after every leg: its promotion-* records complete the image-* ones.
  const promotions = files.filter((f) => f.startsWith('promotion-')).map(read);
  const records = files.filter((f) => !f.startsWith('promotion-')).map(read);
  return withPromotions(records, promotions);
}
