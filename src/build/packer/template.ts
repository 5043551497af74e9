/**
 * `builder: packer`: the user's own template, run with `-machine-readable` so the artifact is
 * read from Packer's records rather than its prose. HCL templates get `packer init` first, to
 * install the plugins they require. The template sees the build's settings in its environment:
 * AZURE_SUBSCRIPTION_ID, AZURE_TENANT_ID, AZURE_CLIENT_ID, AZURE_LOCATION, RESOURCE_GROUP_NAME,
 * GALLERY_NAME, SIG_IMAGE_DEFINITION, SIG_IMAGE_VERSION and KUBERNETES_VERSION when known, and
 * the runner's ACTIONS_ID_TOKEN_REQUEST_URL/TOKEN for the Azure plugin's OIDC sign-in.
 */
import { stat } from 'node:fs/promises';
import { resolve } from 'node:path';
import { InputError } from '../../common/errors.js';
import type { Logger } from '../../common/logger.js';
import type { StreamCommand } from '../../common/exec.js';
import { type PackerRunResult, runPackerProcess } from './run.js';

export interface PackerRequest {
  /** `packer-template`: a file, or a directory of HCL files. */
  readonly template: string;
  /** `packer-vars`. */
  readonly vars: Readonly<Record<string, string>>;
  /** Variables for the template's `env()`; see the module comment. */
  readonly templateEnv: Readonly<Record<string, string>>;
}

export async function runPacker(
  request: PackerRequest,
  deps: { logger: Logger; env: NodeJS.ProcessEnv; stream?: StreamCommand; signal?: AbortSignal },
): Promise<PackerRunResult> {
  const template = resolve(request.template);
  let isDirectory: boolean;
  try {
    isDirectory = (await stat(template)).isDirectory();
  } catch {
    throw new InputError(
      'packer-template',
      request.template,
      'No file or directory exists at that path. Expected a Packer template.',
    );
  }
  const env: NodeJS.ProcessEnv = {
    ...Object.fromEntries(Object.entries(deps.env).filter(([n]) => !n.startsWith('INPUT_'))),
    ...request.templateEnv,
    // No prompts, no colour codes.
    PACKER_NO_COLOR: '1',
    CHECKPOINT_DISABLE: '1',
  };
  const options = {
    logger: deps.logger,
    ...(deps.stream ? { stream: deps.stream } : {}),
    ...(deps.signal ? { signal: deps.signal } : {}),
  };
  if (isDirectory || template.endsWith('.pkr.hcl')) {
    await runPackerProcess(
      { command: 'packer', args: ['init', template], env, title: 'packer init' },
      options,
    );
  }
  const vars = Object.entries(request.vars).flatMap(([k, v]) => ['-var', `${k}=${v}`]);
  return runPackerProcess(
    {
      command: 'packer',
      args: ['build', '-machine-readable', ...vars, template],
      env,
      title: `packer build ${request.template}`,
    },
    options,
  );
}
