/**
 * What image-builder needs to know about a Kubernetes release besides its version: the Debian
 * package revision at pkgs.k8s.io (1.31.2 ships as `1.31.2-1.1`), and, for Windows targets,
 * whether the kube-proxy hostprocess image CAPZ runs exists yet. Both as image-builder's own
 * workflow does them (`.github/actions/configure-k8s-version/resolve-kubernetes-deb-version.py`
 * and its "Check for Windows kube-proxy image" step).
 */
import { InputError } from '../../common/errors.js';
import type { Logger } from '../../common/logger.js';
import { compareVersionNames, type KubernetesVersion } from '../../kubernetes/version.js';
import type { Fetch } from '../source.js';

/** The packages every node image installs; one revision must exist for all three. */
const NODE_PACKAGES = ['kubeadm', 'kubectl', 'kubelet'] as const;

export function debPackagesUrl(version: KubernetesVersion): string {
  return `https://pkgs.k8s.io/core:/stable:/v${version.major}.${version.minor}/deb/Packages`;
}

/** `Package`/`Version`/`Architecture` of each stanza of a Debian Packages index. */
export function parsePackagesIndex(
  text: string,
): { name: string; version: string; arch: string }[] {
  const entries: { name: string; version: string; arch: string }[] = [];
  for (const stanza of text.split(/\r?\n\r?\n/)) {
    const fields = new Map<string, string>();
    for (const line of stanza.split(/\r?\n/)) {
      const at = line.indexOf(': ');
      if (at > 0 && !line.startsWith(' ')) fields.set(line.slice(0, at), line.slice(at + 2).trim());
    }
    const [name, version, arch] = [
      fields.get('Package'),
      fields.get('Version'),
      fields.get('Architecture'),
    ];
    if (name && version && arch) entries.push({ name, version, arch });
  }
  return entries;
}

/**
 * The newest revision of `version` that kubeadm, kubectl and kubelet all have for `arch`.
 * @throws InputError naming `kubernetes-version` when there is none.
 */
export function resolveDebVersion(
  index: string,
  version: KubernetesVersion,
  text: string,
  arch = 'amd64',
): string {
  const prefix = `${version.major}.${version.minor}.${version.patch}-`;
  const entries = parsePackagesIndex(index);
  let common: Set<string> | undefined;
  for (const name of NODE_PACKAGES) {
    const versions = new Set(
      entries
        .filter((e) => e.name === name && e.arch === arch && e.version.startsWith(prefix))
        .map((e) => e.version),
    );
    common = common ? new Set([...common].filter((v) => versions.has(v))) : versions;
  }
  const best = [...(common ?? [])].sort(compareVersionNames).at(-1);
  if (!best) {
    throw new InputError(
      'kubernetes-version',
      text,
      `pkgs.k8s.io has no ${prefix}* packages of kubeadm, kubectl and kubelet for ${arch} yet. ` +
        'Wait for the release packages, or set kubernetes-deb-version.',
    );
  }
  return best;
}

/** Fetches the index and resolves the revision; see {@link resolveDebVersion}. */
export async function fetchDebVersion(
  version: KubernetesVersion,
  text: string,
  deps: { fetch?: Fetch; logger: Logger },
): Promise<string> {
  const url = debPackagesUrl(version);
  const fetchImpl = deps.fetch ?? (globalThis.fetch as Fetch);
  const response = await fetchImpl(url, { signal: AbortSignal.timeout(30_000) });
  if (!response.ok) {
    throw new Error(
      `Reading ${url} answered HTTP ${response.status}; set kubernetes-deb-version to build without it.`,
    );
  }
  const resolved = resolveDebVersion(await response.text(), version, text);
  deps.logger.info(`kubelet, kubeadm and kubectl ${resolved} are at pkgs.k8s.io (${url}).`);
  return resolved;
}

/** The image CAPZ's Windows nodes run kube-proxy from, for a release. */
export function kubeProxyImage(version: string): { repository: string; tag: string } {
  return {
    repository: 'sigwindowstools/kube-proxy',
    tag: `${version.startsWith('v') ? version : `v${version}`}-calico-hostprocess`.replace(
      /\+/g,
      '_',
    ),
  };
}

/**
 * Whether the Windows kube-proxy hostprocess image for `version` is on Docker Hub: a build for a
 * release without it makes an image whose nodes never become ready.
 * @returns true or false, or undefined when Docker Hub could not be asked.
 */
export async function kubeProxyImageExists(
  version: string,
  deps: { fetch?: Fetch; logger: Logger },
): Promise<boolean | undefined> {
  const fetchImpl = deps.fetch ?? (globalThis.fetch as Fetch);
  const { repository, tag } = kubeProxyImage(version);
  try {
    const auth = await fetchImpl(
      `https://auth.docker.io/token?service=registry.docker.io&scope=repository:${repository}:pull`,
      { signal: AbortSignal.timeout(30_000) },
    );
    if (!auth.ok) throw new Error(`auth.docker.io answered HTTP ${auth.status}`);
    const { token } = (await auth.json()) as { token?: string };
    const manifest = await fetchImpl(
      `https://registry-1.docker.io/v2/${repository}/manifests/${tag}`,
      {
        method: 'HEAD',
        signal: AbortSignal.timeout(30_000),
        headers: {
          authorization: `Bearer ${token ?? ''}`,
          accept: [
            'application/vnd.oci.image.index.v1+json',
            'application/vnd.docker.distribution.manifest.list.v2+json',
            'application/vnd.docker.distribution.manifest.v2+json',
          ].join(', '),
        },
      },
    );
    if (manifest.status === 404) return false;
    if (!manifest.ok) throw new Error(`registry-1.docker.io answered HTTP ${manifest.status}`);
    return true;
  } catch (err) {
    deps.logger.warning(
      `Could not check for ${repository}:${tag} (${(err as Error).message}); building anyway.`,
    );
    return undefined;
  }
}
