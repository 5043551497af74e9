import { formatBytes, formatDuration, formatRate } from '../../build/progress.js';
import type { BuildResult } from '../../build/builders/build.js';
import type { BuildImageSettings } from './inputs.js';

/** The job summary: what was built, from what, where it went, and what publishing needs. */
export function buildSummary(settings: BuildImageSettings, result: BuildResult): string {
  const { image, vhd } = result;
  const rows: [string, string | undefined][] = [
    ['Builder', settings.builder.kind],
    ['Kubernetes version', settings.kubernetesVersion],
    ['OS target', settings.os],
    ['Image definition', `\`${image.definition}\``],
    ['Image version', `\`${image.version}\``],
    ['OS type / generation', `${image.osType} / ${image.hyperVGeneration}`],
    ['Source', result.manifest.source ? `\`${result.manifest.source.location}\`` : undefined],
    ['Source format', result.manifest.source?.format],
    [
      'Source checksum',
      result.manifest.source?.checksum && `\`${result.manifest.source.checksum}\``,
    ],
    ['Managed image', result.managedImageId && `\`${result.managedImageId}\``],
    ['Staging version', result.imageVersionId && `\`${result.imageVersionId}\``],
    ['VHD', vhd && `\`${vhd.uri}\``],
    ['Storage account', vhd && `\`${vhd.storageAccountId}\``],
    ['VHD SHA-256', vhd?.sha256 && `\`${vhd.sha256}\``],
    ['Content digest', vhd?.contentDigest && `\`${vhd.contentDigest}\``],
    ['Manifest', `\`${result.manifestPath}\``],
  ];
  const lines = [
    `### build-image: ${image.definition} ${image.version}`,
    '',
    '| | |',
    '|---|---|',
    ...rows.filter(([, v]) => v).map(([k, v]) => `| ${k} | ${v} |`),
    '',
  ];
  if (vhd) {
    lines.push(
      vhd.reused
        ? `The blob already held this VHD (same ${vhd.contentDigest ? 'content digest' : 'SHA-256'}): nothing was uploaded.`
        : `Uploaded a ${formatBytes(vhd.size)} VHD in ${formatDuration(vhd.ms)}: ` +
            `${formatBytes(vhd.dataBytes)} of data read, ${formatBytes(vhd.bytesSent)} sent ` +
            `(${formatRate(vhd.bytesSent, vhd.ms)}); ${formatBytes(vhd.size - vhd.bytesSent)} of zeros were not.` +
            (vhd.replacedPartial ? ' A partial upload left by an earlier run was replaced.' : ''),
      '',
    );
  }
  return lines.join('\n');
}
