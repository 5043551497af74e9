import { recordAttestation } from '../../gallery/attestation-tags.js';
import {
  actionsLogger,
  azureForAction,
  runAction,
  setOutputs,
  writeSummary,
} from '../../runner/runtime.js';
import { declaredInputs } from '../../runner/spec.js';
import { getRecordAttestationInputs } from './inputs.js';
import { RECORD_ATTESTATION } from './spec.js';

/**
 * record-attestation: tags a gallery image version with the attestation made for it
 * (`attestation`, `attestation-digest`), so promote can check it and carry it to production.
 */
export async function run(): Promise<void> {
  await runAction(async () => {
    const settings = getRecordAttestationInputs(declaredInputs(RECORD_ATTESTATION));
    const { compute } = azureForAction(settings.azure, 'record-attestation');
    const outcome = await recordAttestation(
      compute,
      settings.version,
      { url: settings.url, subjectDigest: settings.subjectDigest },
      { logger: actionsLogger, pollIntervalMs: settings.pollIntervalSeconds * 1000 },
    );
    setOutputs(RECORD_ATTESTATION, {
      'image-version-id': settings.version.id,
      changed: String(outcome.changed),
    });
    const v = settings.version;
    await writeSummary(
      [
        `### record-attestation: ${v.gallery}/${v.imageDefinition}/${v.version}`,
        '',
        `| | |`,
        `| --- | --- |`,
        `| Attestation | ${settings.url} |`,
        `| Subject digest | \`${settings.subjectDigest}\` |`,
        `| Tags | ${outcome.changed ? 'written' : 'already there'} |`,
        '',
      ].join('\n'),
    );
  });
}
