// Checks made before `mi controller --kubernetes` starts anything, so a wrong kubeconfig or a
// cluster without the CRDs is one clear error instead of informers retrying forever.
import { CustomObjectsApi, type KubeConfig } from '@kubernetes/client-node';
import { BadArgumentError } from '@matrixinfer/control-plane';
import { KINDS } from '@matrixinfer/schemas';
import { apiStatusOf } from '../actuator/errors.js';

/** Resolves when the API answers and every MatrixInfer CRD is served; a BadArgumentError naming the fix otherwise. */
export async function preflight(kc: KubeConfig, namespace: string | undefined): Promise<void> {
  const api = kc.makeApiClient(CustomObjectsApi);
  const server = kc.getCurrentCluster()?.server ?? '(no server)';
  for (const k of KINDS) {
    const base = { group: k.group, version: k.version, plural: k.plural, limit: 1 };
    try {
      if (namespace === undefined) await api.listClusterCustomObject(base);
      else await api.listNamespacedCustomObject({ ...base, namespace });
    } catch (err) {
      const status = apiStatusOf(err);
      if (status === 404) throw new BadArgumentError(`the CRD ${k.plural}.${k.group} is not installed on ${server}: run \`kubectl apply -k k8s/crds\` (or install everything with \`kubectl apply -k k8s/deploy\`)`);
      if (status === 401 || status === 403) throw new BadArgumentError(`the Kubernetes API at ${server} refused to list ${k.plural}.${k.group} (HTTP ${status}): the controller's credentials need the RBAC of k8s/deploy/base/rbac/controller.yaml`);
      if (status !== undefined) throw new BadArgumentError(`listing ${k.plural}.${k.group} on ${server} failed with HTTP ${status}`);
      throw new BadArgumentError(`cannot reach the Kubernetes API at ${server}: ${(err as Error).message}`);
    }
  }
}
