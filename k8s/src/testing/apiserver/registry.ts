// The resource types a server serves: built-ins plus one per served version of every
// established CRD. Lookups by URL (group, version, plural) and by kind; CRD objects are turned
// into resource types here (pure), refused with field errors when unusable.
import { builtinResources } from './builtins.js';
import type { StatusCause } from './status.js';
import type { KObject, PrinterColumn, ResourceType, ScaleSubresource, Schema } from './types.js';

interface CrdVersion {
  name: string;
  served?: boolean;
  storage?: boolean;
  schema?: { openAPIV3Schema?: Schema };
  subresources?: { status?: object; scale?: ScaleSubresource };
  additionalPrinterColumns?: PrinterColumn[];
}

interface CrdSpec {
  group?: string;
  scope?: string;
  names?: { kind?: string; listKind?: string; plural?: string; singular?: string; shortNames?: string[]; categories?: string[] };
  versions?: CrdVersion[];
}

/** Field errors of a CRD the server cannot serve (empty = usable). */
export function crdProblems(crd: KObject): StatusCause[] {
  const spec = (crd.spec ?? {}) as CrdSpec;
  const out: StatusCause[] = [];
  const req = (field: string) => out.push({ reason: 'FieldValueRequired', message: 'Required value', field });
  if (!spec.group) req('spec.group');
  if (!spec.names?.plural) req('spec.names.plural');
  if (!spec.names?.kind) req('spec.names.kind');
  if (spec.scope !== 'Namespaced' && spec.scope !== 'Cluster') out.push({ reason: 'FieldValueNotSupported', message: `Unsupported value: "${spec.scope ?? ''}": supported values: "Cluster", "Namespaced"`, field: 'spec.scope' });
  if (!spec.versions?.length) req('spec.versions');
  else if (spec.versions.filter((v) => v.storage).length !== 1) out.push({ reason: 'FieldValueInvalid', message: `Invalid value: ${JSON.stringify(spec.versions.map((v) => v.name))}: must have exactly one version marked as storage version`, field: 'spec.versions' });
  spec.versions?.forEach((v, i) => {
    if (!v.schema?.openAPIV3Schema) req(`spec.versions[${i}].schema.openAPIV3Schema`);
  });
  const want = `${spec.names?.plural}.${spec.group}`;
  if (spec.group && spec.names?.plural && crd.metadata?.name !== want) out.push({ reason: 'FieldValueInvalid', message: `Invalid value: "${crd.metadata?.name}": must be spec.names.plural+"."+spec.group`, field: 'metadata.name' });
  return out;
}

/** The resource types (one per served version) of a usable CRD. */
export function crdResources(crd: KObject): ResourceType[] {
  const spec = crd.spec as CrdSpec;
  const n = spec.names!;
  return (spec.versions ?? [])
    .filter((v) => v.served !== false)
    .map((v) => ({
      group: spec.group!,
      version: v.name,
      kind: n.kind!,
      listKind: n.listKind ?? `${n.kind}List`,
      plural: n.plural!,
      singular: n.singular ?? n.kind!.toLowerCase(),
      namespaced: spec.scope === 'Namespaced',
      shortNames: n.shortNames ?? [],
      categories: n.categories ?? [],
      status: v.subresources?.status !== undefined,
      scale: v.subresources?.scale,
      builtin: false,
      schema: v.schema?.openAPIV3Schema,
      printerColumns: v.additionalPrinterColumns ?? [],
      crd: crd.metadata?.name,
    }));
}

/** The served resource types of one server. */
export class Registry {
  private readonly builtins = builtinResources();
  private readonly crds = new Map<string, ResourceType[]>();

  /** Every served resource type. */
  all(): ResourceType[] {
    return [...this.builtins, ...[...this.crds.values()].flat()];
  }

  /** The type served at /api(s)/<group>/<version>/<plural>. */
  byPath(group: string, version: string, plural: string): ResourceType | undefined {
    return this.all().find((r) => r.group === group && r.version === version && r.plural === plural);
  }

  /** The type of an apiVersion/kind pair. */
  byKind(group: string, version: string, kind: string): ResourceType | undefined {
    return this.all().find((r) => r.group === group && r.version === version && r.kind === kind);
  }

  /** Starts serving a CRD's versions (replacing what it served before). */
  setCrd(crd: KObject): void {
    this.crds.set(crd.metadata!.name!, crdResources(crd));
  }

  /** Stops serving a CRD. */
  removeCrd(name: string): void {
    this.crds.delete(name);
  }

  /** Groups and versions served, core ('') first, as discovery lists them. */
  groups(): { group: string; versions: string[] }[] {
    const out = new Map<string, string[]>();
    for (const r of this.all()) {
      const vs = out.get(r.group) ?? [];
      if (!vs.includes(r.version)) vs.push(r.version);
      out.set(r.group, vs);
    }
    return [...out].map(([group, versions]) => ({ group, versions }));
  }
}
