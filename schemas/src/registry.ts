// The kind registry: kind <-> apiVersion/group <-> plural <-> short names, and resolveKind for
// the CLI's KIND argument (`mi get models`, `mi get mr`, `kubectl get modelinfers`).
import { UnknownKindError } from './errors.js';

/** Names Kubernetes and the CLI use for one kind. */
export interface KindInfo {
  kind: KindName;
  group: string;
  version: string;
  apiVersion: string;
  plural: string;
  singular: string;
  listKind: string;
  shortNames: readonly string[];
  namespaced: true;
}

export type KindName = 'Model' | 'ModelInfer' | 'ModelServer' | 'ModelRoute' | 'AutoscalingPolicy' | 'AutoscalingPolicyBinding';

const VERSION = 'v1alpha1';

function info(kind: KindName, group: string, plural: string, shortNames: string[]): KindInfo {
  return {
    kind,
    group,
    version: VERSION,
    apiVersion: `${group}/${VERSION}`,
    plural,
    singular: kind.toLowerCase(),
    listKind: `${kind}List`,
    shortNames,
    namespaced: true,
  };
}

/** The six kinds. `mi` is the CLI's name, so no kind uses it as a short name. */
export const KINDS: readonly KindInfo[] = Object.freeze([
  info('Model', 'registry.matrixinfer.ai', 'models', ['mdl']),
  info('ModelInfer', 'workload.matrixinfer.ai', 'modelinfers', ['minfer']),
  info('ModelServer', 'networking.matrixinfer.ai', 'modelservers', ['ms']),
  info('ModelRoute', 'networking.matrixinfer.ai', 'modelroutes', ['mr']),
  info('AutoscalingPolicy', 'registry.matrixinfer.ai', 'autoscalingpolicies', ['asp']),
  info('AutoscalingPolicyBinding', 'registry.matrixinfer.ai', 'autoscalingpolicybindings', ['aspb']),
]);

/** The KindInfo of an exact kind name (`Model`), or undefined. */
export function kindInfo(kind: string): KindInfo | undefined {
  return KINDS.find((k) => k.kind === kind);
}

/**
 * Resolves what a user typed for KIND: the kind, its plural, singular, a short name, or
 * `<plural>.<group>`, case-insensitively. Throws UnknownKindError (MI_ERR_UNKNOWN_KIND) otherwise.
 */
export function resolveKind(input: string): KindInfo {
  const want = input.trim().toLowerCase();
  const found = KINDS.find(
    (k) =>
      k.singular === want ||
      k.plural === want ||
      k.shortNames.includes(want) ||
      `${k.plural}.${k.group}` === want ||
      `${k.singular}.${k.group}` === want,
  );
  if (found) return found;
  const known = KINDS.map((k) => `${k.kind} (${[k.plural, ...k.shortNames].join(', ')})`).join('; ');
  throw new UnknownKindError(`unknown kind "${input}": use one of ${known}`, input);
}
