/**
 * What Packer says, read back: the artifact of an Azure build and the error that stopped one.
 *
 * Two forms. `packer build -machine-readable` prints records `timestamp,target,type,data...`
 * with commas in data written `%!(PACKER_COMMA)` and line breaks `\n` (packer-plugin-sdk's
 * MachineReadableUi); the artifact comes as `artifact,<n>,builder-id|id|string|...` records
 * (packer's command/build.go). The human form, which image-builder's `make` prints, ends with
 * the artifact's String(): `Key: value` lines such as `ManagedImageId: /subscriptions/...`
 * (packer-plugin-azure builder/azure/arm/artifact.go), which upstream's own workflow greps.
 */

/** The Azure ARM builder's artifact, as far as it told. */
export interface AzureArtifact {
  readonly osType?: string;
  readonly managedImageResourceGroup?: string;
  readonly managedImageName?: string;
  readonly managedImageId?: string;
  readonly managedImageLocation?: string;
  /** The gallery image version Packer published: its resource ID. */
  readonly galleryImageVersionId?: string;
  readonly galleryResourceGroup?: string;
  readonly galleryName?: string;
  readonly galleryImageName?: string;
  readonly galleryImageVersion?: string;
  readonly replicatedRegions?: string;
  /** VHD output (`VHDOSDiskUri:`), for templates that capture to a storage account. */
  readonly vhdUri?: string;
}

/** `Key:` in Artifact.String() → field. */
const ARTIFACT_KEYS: Readonly<Record<string, keyof AzureArtifact>> = {
  OSType: 'osType',
  ManagedImageResourceGroupName: 'managedImageResourceGroup',
  ManagedImageName: 'managedImageName',
  ManagedImageId: 'managedImageId',
  ManagedImageLocation: 'managedImageLocation',
  ManagedImageSharedImageGalleryId: 'galleryImageVersionId',
  SharedImageGalleryResourceGroup: 'galleryResourceGroup',
  SharedImageGalleryName: 'galleryName',
  SharedImageGalleryImageName: 'galleryImageName',
  SharedImageGalleryImageVersion: 'galleryImageVersion',
  SharedImageGalleryReplicatedRegions: 'replicatedRegions',
  VHDOSDiskUri: 'vhdUri',
};

const ARTIFACT_LINE = new RegExp(`^(${Object.keys(ARTIFACT_KEYS).join('|')}): (.+)$`);

/** A machine-readable record. */
export interface MachineRecord {
  readonly timestamp: number;
  readonly target: string;
  readonly type: string;
  readonly data: readonly string[];
}

/** Parses `timestamp,target,type,data...`, or undefined for a line of another form. */
export function parseMachineRecord(line: string): MachineRecord | undefined {
  const match = /^(\d{9,}),([^,]*),([^,]+)(?:,(.*))?$/.exec(line);
  if (!match) return undefined;
  const data = match[4] === undefined ? [] : match[4].split(',').map(unescapeMachine);
  return { timestamp: Number(match[1]), target: match[2]!, type: match[3]!, data };
}

function unescapeMachine(value: string): string {
  return value
    .replace(/%!\(PACKER_COMMA\)/g, ',')
    .replace(/\\r/g, '\r')
    .replace(/\\n/g, '\n');
}

// eslint-disable-next-line no-control-regex
const ANSI = /\x1b\[[0-9;]*[A-Za-z]/g;
/** `-timestamp-ui` prefixes each line with an RFC 3339 time. */
const TIMESTAMP_PREFIX = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(?:\.\d+)?(?:Z|[+-]\d{2}:\d{2}): /;

/** Strips colours and a `-timestamp-ui` prefix. */
export function plainLine(line: string): string {
  return line.replace(ANSI, '').replace(TIMESTAMP_PREFIX, '');
}

/** Errors Packer prints in human form, most telling first. */
const ERROR_LINES: readonly RegExp[] = [
  /^Build '[^']+' errored(?: after [^:]+)?: (.+)$/,
  /^--> [^:]+: (.+)$/,
  /^==> [^:]+: (Error.*)$/,
  /^Error: (.+)$/,
];

/**
 * Reads Packer's output line by line, in either form: collects the artifact and remembers the
 * last error, and turns machine records back into the text a person would have seen.
 */
export class PackerOutput {
  private readonly fields: Record<string, string> = {};
  private artifactIds: string[] = [];
  private errors: { rank: number; message: string }[] = [];
  private afterErrorSummary = false;

  /** Feeds one line; returns what to show in the log for it (undefined: nothing). */
  feed(rawLine: string): string | undefined {
    const record = parseMachineRecord(rawLine);
    if (record) return this.feedRecord(record);
    const line = plainLine(rawLine);
    this.feedText(line);
    return line;
  }

  /** The artifact, once the build has printed it. */
  artifact(): AzureArtifact {
    return { ...this.fields } as AzureArtifact;
  }

  /** `artifact,<n>,id` values: what Packer calls each artifact's ID. */
  ids(): readonly string[] {
    return this.artifactIds;
  }

  /** The most telling error seen last, without Packer's prefixes. */
  lastError(): string | undefined {
    const best = Math.min(...this.errors.map((e) => e.rank));
    return this.errors.filter((e) => e.rank === best).at(-1)?.message;
  }

  private feedRecord(record: MachineRecord): string | undefined {
    const [first, second, third] = record.data;
    switch (record.type) {
      case 'ui': {
        const text = record.data.slice(1).join(',');
        for (const line of text.split('\n')) this.feedText(plainLine(line));
        return text;
      }
      case 'artifact':
        if (second === 'id' && third !== undefined) this.artifactIds.push(third);
        if (second === 'string' && third !== undefined) {
          for (const line of third.split('\n')) this.feedArtifactLine(line);
        }
        return undefined;
      case 'error':
        if (first !== undefined) this.errors.push({ rank: 0, message: first });
        return undefined;
      default:
        return undefined;
    }
  }

  private feedText(line: string): void {
    this.feedArtifactLine(line);
    if (/^==> Some builds didn't complete successfully/.test(line)) this.afterErrorSummary = true;
    ERROR_LINES.forEach((pattern, rank) => {
      const match = pattern.exec(line);
      // `--> name: ...` lines are errors only in the error summary; elsewhere, artifacts.
      if (!match || (rank === 1 && !this.afterErrorSummary)) return;
      this.errors.push({ rank: rank + 1, message: match[1]! });
    });
  }

  private feedArtifactLine(line: string): void {
    const match = ARTIFACT_LINE.exec(line.trim());
    if (match) this.fields[ARTIFACT_KEYS[match[1]!]!] = match[2]!.trim();
  }
}
