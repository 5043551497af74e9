/**
 * Hostile and mistaken inputs, per action: injections (line breaks before workflow commands),
 * credentials in every URL input, look-alike names, huge values and conflicting inputs. Each
 * case plants the secrets and forged commands it carries; the suite scans every log line,
 * output and summary for them.
 */
export interface HostileCase {
  title: string;
  inputs: Record<string, string>;
  /** The input the refusal must name; undefined: the run must succeed (unless `fails`). */
  refuses?: string;
  /** The run fails later than input checks (a download, sign-in at a closed port). */
  fails?: boolean;
  /** Values that must appear nowhere but in `::add-mask::` commands. */
  secrets?: string[];
  /** Line starts that would be forged workflow commands. */
  forged?: string[];
  /** A case that holds only once another branch is merged. */
  pending?: string;
  /**
   * The case gets past input checks to Azure: it runs against the stand-in (ARM, Entra and the
   * seeded staging version {@link VERSION_ID}), not the closed port, where every sign-in would
   * spend seconds in the SDKs' retries and be cut off before its values reach the log.
   */
  standIn?: boolean;
  /** What the outputs file must show (run in the test, not sent to the harness). */
  output?: (outputs: string) => boolean;
}

const SUB = '00000000-0000-0000-0000-000000000000';
const TENANT = '11111111-1111-1111-1111-111111111111';
const CLIENT = '22222222-2222-2222-2222-222222222222';
export const CLOSED = 'https://127.0.0.1:9';
const HUGE = 'x'.repeat(100 * 1024);
const FORGE = (n: string) => `::error title=FORGED-${n}::pwned`;
const FORGE_PREFIX = (n: string) => `::error title=FORGED-${n}::`;

/** Inputs every action shares: each URL input with credentials, injections, huge values. */
function common(tag: string): HostileCase[] {
  const s = (n: string) => `${tag}${n}SECRET`;
  return [
    {
      title: 'arm-endpoint with user:password@',
      inputs: { 'arm-endpoint': `https://admin:${s('a1')}@management.azure.com` },
      refuses: 'arm-endpoint',
      secrets: [s('a1')],
    },
    {
      title: 'arm-endpoint with a token as user',
      inputs: { 'arm-endpoint': `https://${s('a2')}@management.azure.com` },
      refuses: 'arm-endpoint',
      secrets: [s('a2')],
    },
    {
      title: 'arm-endpoint with ?sig=',
      inputs: { 'arm-endpoint': `https://management.azure.com/?sv=1&sig=${s('a3')}` },
      refuses: 'arm-endpoint',
      secrets: [s('a3')],
    },
    {
      title: 'arm-endpoint with #sig=',
      inputs: { 'arm-endpoint': `https://management.azure.com/#sig=${s('a4')}` },
      refuses: 'arm-endpoint',
      secrets: [s('a4')],
    },
    {
      title: 'arm-endpoint with percent-encoded credentials',
      inputs: { 'arm-endpoint': `https://us%3Aer:p%40${s('a5')}@management.azure.com` },
      refuses: 'arm-endpoint',
      secrets: [s('a5')],
    },
    {
      title: 'arm-endpoint with a forged command after a line break',
      inputs: { 'arm-endpoint': `https://management.azure.com\n${FORGE('a6')}` },
      refuses: 'arm-endpoint',
      forged: [FORGE_PREFIX('a6')],
    },
    {
      title: 'arm-endpoint over plain http',
      inputs: { 'arm-endpoint': 'http://management.azure.com' },
      refuses: 'arm-endpoint',
    },
    {
      title: 'authority-host with user:password@',
      inputs: { 'authority-host': `https://u:${s('h1')}@login.microsoftonline.com` },
      refuses: 'authority-host',
      secrets: [s('h1')],
    },
    {
      title: 'authority-host with client_secret in the query',
      inputs: { 'authority-host': `https://login.microsoftonline.com/?client_secret=${s('h2')}` },
      refuses: 'authority-host',
      secrets: [s('h2')],
    },
    {
      title: 'authority-host followed by a second URL with credentials',
      inputs: {
        'authority-host': `https://login.microsoftonline.com https://u:${s('h3')}@evil.example`,
      },
      refuses: 'authority-host',
      secrets: [s('h3')],
    },
    {
      title: 'subscription-id with ::add-mask:: after a line break',
      inputs: { 'subscription-id': `${SUB}\n::add-mask::FORGED-s1` },
      refuses: 'subscription-id',
      forged: ['::add-mask::FORGED-s1'],
    },
    {
      title: 'subscription-id with a Cyrillic look-alike letter',
      inputs: { 'subscription-id': `${SUB.slice(0, -1)}\u0430` },
      refuses: 'subscription-id',
    },
    {
      title: 'subscription-id of 100 KB',
      inputs: { 'subscription-id': HUGE },
      refuses: 'subscription-id',
    },
    {
      title: 'tenant-id with ::stop-commands:: after a line break',
      inputs: { 'tenant-id': `contoso.onmicrosoft.com\n::stop-commands::FORGED-t1` },
      refuses: 'tenant-id',
      forged: ['::stop-commands::FORGED-t1'],
    },
    { title: 'client-id without tenant-id', inputs: { 'tenant-id': '' }, refuses: 'tenant-id' },
  ];
}

const azure = {
  'subscription-id': SUB,
  'tenant-id': TENANT,
  'client-id': CLIENT,
  'arm-endpoint': CLOSED,
  'authority-host': CLOSED,
};
export const VERSION_ID = `/subscriptions/${SUB}/resourceGroups/rg/providers/Microsoft.Compute/galleries/staging/images/capi-ubuntu-2404/versions/1.31.2`;
const ACCOUNT_ID = `/subscriptions/${SUB}/resourceGroups/rg/providers/Microsoft.Storage/storageAccounts/acct`;

export interface ActionCases {
  action: string;
  base: Record<string, string>;
  cases: HostileCase[];
}

const plan: ActionCases = {
  action: 'plan',
  base: {
    ...azure,
    'kubernetes-versions': 'v1.31.2',
    'operating-systems': 'ubuntu-2404',
    gallery: 'staging',
    'resource-group': 'rg',
  },
  cases: [
    ...common('pl'),
    {
      title: 'kubernetes-versions with a forged error',
      inputs: { 'kubernetes-versions': `v1.31.2\n${FORGE('p1')}` },
      refuses: 'kubernetes-versions',
      forged: [FORGE_PREFIX('p1')],
    },
    {
      title: 'kubernetes-versions holding a URL with credentials',
      inputs: { 'kubernetes-versions': 'v1.31.2 https://u:plKVSECRET@evil.example' },
      refuses: 'kubernetes-versions',
      secrets: ['plKVSECRET'],
    },
    {
      title: 'kubernetes-versions of 100 KB',
      inputs: { 'kubernetes-versions': HUGE },
      refuses: 'kubernetes-versions',
    },
    // Duplicate legs are merged into one (main's plan), without Azure: no gallery to look in.
    ...[
      ['kubernetes-versions', 'v1.34.2 1.34.2'],
      ['kubernetes-versions', 'v1.34.2,v1.34.2'],
      ['operating-systems', 'ubuntu-2404,ubuntu-2404'],
    ].map(([input, value]): HostileCase => ({
      title: `duplicate legs ${value} become one`,
      inputs: { gallery: '', 'resource-group': '', [input!]: value! },
      output: (o) => (o.match(/"os":/g) ?? []).length === 1,
    })),
    {
      title: 'more than 256 legs',
      inputs: {
        'kubernetes-versions': Array.from({ length: 300 }, (_, i) => `1.31.${i}`).join(' '),
      },
      refuses: 'kubernetes-versions',
    },
    {
      title: 'operating-systems look-alike ubuntu-24O4',
      inputs: { 'operating-systems': 'ubuntu-24O4' },
      refuses: 'operating-systems',
    },
    {
      title: 'operating-systems with a Unicode hyphen',
      inputs: { 'operating-systems': 'ubuntu\u20102404' },
      refuses: 'operating-systems',
    },
    {
      title: 'operating-systems as a forged command',
      inputs: { 'operating-systems': '::add-mask::FORGED-p2' },
      refuses: 'operating-systems',
      forged: ['::add-mask::FORGED-p2'],
    },
    {
      title: 'gallery with a forged error',
      inputs: { gallery: `staging\n${FORGE('p3')}` },
      refuses: 'gallery',
      forged: [FORGE_PREFIX('p3')],
    },
    {
      title: 'gallery with a dash (look-alike of a definition name)',
      inputs: { gallery: 'staging-gallery' },
      refuses: 'gallery',
    },
    {
      title: 'resource-group of 100 KB',
      inputs: { 'resource-group': HUGE },
      refuses: 'resource-group',
    },
    {
      title: 'minor-versions with a forged warning',
      inputs: { 'kubernetes-versions': '', 'minor-versions': `3\n::warning::FORGED-p4` },
      refuses: 'minor-versions',
      forged: ['::warning::FORGED-p4'],
    },
    {
      title: 'minor-versions written 1e2',
      inputs: { 'kubernetes-versions': '', 'minor-versions': '1e2' },
      refuses: 'minor-versions',
    },
    {
      title: 'include-prereleases yes',
      inputs: { 'include-prereleases': 'yes' },
      refuses: 'include-prereleases',
    },
    {
      title: 'github-token never shown when a version is bad',
      inputs: { 'github-token': 'ghp_plTOKENSECRET0123456789', 'kubernetes-versions': 'v1.x' },
      refuses: 'kubernetes-versions',
      secrets: ['ghp_plTOKENSECRET0123456789'],
    },
    {
      title: 'gallery without resource-group',
      inputs: { 'resource-group': '' },
      refuses: 'resource-group',
    },
    {
      title: 'a plan without Azure succeeds and forges nothing',
      inputs: {
        gallery: '',
        'resource-group': '',
        'subscription-id': '',
        'tenant-id': '',
        'client-id': '',
        'kubernetes-versions': 'v1.31.2 v1.30.6',
      },
    },
  ],
};

const buildBase = {
  ...azure,
  builder: 'disk',
  'kubernetes-version': 'v1.31.2',
  os: 'ubuntu-2404',
  'source-disk': `${CLOSED}/disk.qcow2`,
  'source-checksum': `sha256:${'a'.repeat(64)}`,
  'blob-container-url': 'https://acct.blob.core.windows.net/vhds',
  'resource-group': 'rg',
  location: 'westus2',
};
const build: ActionCases = {
  action: 'build-image',
  base: buildBase,
  cases: [
    ...common('bi'),
    {
      title: 'blob-container-url with a SAS',
      inputs: {
        'blob-container-url':
          'https://acct.blob.core.windows.net/vhds?sv=2024-01-01&sp=rw&sig=biBCSECRET1',
      },
      refuses: 'blob-container-url',
      secrets: ['biBCSECRET1'],
    },
    {
      title: 'blob-container-url with user:password@',
      inputs: { 'blob-container-url': 'https://acct:biBCSECRET2@acct.blob.core.windows.net/vhds' },
      refuses: 'blob-container-url',
      secrets: ['biBCSECRET2'],
    },
    {
      title: 'blob-container-url with a forged command',
      inputs: { 'blob-container-url': `https://acct.blob.core.windows.net/vhds\n${FORGE('b1')}` },
      refuses: 'blob-container-url',
      forged: [FORGE_PREFIX('b1')],
    },
    {
      title: 'source-disk with user:password@',
      inputs: { 'source-disk': 'https://u:biSDSECRET1@127.0.0.1:9/disk.qcow2' },
      refuses: 'source-disk',
      secrets: ['biSDSECRET1'],
    },
    {
      title: 'source-disk with a signature in its #fragment',
      inputs: { 'source-disk': 'https://127.0.0.1:9/disk.qcow2#sig=biSDSECRET2' },
      refuses: 'source-disk',
      secrets: ['biSDSECRET2'],
    },
    {
      title: 'source-disk SAS followed by a second URL',
      inputs: {
        'source-disk':
          'https://127.0.0.1:9/disk.qcow2?sig=biSDSECRET3 https://127.0.0.1:9/other.qcow2',
      },
      refuses: 'source-disk',
      secrets: ['biSDSECRET3'],
    },
    {
      title: 'source-disk with a forged command after a line break',
      inputs: { 'source-disk': `https://127.0.0.1:9/disk.qcow2\n${FORGE('b2')}` },
      refuses: 'source-disk',
      forged: [FORGE_PREFIX('b2')],
    },
    {
      title: 'source-disk over plain http',
      inputs: { 'source-disk': 'http://127.0.0.1:9/disk.qcow2' },
      refuses: 'source-disk',
    },
    {
      title: 'source-disk SAS: accepted, masked, the download failure shows no signature',
      inputs: { 'source-disk': 'https://127.0.0.1:9/disk.qcow2?sv=2024&sig=biSDSECRET4' },
      fails: true,
      secrets: ['biSDSECRET4'],
    },
    {
      title: 'image-builder: location of US Government with the public endpoint',
      inputs: {
        builder: 'image-builder',
        'source-disk': '',
        'source-checksum': '',
        'blob-container-url': '',
        'image-builder-path': '.',
        gallery: 'staging',
        location: 'usgovvirginia',
        'arm-endpoint': 'https://management.azure.com',
      },
      refuses: 'location',
    },
    {
      title: 'resource-group with ::add-mask::',
      inputs: { 'resource-group': 'rg\n::add-mask::FORGED-b3' },
      refuses: 'resource-group',
      forged: ['::add-mask::FORGED-b3'],
    },
    { title: 'os look-alike ubuntu-24O4', inputs: { os: 'ubuntu-24O4' }, refuses: 'os' },
    {
      title: 'kubernetes-version with a forged error',
      inputs: { 'kubernetes-version': `v1.31.2\n${FORGE('b4')}` },
      refuses: 'kubernetes-version',
      forged: [FORGE_PREFIX('b4')],
    },
    {
      title: 'kubernetes-version of 100 KB',
      inputs: { 'kubernetes-version': HUGE },
      refuses: 'kubernetes-version',
    },
    {
      title: 'builder with ::stop-commands::',
      inputs: { builder: 'disk\n::stop-commands::FORGED-b5' },
      refuses: 'builder',
      forged: ['::stop-commands::FORGED-b5'],
    },
    {
      title: 'source-checksum not hex',
      inputs: { 'source-checksum': 'sha256:zz' },
      refuses: 'source-checksum',
    },
    {
      title: 'upload-concurrency 1000',
      inputs: { 'upload-concurrency': '1000' },
      refuses: 'upload-concurrency',
    },
    {
      title: 'image-builder-path with builder disk (conflicting)',
      inputs: { 'image-builder-path': 'image-builder' },
      refuses: 'image-builder-path',
    },
  ],
};

const publishBase = {
  ...azure,
  'resource-group': 'rg',
  location: 'westus2',
  gallery: 'staging',
  'image-definition': 'capi-ubuntu-2404',
  'image-version': '1.31.2',
  source: 'https://acct.blob.core.windows.net/vhds/x.vhd',
  'source-storage-account-id': ACCOUNT_ID,
  publisher: 'capz',
  offer: 'capi',
  sku: 'ubuntu-2404',
};
const community = {
  sharing: 'community',
  'public-name-prefix': 'capzprefix',
  'publisher-uri': 'https://example.com',
  'publisher-contact': 'support@example.com',
  eula: 'https://example.com/eula',
};
function galleryWriter(tag: string): HostileCase[] {
  const s = (n: string) => `${tag}${n}SECRET`;
  return [
    {
      title: 'publisher-uri with user:password@',
      inputs: { ...community, 'publisher-uri': `https://admin:${s('u1')}@example.com/` },
      refuses: 'publisher-uri',
      secrets: [s('u1')],
    },
    {
      title: 'publisher-uri with ?sig=',
      inputs: { ...community, 'publisher-uri': `https://example.com/?sig=${s('u2')}` },
      refuses: 'publisher-uri',
      secrets: [s('u2')],
    },
    {
      title: 'publisher-uri with a forged command',
      inputs: { ...community, 'publisher-uri': `https://example.com/\n${FORGE(`${tag}u3`)}` },
      refuses: 'publisher-uri',
      forged: [FORGE_PREFIX(`${tag}u3`)],
    },
    {
      title: 'eula linking with credentials',
      inputs: { ...community, eula: `See https://u:${s('e1')}@example.com/eula` },
      refuses: 'eula',
      secrets: [s('e1')],
    },
    {
      title: 'community inputs on a private gallery (conflicting)',
      inputs: {
        ...Object.fromEntries(Object.keys(community).map((k) => [k, ''])),
        sharing: 'private',
        'publisher-uri': 'https://example.com',
      },
      refuses: 'publisher-uri',
    },
    {
      title: 'location of US Government with the public endpoint',
      inputs: { location: 'usgovvirginia', 'arm-endpoint': 'https://management.azure.com' },
      refuses: 'location',
    },
    {
      title: 'target-regions of China with the public endpoint',
      inputs: { 'target-regions': 'chinaeast2', 'arm-endpoint': 'https://management.azure.com' },
      refuses: 'target-regions',
    },
    {
      title: 'target-regions with a forged command',
      inputs: { 'target-regions': `eastus\n${FORGE(`${tag}r1`)}` },
      refuses: 'target-regions',
      forged: [FORGE_PREFIX(`${tag}r1`)],
    },
    {
      title: 'target-regions listing a region twice',
      inputs: { 'target-regions': 'eastus EastUS' },
      refuses: 'target-regions',
    },
    {
      title: 'tags with a forged command (a valid tag name: the escape must hold)',
      inputs: {
        tags: `a=b\n${FORGE(`${tag}t1`)}`,
        ...(tag === 'pu'
          ? { source: VERSION_ID, 'source-storage-account-id': '' }
          : { 'create-gallery': 'true' }),
        'resource-group': `rg-${tag}`,
        'poll-interval-seconds': '1',
        ...Object.fromEntries(Object.keys(community).map((k) => [k, ''])),
        sharing: 'private',
      },
      standIn: true,
      forged: [FORGE_PREFIX(`${tag}t1`)],
    },
    {
      title: 'gallery look-alike with a dash',
      inputs: { gallery: 'staging-gallery' },
      refuses: 'gallery',
    },
    {
      title: 'if-exists with a forged warning',
      inputs: { 'if-exists': 'skip\n::warning::FORGED-' + tag },
      refuses: 'if-exists',
      forged: ['::warning::FORGED-' + tag],
    },
    { title: 'replica-count 1000', inputs: { 'replica-count': '1000' }, refuses: 'replica-count' },
    {
      title: 'end-of-life-date of 100 KB',
      inputs: { 'end-of-life-date': HUGE },
      refuses: 'end-of-life-date',
    },
  ];
}

const publish: ActionCases = {
  action: 'publish-to-gallery',
  base: publishBase,
  cases: [
    ...common('pu'),
    ...galleryWriter('pu'),
    {
      title: 'source with user:password@',
      inputs: { source: 'https://u:puSRCSECRET1@acct.blob.core.windows.net/vhds/x.vhd' },
      refuses: 'source',
      secrets: ['puSRCSECRET1'],
    },
    {
      title: 'source with a signature in its #fragment',
      inputs: { source: 'https://acct.blob.core.windows.net/vhds/x.vhd#sig=puSRCSECRET2' },
      refuses: 'source',
      secrets: ['puSRCSECRET2'],
    },
    {
      title: 'source SAS followed by a second URL',
      inputs: {
        source:
          'https://acct.blob.core.windows.net/vhds/x.vhd?sv=1&sig=puSRCSECRET3 https://acct.blob.core.windows.net/vhds/y.vhd',
      },
      refuses: 'source',
      secrets: ['puSRCSECRET3'],
    },
    {
      title: 'source with a forged command',
      inputs: { source: `https://acct.blob.core.windows.net/vhds/x.vhd\n${FORGE('s4')}` },
      refuses: 'source',
      forged: [FORGE_PREFIX('s4')],
    },
    { title: 'source of 100 KB', inputs: { source: HUGE }, refuses: 'source' },
    {
      title: 'image-version and kubernetes-version both (conflicting)',
      inputs: { 'kubernetes-version': 'v1.31.2' },
      refuses: 'kubernetes-version',
    },
  ],
};

const promote: ActionCases = {
  action: 'promote',
  base: {
    ...azure,
    'source-image-version-id': VERSION_ID,
    'resource-group': 'rg-prod',
    location: 'westus2',
    gallery: 'production',
    ...community,
  },
  cases: [
    ...common('pr'),
    ...galleryWriter('pr'),
    {
      title: 'source-image-version-id as a URL with credentials',
      inputs: {
        'source-image-version-id': 'https://u:prSRCSECRET1@acct.blob.core.windows.net/vhds/x.vhd',
      },
      refuses: 'source-image-version-id',
      secrets: ['prSRCSECRET1'],
    },
    {
      title: 'source-image-version-id with a forged command',
      inputs: { 'source-image-version-id': `${VERSION_ID}\n${FORGE('v1')}` },
      refuses: 'source-image-version-id',
      forged: [FORGE_PREFIX('v1')],
    },
    {
      title: 'source-image-version-id named latest',
      inputs: { 'source-image-version-id': VERSION_ID.replace('1.31.2', 'latest') },
      refuses: 'source-image-version-id',
    },
    {
      title: 'image-version look-alike 1.31.2.0',
      inputs: { 'image-version': '1.31.2.0' },
      refuses: 'image-version',
    },
    {
      title: 'image-definition with a forged command',
      inputs: { 'image-definition': `capi\n${FORGE('v3')}` },
      refuses: 'image-definition',
      forged: [FORGE_PREFIX('v3')],
    },
    {
      title: 'public-name-prefix with a forged command',
      inputs: { 'public-name-prefix': `capz\n${FORGE('v2')}` },
      refuses: 'public-name-prefix',
      forged: [FORGE_PREFIX('v2')],
    },
  ],
};

const cleanup: ActionCases = {
  action: 'cleanup',
  base: { ...azure, 'resource-group': 'rg', gallery: 'staging' },
  cases: [
    ...common('cl'),
    {
      title: 'blob-container-url with a SAS',
      inputs: {
        'blob-container-url': 'https://acct.blob.core.windows.net/vhds?sv=2024&sig=clBCSECRET1',
      },
      refuses: 'blob-container-url',
      secrets: ['clBCSECRET1'],
    },
    {
      title: 'blob-container-url with user:password@',
      inputs: { 'blob-container-url': 'https://acct:clBCSECRET2@acct.blob.core.windows.net/vhds' },
      refuses: 'blob-container-url',
      secrets: ['clBCSECRET2'],
    },
    {
      title: 'blob-container-url with a forged command',
      inputs: { 'blob-container-url': `https://acct.blob.core.windows.net/vhds\n${FORGE('c1')}` },
      refuses: 'blob-container-url',
      forged: [FORGE_PREFIX('c1')],
    },
    {
      title: "yank '*' with yank-delete: true",
      inputs: { yank: '*', 'yank-reason': 'broken', 'yank-delete': 'true', 'dry-run': 'false' },
      refuses: 'yank',
    },
    {
      title: "yank '*.*.*' with yank-delete: true",
      inputs: { yank: '*.*.*', 'yank-reason': 'broken', 'yank-delete': 'true' },
      refuses: 'yank',
    },
    { title: 'yank without yank-reason', inputs: { yank: '1.31.2' }, refuses: 'yank-reason' },
    {
      title: 'yank as a forged command',
      inputs: { yank: `1.31.2\n${FORGE('c2')}`, 'yank-reason': 'x' },
      refuses: 'yank',
      forged: [FORGE_PREFIX('c2')],
    },
    {
      title: 'image-definitions with a forged command',
      inputs: { 'image-definitions': `capi-ubun2-2404\n${FORGE('c3')}` },
      refuses: 'image-definitions',
      forged: [FORGE_PREFIX('c3')],
    },
    {
      title: 'image-definitions of 100 KB',
      inputs: { 'image-definitions': HUGE },
      refuses: 'image-definitions',
    },
    {
      title: 'protect with a URL holding credentials',
      inputs: { protect: 'https://u:clPRSECRET@x' },
      refuses: 'protect',
      secrets: ['clPRSECRET'],
    },
    { title: 'keep-minors 0', inputs: { 'keep-minors': '0' }, refuses: 'keep-minors' },
    { title: 'keep-patches -1', inputs: { 'keep-patches': '-1' }, refuses: 'keep-patches' },
    { title: 'dry-run yes', inputs: { 'dry-run': 'yes' }, refuses: 'dry-run' },
    {
      title: 'max-concurrency 1e3',
      inputs: { 'max-concurrency': '1e3' },
      refuses: 'max-concurrency',
    },
    {
      title: 'gallery with a forged command',
      inputs: { gallery: `staging\n${FORGE('c4')}` },
      refuses: 'gallery',
      forged: [FORGE_PREFIX('c4')],
    },
    {
      title: 'resource-group of 100 KB',
      inputs: { 'resource-group': HUGE },
      refuses: 'resource-group',
    },
  ],
};

const KUBECONFIG_B64 = Buffer.from(
  'apiVersion: v1\nkind: Config\nusers:\n- name: u\n  user:\n    token: vcKUBESECRET1\n',
).toString('base64');
const validate: ActionCases = {
  action: 'validate-cluster',
  base: {
    ...azure,
    'image-version-id': VERSION_ID,
    location: 'westus2',
    'kubernetes-version': 'v1.31.2',
  },
  cases: [
    ...common('vc'),
    {
      title: 'kubeconfig as base64 content is never quoted',
      inputs: { mode: 'cluster', kubeconfig: KUBECONFIG_B64 },
      refuses: 'kubeconfig',
      secrets: [KUBECONFIG_B64, 'vcKUBESECRET1'],
    },
    {
      title: 'kubeconfig as a single-line token',
      inputs: { mode: 'cluster', kubeconfig: `vcKUBESECRET2${'y'.repeat(300)}` },
      refuses: 'kubeconfig',
      secrets: [`vcKUBESECRET2${'y'.repeat(300)}`],
    },
    {
      title: 'kubeconfig content with a forged command',
      inputs: { mode: 'cluster', kubeconfig: `apiVersion: v1\n${FORGE('k1')}\n` },
      refuses: 'kubeconfig',
      forged: [FORGE_PREFIX('k1')],
    },
    {
      title: 'kubeconfig path that does not exist',
      inputs: { mode: 'cluster', kubeconfig: 'missing/kubeconfig.yaml' },
      refuses: 'kubeconfig',
    },
    {
      title: 'image-version-id with a forged command',
      inputs: { 'image-version-id': `${VERSION_ID}\n${FORGE('k2')}` },
      refuses: 'image-version-id',
      forged: [FORGE_PREFIX('k2')],
    },
    {
      title: 'image-version-id as a URL with credentials',
      inputs: { 'image-version-id': 'https://u:vcIVSECRET@x.example/v' },
      refuses: 'image-version-id',
      secrets: ['vcIVSECRET'],
    },
    {
      title: 'location of US Government with the public endpoint',
      inputs: { location: 'usgovvirginia', 'arm-endpoint': 'https://management.azure.com' },
      refuses: 'location',
    },
    { title: 'mode look-alike vrn', inputs: { mode: 'vrn' }, refuses: 'mode' },
    {
      title: 'vm-size with a forged command',
      inputs: { 'vm-size': `Standard_D2s_v5\n${FORGE('k3')}` },
      refuses: 'vm-size',
      forged: [FORGE_PREFIX('k3')],
    },
    {
      title: 'kubernetes-version of 100 KB',
      inputs: { 'kubernetes-version': HUGE },
      refuses: 'kubernetes-version',
    },
    {
      title: 'containerd-version with ::add-mask::',
      inputs: { 'containerd-version': '1.7.22\n::add-mask::FORGED-k4' },
      refuses: 'containerd-version',
      forged: ['::add-mask::FORGED-k4'],
    },
    {
      title: 'timeout-minutes 0x10',
      inputs: { 'timeout-minutes': '0x10' },
      refuses: 'timeout-minutes',
    },
    {
      title: 'cluster-template with credentials in a URL',
      inputs: {
        mode: 'cluster',
        kubeconfig: 'kubeconfig.yaml',
        'cluster-template': 'https://u:vcCTSECRET@x.example/t.yaml',
      },
      refuses: 'kubeconfig',
      secrets: ['vcCTSECRET'],
    },
    {
      title: 'worker-count 1000',
      inputs: { mode: 'cluster', kubeconfig: 'kubeconfig.yaml', 'worker-count': '1000' },
      refuses: 'worker-count',
    },
    {
      title: 'keep-on-failure yes',
      inputs: { mode: 'cluster', kubeconfig: 'kubeconfig.yaml', 'keep-on-failure': 'yes' },
      refuses: 'keep-on-failure',
    },
  ],
};

export const ACTIONS: ActionCases[] = [plan, build, publish, promote, cleanup, validate];
