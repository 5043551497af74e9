/** Where a published version lives, as CAPZ's AzureMachineTemplate `image:` needs it (docs/design.md, "naming"). */
export type ImageLocation =
  | {
      kind: 'private';
      subscriptionId: string;
      resourceGroup: string;
      gallery: string;
      definition: string;
      version: string;
    }
  | { kind: 'community'; publicName: string; definition: string; version: string };

/**
 * The CAPZ `image:` stanza (the contents under `image:`), e.g.
 * ```yaml
 * computeGallery:
 *   gallery: ClusterAPI-f72ceb4f-5159-4c26-a0fe-2ea738f0d019
 *   name: capi-ubun2-2404
 *   version: 1.31.2
 * ```
 */
export function capzImageReference(where: ImageLocation): string {
  const lines = ['computeGallery:'];
  if (where.kind === 'community') {
    lines.push(
      `  gallery: ${where.publicName}`,
      `  name: ${where.definition}`,
      `  version: "${where.version}"`,
    );
  } else {
    lines.push(
      `  gallery: ${where.gallery}`,
      `  name: ${where.definition}`,
      `  version: "${where.version}"`,
      `  subscriptionID: ${where.subscriptionId}`,
      `  resourceGroup: ${where.resourceGroup}`,
    );
  }
  return lines.join('\n') + '\n';
}

/** `/CommunityGalleries/<public name>/Images/<definition>/Versions/<version>`, as VMs reference it. */
export function communityImageId(publicName: string, definition: string, version: string): string {
  return `/CommunityGalleries/${publicName}/Images/${definition}/Versions/${version}`;
}
