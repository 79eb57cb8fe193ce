// How a list merges, per resource and field path: by key (containers by name), as a set
// (finalizers), or atomically (replaced whole). Custom resources say it in their schema
// (x-kubernetes-list-type / -list-map-keys); built-in kinds carry it in their Go types'
// patch tags, copied here for the fields our manifests and kubectl touch.
import type { ResourceType, Schema } from './types.js';

/** How one list merges. */
export type ListMerge = { type: 'map'; keys: string[] } | { type: 'set' } | { type: 'atomic' };

const POD_SPEC: Record<string, ListMerge> = {
  containers: { type: 'map', keys: ['name'] },
  initContainers: { type: 'map', keys: ['name'] },
  ephemeralContainers: { type: 'map', keys: ['name'] },
  volumes: { type: 'map', keys: ['name'] },
  imagePullSecrets: { type: 'map', keys: ['name'] },
  hostAliases: { type: 'map', keys: ['ip'] },
  'containers.env': { type: 'map', keys: ['name'] },
  'containers.ports': { type: 'map', keys: ['containerPort', 'protocol'] },
  'containers.volumeMounts': { type: 'map', keys: ['mountPath'] },
  'containers.volumeDevices': { type: 'map', keys: ['devicePath'] },
  'initContainers.env': { type: 'map', keys: ['name'] },
  'initContainers.ports': { type: 'map', keys: ['containerPort', 'protocol'] },
  'initContainers.volumeMounts': { type: 'map', keys: ['mountPath'] },
  tolerations: { type: 'atomic' },
};

const META: Record<string, ListMerge> = {
  'metadata.finalizers': { type: 'set' },
  'metadata.ownerReferences': { type: 'map', keys: ['uid'] },
};

function withPrefix(prefix: string, table: Record<string, ListMerge>): Record<string, ListMerge> {
  return Object.fromEntries(Object.entries(table).map(([k, v]) => [`${prefix}.${k}`, v]));
}

const BY_KIND: Record<string, Record<string, ListMerge>> = {
  Pod: { ...withPrefix('spec', POD_SPEC), 'status.conditions': { type: 'map', keys: ['type'] } },
  Deployment: { ...withPrefix('spec.template.spec', POD_SPEC), 'status.conditions': { type: 'map', keys: ['type'] } },
  StatefulSet: { ...withPrefix('spec.template.spec', POD_SPEC), 'status.conditions': { type: 'map', keys: ['type'] } },
  Service: { 'spec.ports': { type: 'map', keys: ['port', 'protocol'] } },
  Namespace: { 'status.conditions': { type: 'map', keys: ['type'] } },
  CustomResourceDefinition: { 'spec.versions': { type: 'atomic' }, 'status.conditions': { type: 'map', keys: ['type'] } },
};

function schemaAt(schema: Schema | undefined, path: string[]): Schema | undefined {
  let s = schema;
  for (const p of path) {
    if (!s) return undefined;
    if (s.type === 'array') s = s.items;
    if (!s) return undefined;
    s = s.properties?.[p] ?? (typeof s.additionalProperties === 'object' ? s.additionalProperties : undefined);
  }
  return s;
}

/** How the list at `path` (field names, no indexes) of this resource merges. */
export function listMerge(rt: Pick<ResourceType, 'kind' | 'schema' | 'builtin'>, path: string[]): ListMerge {
  const dotted = path.join('.');
  if (META[dotted]) return META[dotted];
  if (rt.builtin) {
    const pod = BY_KIND[rt.kind]?.[dotted];
    // Default keys for lists whose elements carry a conventional key (the Go types' patchMergeKey).
    return pod ?? { type: 'atomic' };
  }
  const s = schemaAt(rt.schema, path);
  const lt = s?.['x-kubernetes-list-type'];
  if (lt === 'map') return { type: 'map', keys: s?.['x-kubernetes-list-map-keys'] ?? [] };
  if (lt === 'set') return { type: 'set' };
  return { type: 'atomic' };
}

/** Field names whose values are maps with arbitrary keys (granular, owned key by key). */
const BUILTIN_MAPS = new Set(['labels', 'annotations', 'data', 'stringData', 'binaryData', 'nodeSelector', 'limits', 'requests', 'matchLabels', 'capacity', 'allocatable']);

/** Whether the object at `path` is a map of arbitrary keys (its own node is part of a field set). */
export function isGranularMap(rt: Pick<ResourceType, 'kind' | 'schema' | 'builtin'>, path: string[]): boolean {
  const last = path[path.length - 1];
  if (path[0] === 'metadata') return last === 'labels' || last === 'annotations';
  if (rt.builtin) return BUILTIN_MAPS.has(last) || (rt.kind === 'Service' && path.join('.') === 'spec.selector');
  const s = schemaAt(rt.schema, path);
  return s !== undefined && (typeof s.additionalProperties === 'object' || (s['x-kubernetes-preserve-unknown-fields'] === true && s.properties === undefined));
}
