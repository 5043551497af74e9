/**
 * `builder: stemcell`: a BOSH stemcell tarball for Azure holds `stemcell.MF` (YAML: name,
 * version, operating_system, cloud_properties) and `image`, itself a tarball of `root.vhd`, a
 * fixed VHD. The BOSH Azure CPI names the gallery definition after the stemcell (with
 * `-<generation>` for non-gen1 stemcells) and pads the version to x.y.z; we do the same, with
 * `-gen2` as the CAPZ naming of docs/design.md ("naming") spells it.
 *
 * Extraction uses the system `tar`, asking for the named members only, and refuses anything
 * that is not a regular file once extracted (a symlink named root.vhd would otherwise upload
 * whatever it points at).
 */
import { lstat, mkdir, readFile, rm } from 'node:fs/promises';
import { basename, join } from 'node:path';
import { parse } from 'yaml';
import { InputError } from '../../common/errors.js';
import type { Logger } from '../../common/logger.js';
import {
  type HyperVGeneration,
  imageDefinitionNameRule,
  isValidName,
  MAX_VERSION_PART,
  type OsType,
} from '../../gallery/names.js';
import { type RunCommand, runCommand } from '../../common/exec.js';
import type { SourceFile } from '../source.js';
import { checkFixedVhd } from './vhd.js';

export interface StemcellManifest {
  /** e.g. `bosh-azure-hyperv-ubuntu-jammy-go_agent`. */
  readonly name: string;
  /** As written, e.g. `1.83`. */
  readonly version: string;
  /** e.g. `ubuntu-jammy`. */
  readonly operatingSystem: string;
  readonly cloudProperties: Readonly<Record<string, unknown>>;
}

export interface StemcellImage {
  readonly definition: string;
  readonly version: string;
  readonly osType: OsType;
  readonly hyperVGeneration: HyperVGeneration;
}

export interface ExtractedStemcell {
  readonly manifest: StemcellManifest;
  /** root.vhd, extracted: a fixed VHD of a whole number of MiB. */
  readonly vhdPath: string;
  /** Everything extracted lives here; remove it when done. */
  readonly dir: string;
}

const INPUT = 'source-disk';

/** Reads stemcell.MF. @throws InputError naming source-disk when it is not one. */
export function parseStemcellManifest(text: string, location: string): StemcellManifest {
  let doc: unknown;
  try {
    doc = parse(text);
  } catch (err) {
    throw new InputError(INPUT, location, `Its stemcell.MF is not YAML: ${(err as Error).message}`);
  }
  const m = (doc ?? {}) as Record<string, unknown>;
  const cloud = (m.cloud_properties ?? {}) as Record<string, unknown>;
  const name = typeof m.name === 'string' ? m.name : undefined;
  const version =
    typeof m.version === 'string' || typeof m.version === 'number' ? String(m.version) : undefined;
  if (!name || !version || typeof cloud !== 'object') {
    throw new InputError(
      INPUT,
      location,
      'Its stemcell.MF lacks a name, a version or cloud_properties. Expected a BOSH stemcell.',
    );
  }
  return {
    name,
    version,
    operatingSystem: typeof m.operating_system === 'string' ? m.operating_system : '',
    cloudProperties: cloud,
  };
}

/** `1.83` → `1.83.0`, `621` → `621.0.0`; undefined when the parts are not 32-bit integers. */
export function padStemcellVersion(version: string): string | undefined {
  const parts = version.split('.');
  if (parts.length > 3 || !parts.every((p) => /^\d+$/.test(p) && Number(p) <= MAX_VERSION_PART)) {
    return undefined;
  }
  while (parts.length < 3) parts.push('0');
  return parts.map((p) => String(Number(p))).join('.');
}

/**
 * The gallery names and kind of a stemcell's image; `overrides` are the image-definition and
 * image-version inputs.
 */
export function stemcellImage(
  manifest: StemcellManifest,
  location: string,
  overrides: { definition?: string; version?: string },
): StemcellImage {
  const cloud = manifest.cloudProperties;
  const generation = String(cloud.generation ?? 'gen1').toLowerCase();
  const gen2 = generation === 'gen2';
  const definition = overrides.definition ?? (gen2 ? `${manifest.name}-gen2` : manifest.name);
  if (!isValidName(imageDefinitionNameRule, definition)) {
    throw new InputError(
      INPUT,
      location,
      `The stemcell name '${manifest.name}' is no image definition name; set image-definition.`,
    );
  }
  const version = overrides.version ?? padStemcellVersion(manifest.version);
  if (version === undefined) {
    throw new InputError(
      INPUT,
      location,
      `The stemcell version '${manifest.version}' cannot be padded to Major.Minor.Patch; set image-version.`,
    );
  }
  const osType = String(cloud.os_type ?? manifest.operatingSystem)
    .toLowerCase()
    .startsWith('windows')
    ? 'Windows'
    : 'Linux';
  return { definition, version, osType, hyperVGeneration: gen2 ? 'V2' : 'V1' };
}

/**
 * Takes stemcell.MF and image/root.vhd out of the tarball and checks them.
 * @throws InputError naming source-disk for anything that is not an Azure VHD stemcell.
 */
export async function extractStemcell(
  tarball: SourceFile,
  options: { workDir: string; logger: Logger; run?: RunCommand },
): Promise<ExtractedStemcell> {
  const run = options.run ?? runCommand;
  const location = tarball.location;
  const dir = join(options.workDir, 'stemcell');
  await rm(dir, { recursive: true, force: true });
  await mkdir(dir, { recursive: true });
  try {
    const members = await list(run, tarball.path, location, 'It is not a tar archive');
    const manifestEntry = find(members, 'stemcell.MF');
    if (!manifestEntry) {
      throw new InputError(
        INPUT,
        location,
        'It has no stemcell.MF. Expected a BOSH stemcell tarball.',
      );
    }
    const imageEntry = find(members, 'image');
    await extract(run, tarball.path, dir, [manifestEntry, ...(imageEntry ? [imageEntry] : [])]);
    const manifest = parseStemcellManifest(
      await readFile(await regularFile(join(dir, manifestEntry), location), 'utf8'),
      location,
    );
    const cloud = manifest.cloudProperties;
    const infrastructure = String(cloud.infrastructure ?? '');
    const diskFormat = String(cloud.disk_format ?? '');
    if (infrastructure !== 'azure' || (diskFormat && diskFormat !== 'vhd')) {
      throw new InputError(
        INPUT,
        location,
        `It is a stemcell for '${infrastructure || 'unknown'}' (disk format '${diskFormat || 'unknown'}'). Expected an Azure stemcell with a VHD.`,
      );
    }
    options.logger.info(
      `Stemcell ${manifest.name} ${manifest.version} (${manifest.operatingSystem || 'unknown OS'}).`,
    );
    const imagePath = imageEntry ? join(dir, imageEntry) : undefined;
    const imageSize = imagePath ? (await lstat(imagePath)).size : 0;
    if (!imagePath || imageSize === 0) {
      throw new InputError(
        INPUT,
        location,
        'It holds no VHD: a light stemcell refers to a Marketplace image instead. Expected a full Azure stemcell.',
      );
    }
    await regularFile(imagePath, location);
    const inner = await list(run, imagePath, location, 'Its image is not a tar archive');
    const vhdEntry = find(inner, 'root.vhd');
    if (!vhdEntry) {
      throw new InputError(
        INPUT,
        location,
        'Its image has no root.vhd. Expected an Azure stemcell.',
      );
    }
    await extract(run, imagePath, dir, [vhdEntry]);
    await rm(imagePath, { force: true });
    const vhdPath = await regularFile(join(dir, vhdEntry), location);
    const check = await checkFixedVhd(vhdPath);
    if (check.problem) {
      throw new InputError(
        INPUT,
        location,
        `Its root.vhd cannot be an Azure image: ${check.problem}.`,
      );
    }
    return { manifest, vhdPath, dir };
  } catch (err) {
    await rm(dir, { recursive: true, force: true });
    throw err;
  }
}

async function list(run: RunCommand, archive: string, location: string, what: string) {
  const result = await run('tar', ['-tf', archive]);
  if (result.code !== 0) {
    throw new InputError(INPUT, location, `${what}: ${result.stderr.trim().split('\n')[0]}.`);
  }
  return result.stdout.split('\n').filter((line) => line !== '');
}

/** The member whose name, without a leading `./`, is `name`. */
function find(members: readonly string[], name: string): string | undefined {
  return members.find((m) => m.replace(/^(\.\/)+/, '') === name);
}

async function extract(run: RunCommand, archive: string, dir: string, members: string[]) {
  const result = await run('tar', [
    '-xf',
    archive,
    '-C',
    dir,
    '--no-same-owner',
    '--no-same-permissions',
    '--',
    ...members,
  ]);
  if (result.code !== 0) {
    throw new Error(
      `tar could not extract ${members.join(', ')} from ${archive}: ${result.stderr.trim()}`,
    );
  }
}

async function regularFile(path: string, location: string): Promise<string> {
  const info = await lstat(path);
  if (!info.isFile()) {
    throw new InputError(
      INPUT,
      location,
      `Its ${basename(path)} is not a regular file (a link or a directory). Expected a BOSH stemcell.`,
    );
  }
  return path;
}
