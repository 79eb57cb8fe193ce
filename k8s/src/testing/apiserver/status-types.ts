// The shape of Kubernetes Status objects, apart from the functions that build them, so the
// error class can carry one without importing its builders (no import circle).

/** One entry of details.causes. */
export interface StatusCause {
  reason: string;
  message: string;
  field?: string;
}

/** metav1.Status (failure). */
export interface Status {
  kind: 'Status';
  apiVersion: 'v1';
  metadata: Record<string, unknown>;
  status: 'Failure' | 'Success';
  message: string;
  reason: string;
  details?: { name?: string; group?: string; kind?: string; uid?: string; causes?: StatusCause[]; retryAfterSeconds?: number };
  code: number;
}
