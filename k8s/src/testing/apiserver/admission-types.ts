// The admission contract between the test API server and whoever plays the webhooks (helper
// G's HTTPS caller in admission-caller.ts). The server builds one AdmissionAttributes per
// create/update/patch/delete and awaits the caller twice, as kube-apiserver orders admission:
// phase 'mutating' first (its `object` replaces the incoming one), then schema validation, then
// phase 'validating' (a mutated object there is ignored).

/** Group/version/kind of the object admitted. */
export interface GroupVersionKind {
  group: string;
  version: string;
  kind: string;
}

/** Group/version/resource (plural) of the object admitted. */
export interface GroupVersionResource {
  group: string;
  version: string;
  resource: string;
}

/** Who is asking (the test server has no authentication: a fixed admin identity). */
export interface AdmissionUserInfo {
  username: string;
  uid?: string;
  groups: string[];
}

/** Everything an AdmissionReview request carries. */
export interface AdmissionAttributes {
  /** Which admission chain this call is for: mutating runs before validating. */
  phase: 'mutating' | 'validating';
  operation: 'CREATE' | 'UPDATE' | 'DELETE';
  kind: GroupVersionKind;
  resource: GroupVersionResource;
  /** '' for the main resource, 'status' or 'scale' for subresources. */
  subResource: string;
  /** '' for cluster-scoped objects. */
  namespace: string;
  name: string;
  /** The incoming object (undefined for DELETE). */
  object?: Record<string, unknown>;
  /** The stored object for UPDATE and DELETE. */
  oldObject?: Record<string, unknown>;
  dryRun: boolean;
  userInfo: AdmissionUserInfo;
}

/** A Kubernetes Status failure as a webhook denial carries it. */
export interface AdmissionStatus {
  code: number;
  message: string;
  reason?: string;
}

/** What the admission chain answered. */
export interface AdmissionOutcome {
  allowed: boolean;
  /** The mutated object (mutating phase only); undefined = unchanged. */
  object?: Record<string, unknown>;
  /** Warnings passed back to the client as `Warning: 299` headers. */
  warnings: string[];
  /** The refusal when allowed is false. */
  status?: AdmissionStatus;
}

/** Runs the webhooks configured for these attributes (in the store) and merges their answers. */
export type AdmissionCaller = (attrs: AdmissionAttributes) => Promise<AdmissionOutcome>;

/** The identity the test server attributes every request to. */
export const TEST_USER: AdmissionUserInfo = { username: 'system:admin', groups: ['system:masters', 'system:authenticated'] };
