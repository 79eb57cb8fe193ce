// The built-in resource types the test server serves (besides CRD-defined ones). Storage is
// generic; what differs per kind is its place in discovery, its scope and its subresources.
import type { ResourceType } from './types.js';

interface Row {
  g: string;
  v: string;
  kind: string;
  plural: string;
  ns: boolean;
  short?: string[];
  status?: boolean;
  scale?: boolean;
  binding?: boolean;
  categories?: string[];
}

const ROWS: Row[] = [
  { g: '', v: 'v1', kind: 'Namespace', plural: 'namespaces', ns: false, short: ['ns'], status: true },
  { g: '', v: 'v1', kind: 'Pod', plural: 'pods', ns: true, short: ['po'], status: true, binding: true, categories: ['all'] },
  { g: '', v: 'v1', kind: 'Service', plural: 'services', ns: true, short: ['svc'], status: true, categories: ['all'] },
  { g: '', v: 'v1', kind: 'Secret', plural: 'secrets', ns: true },
  { g: '', v: 'v1', kind: 'ConfigMap', plural: 'configmaps', ns: true, short: ['cm'] },
  { g: '', v: 'v1', kind: 'Event', plural: 'events', ns: true, short: ['ev'] },
  { g: '', v: 'v1', kind: 'ServiceAccount', plural: 'serviceaccounts', ns: true, short: ['sa'] },
  { g: '', v: 'v1', kind: 'PersistentVolumeClaim', plural: 'persistentvolumeclaims', ns: true, short: ['pvc'], status: true },
  { g: '', v: 'v1', kind: 'Node', plural: 'nodes', ns: false, short: ['no'], status: true },
  { g: 'coordination.k8s.io', v: 'v1', kind: 'Lease', plural: 'leases', ns: true },
  { g: 'apps', v: 'v1', kind: 'Deployment', plural: 'deployments', ns: true, short: ['deploy'], status: true, scale: true, categories: ['all'] },
  { g: 'apps', v: 'v1', kind: 'StatefulSet', plural: 'statefulsets', ns: true, short: ['sts'], status: true, scale: true, categories: ['all'] },
  { g: 'policy', v: 'v1', kind: 'PodDisruptionBudget', plural: 'poddisruptionbudgets', ns: true, short: ['pdb'], status: true },
  { g: 'rbac.authorization.k8s.io', v: 'v1', kind: 'ClusterRole', plural: 'clusterroles', ns: false },
  { g: 'rbac.authorization.k8s.io', v: 'v1', kind: 'ClusterRoleBinding', plural: 'clusterrolebindings', ns: false },
  { g: 'rbac.authorization.k8s.io', v: 'v1', kind: 'Role', plural: 'roles', ns: true },
  { g: 'rbac.authorization.k8s.io', v: 'v1', kind: 'RoleBinding', plural: 'rolebindings', ns: true },
  { g: 'apiextensions.k8s.io', v: 'v1', kind: 'CustomResourceDefinition', plural: 'customresourcedefinitions', ns: false, short: ['crd', 'crds'], status: true },
  { g: 'admissionregistration.k8s.io', v: 'v1', kind: 'ValidatingWebhookConfiguration', plural: 'validatingwebhookconfigurations', ns: false },
  { g: 'admissionregistration.k8s.io', v: 'v1', kind: 'MutatingWebhookConfiguration', plural: 'mutatingwebhookconfigurations', ns: false },
];

/** Built-in resource types, fresh copies (callers may not share them across servers). */
export function builtinResources(): ResourceType[] {
  return ROWS.map((r) => ({
    group: r.g,
    version: r.v,
    kind: r.kind,
    listKind: `${r.kind}List`,
    plural: r.plural,
    singular: r.kind.toLowerCase(),
    namespaced: r.ns,
    shortNames: r.short ?? [],
    categories: r.categories ?? [],
    status: r.status ?? false,
    scale: r.scale ? { specReplicasPath: '.spec.replicas', statusReplicasPath: '.status.replicas', labelSelectorPath: '.status.selector' } : undefined,
    binding: r.binding,
    builtin: true,
    printerColumns: [],
  }));
}
