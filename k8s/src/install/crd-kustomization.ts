// k8s/crds/kustomization.yml: lets k8s/deploy/base include the generated CRDs where they are
// (kustomize loads files only below a kustomization root, but may include other roots).

/** File name of the CRD folder's kustomization (`.yml`, so it is not taken for a CRD file). */
export const CRD_KUSTOMIZATION_FILE = 'kustomization.yml';

/** The CRD folder's kustomization listing `crdFiles` in sorted order. */
export function renderCrdKustomization(crdFiles: Iterable<string>): string {
  const lines = [
    '# Written by `npm run generate -w k8s` with the CRDs beside it; k8s/deploy/base includes this folder.',
    'apiVersion: kustomize.config.k8s.io/v1beta1',
    'kind: Kustomization',
    'resources:',
    ...[...crdFiles].sort().map((f) => `- ${f}`),
  ];
  return `${lines.join('\n')}\n`;
}
