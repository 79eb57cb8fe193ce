// lora-affinity filter: when the request names a LoRA adapter, keeps only endpoints that report
// it loaded (from their /v1/models). Requests without an adapter pass through unchanged.
import type { PluginSpec } from '../../registry.js';
import type { EndpointView, Filter, RequestInfo } from '../../types.js';

/** Endpoints that have `req.adapter` loaded, or all when no adapter is requested. */
export function loraAffinityFilter(req: RequestInfo, endpoints: readonly EndpointView[]): EndpointView[] {
  const adapter = req.adapter;
  if (!adapter) return [...endpoints];
  return endpoints.filter((e) => e.adapters.includes(adapter));
}

/** Registry entry of the lora-affinity filter (name, params schema, factory). */
export const loraAffinity: PluginSpec<'filter', Record<string, never>> = {
  kind: 'filter',
  name: 'lora-affinity',
  description: 'keeps endpoints that have the requested LoRA adapter loaded',
  paramsSchema: { type: 'object', additionalProperties: false, properties: {} },
  create(): Filter {
    return { name: 'lora-affinity', filter: loraAffinityFilter };
  },
};
