// The scale subresource of any namespaced kind, found through API discovery (as kubectl scale
// and the HPA controller do): GET and merge-PATCH `/apis/<group>/<version>/namespaces/<ns>/<plural>/<name>/scale`.
import { CustomObjectsApi, KubernetesObjectApi, PatchStrategy, setHeaderOptions, type KubeConfig } from '@kubernetes/client-node';
import type { ScaleTargetRef } from '@matrixinfer/events';
import { K8sApiRequestError } from '../actuator/errors.js';

/** What a scale subresource says. */
export interface ScaleReading {
  specReplicas: number;
  statusReplicas?: number;
  selector?: string;
}

/** Reads and writes scale subresources of one cluster. */
export interface ScaleApi {
  /** The target's scale; throws K8sApiRequestError naming the target when it cannot be read. */
  get(namespace: string, ref: ScaleTargetRef): Promise<ScaleReading>;
  /** Sets spec.replicas through the scale subresource (nothing else of the target changes). */
  set(namespace: string, ref: ScaleTargetRef, replicas: number): Promise<void>;
}

// Discovery with the client's own cache of resource lists, keeping only top-level resources
// (`deployments`, not `deployments/scale`, which has kind Scale, or `deployments/status`).
class Discovery extends KubernetesObjectApi {
  async pluralOf(apiVersion: string, kind: string): Promise<string | undefined> {
    await this.resource(apiVersion, kind);
    return this.apiVersionResourceCache[apiVersion]?.resources.find((r) => r.kind === kind && !r.name.includes('/') && r.namespaced)?.name;
  }
}

/** `apps/v1` -> { group: 'apps', version: 'v1' }; the core group (`v1`) has no /apis path. */
export function splitApiVersion(apiVersion: string): { group: string; version: string } | null {
  const i = apiVersion.indexOf('/');
  if (i <= 0) return null;
  return { group: apiVersion.slice(0, i), version: apiVersion.slice(i + 1) };
}

/** A ScaleApi over `kc`. */
export function scaleApi(kc: KubeConfig): ScaleApi {
  const discovery = kc.makeApiClient(Discovery);
  const custom = kc.makeApiClient(CustomObjectsApi);
  const mergePatch = setHeaderOptions('Content-Type', PatchStrategy.MergePatch);
  const locate = async (namespace: string, ref: ScaleTargetRef) => {
    const gv = splitApiVersion(ref.apiVersion);
    if (!gv) throw new K8sApiRequestError(`${ref.kind} ${namespace}/${ref.name}: API version ${ref.apiVersion} is in the core group, which has no scalable kinds we support`);
    let plural: string | undefined;
    try {
      plural = await discovery.pluralOf(ref.apiVersion, ref.kind);
    } catch (err) {
      throw new K8sApiRequestError(`${ref.kind} ${namespace}/${ref.name}: discovery of ${ref.apiVersion} failed: ${(err as Error).message}`, { cause: err });
    }
    if (!plural) throw new K8sApiRequestError(`${ref.kind} ${namespace}/${ref.name}: the API server serves no namespaced kind ${ref.kind} in ${ref.apiVersion}`);
    return { ...gv, plural, namespace, name: ref.name };
  };
  return {
    async get(namespace, ref) {
      const where = await locate(namespace, ref);
      let scale: { spec?: { replicas?: unknown }; status?: { replicas?: unknown; selector?: unknown } };
      try {
        scale = (await custom.getNamespacedCustomObjectScale(where)) as typeof scale;
      } catch (err) {
        throw new K8sApiRequestError(`${ref.kind} ${namespace}/${ref.name}: reading its scale failed: ${(err as Error).message}`, { cause: err });
      }
      const out: ScaleReading = { specReplicas: typeof scale.spec?.replicas === 'number' ? scale.spec.replicas : 0 };
      if (typeof scale.status?.replicas === 'number') out.statusReplicas = scale.status.replicas;
      if (typeof scale.status?.selector === 'string') out.selector = scale.status.selector;
      return out;
    },
    async set(namespace, ref, replicas) {
      const where = await locate(namespace, ref);
      try {
        await custom.patchNamespacedCustomObjectScale({ ...where, body: { spec: { replicas } } }, mergePatch);
      } catch (err) {
        throw new K8sApiRequestError(`${ref.kind} ${namespace}/${ref.name}: scaling to ${replicas} failed: ${(err as Error).message}`, { cause: err });
      }
    },
  };
}
