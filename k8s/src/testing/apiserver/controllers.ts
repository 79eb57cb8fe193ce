// The in-server controllers the real control plane runs beside the API server, as far as the
// adapter relies on them: CRD establishment (serving a CRD's versions, its Established and
// NamesAccepted conditions, dropping its objects when it goes), ownerReference garbage
// collection and namespace cleanup. Each pass reads the store, plans (pure cores) and writes
// through the registry core, so every change is a normal watched write.
import type { ApiCore, WriteOptions } from './core.js';
import { planGc, type GcAction, type GcItem } from './gc.js';
import { timestamp } from './meta.js';
import type { Registry } from './registry.js';
import { resourceKey, type ObjectStore } from './store.js';
import type { KObject, ResourceType } from './types.js';

const SYSTEM: WriteOptions = { dryRun: false, fieldManager: 'kube-controller-manager', fieldValidation: 'Ignore', userAgent: 'kube-controller-manager' };

/** What the controllers act on. */
export interface ControllerDeps {
  core: ApiCore;
  store: ObjectStore;
  registry: Registry;
  now: () => Date;
  onError: (err: unknown) => void;
}

/** Runs a pass after every change (coalesced), until the cluster is consistent. */
export class InServerControllers {
  private scheduled = false;
  private running: Promise<void> = Promise.resolve();
  private stopped = false;
  private readonly crdRt: ResourceType;

  constructor(private readonly d: ControllerDeps) {
    this.crdRt = d.registry.byPath('apiextensions.k8s.io', 'v1', 'customresourcedefinitions')!;
  }

  /** Asks for a pass soon (called after every stored change). */
  poke(): void {
    if (this.scheduled || this.stopped) return;
    this.scheduled = true;
    setImmediate(() => {
      this.scheduled = false;
      this.running = this.running.then(() => this.pass()).catch(this.d.onError);
    });
  }

  /** Waits for the pass in flight; no pass starts after. */
  async stop(): Promise<void> {
    this.stopped = true;
    await this.running;
  }

  /** Resolves once no pass is scheduled or running. */
  async idle(): Promise<void> {
    while (this.scheduled) await new Promise((r) => setImmediate(r));
    await this.running;
  }

  private rtOf(resource: string): ResourceType | undefined {
    return this.d.registry.all().find((r) => resourceKey(r) === resource);
  }

  private async pass(): Promise<void> {
    if (this.stopped) return;
    await this.syncCrds();
    const items: GcItem[] = [];
    for (const { resource, object } of this.d.store.all()) {
      const rt = this.rtOf(resource);
      if (rt) items.push({ resource, namespaced: rt.namespaced, object: { ...object, kind: rt.kind } });
    }
    for (const a of planGc(items)) await this.act(a).catch((e: unknown) => ((e as { status?: { code?: number } }).status?.code === 404 || (e as { status?: { code?: number } }).status?.code === 409 ? undefined : this.d.onError(e)));
  }

  private async syncCrds(): Promise<void> {
    const crds = this.d.store.list(resourceKey(this.crdRt));
    const live = new Set<string>();
    for (const crd of crds) {
      const name = crd.metadata!.name!;
      if (crd.metadata?.deletionTimestamp) continue;
      live.add(name);
      this.d.registry.setCrd(crd);
      await this.establish(crd);
    }
    for (const r of this.d.registry.all()) {
      if (r.crd === undefined || live.has(r.crd)) continue;
      for (const o of this.d.store.list(resourceKey(r))) this.d.store.remove(resourceKey(r), o.metadata?.namespace ?? '', o.metadata!.name!);
      this.d.registry.removeCrd(r.crd);
    }
  }

  private async establish(crd: KObject): Promise<void> {
    const st = (crd.status ?? {}) as { conditions?: { type: string; status: string }[] };
    const spec = crd.spec as { names?: object; versions?: { name: string; storage?: boolean }[] };
    const accepted = JSON.stringify((crd.status as { acceptedNames?: object } | undefined)?.acceptedNames) === JSON.stringify(spec.names);
    if (accepted && (st.conditions ?? []).some((c) => c.type === 'Established' && c.status === 'True')) return;
    const t = timestamp(this.d.now());
    const cond = (type: string, reason: string, message: string) => ({ type, status: 'True', lastTransitionTime: t, reason, message });
    const status = {
      conditions: [cond('NamesAccepted', 'NoConflicts', 'no conflicts found'), cond('Established', 'InitialNamesAccepted', 'the initial names have been accepted')],
      acceptedNames: spec.names,
      storedVersions: (spec.versions ?? []).filter((v) => v.storage).map((v) => v.name),
    };
    await this.d.core.update(this.crdRt, '', crd.metadata!.name!, { ...crd, status }, 'status', SYSTEM);
  }

  private async act(a: GcAction): Promise<void> {
    if (a.type === 'finalizeNamespace') {
      this.d.store.remove(resourceKey(this.d.registry.byPath('', 'v1', 'namespaces')!), '', a.name);
      return;
    }
    const rt = this.rtOf(a.resource);
    if (!rt) return;
    if (a.type === 'delete') {
      await this.d.core.delete(rt, a.namespace, a.name, { propagationPolicy: a.propagation, preconditions: { uid: a.uid } }, SYSTEM);
      return;
    }
    const o = this.d.core.get(rt, a.namespace, a.name);
    const m = o.metadata!;
    if (a.type === 'removeOwnerRefs') {
      m.ownerReferences = (m.ownerReferences ?? []).filter((r) => !a.uids.includes(r.uid));
      if (m.ownerReferences.length === 0) delete m.ownerReferences;
    } else {
      m.finalizers = (m.finalizers ?? []).filter((f) => f !== a.finalizer);
    }
    await this.d.core.update(rt, a.namespace, a.name, o, '', SYSTEM);
  }
}
