// Where the CPU and memory of replicas come from: one ResourceSource per collector, asked once
// per scrape cycle for the endpoints it knows. The local one reads /proc (proc-reader.ts); the
// Kubernetes package passes one over metrics.k8s.io PodMetrics. A source only reads; the
// collector puts the numbers into EngineSample.cpuCores / memoryBytes.
import type { ResourceUsage } from './proc.js';

export type { ResourceUsage } from './proc.js';

/** One endpoint a source may know the usage of. */
export interface ResourceTarget {
  /** `<namespace>/<instance>`: the key of the answer. */
  key: string;
  namespace: string;
  /** Instance name (the Pod name in Kubernetes mode). */
  instance: string;
  address: string;
  /** Process group leader, when the (local) actuator reported one. */
  pid?: number;
}

/** A source of replica CPU/memory. */
export interface ResourceSource {
  /** For logs (`proc`, `metrics.k8s.io`). */
  readonly name: string;
  /** Usage by target key at `nowMs`; targets left out are unknown. Throws (a coded error) when the source cannot be read at all. */
  read(targets: readonly ResourceTarget[], nowMs: number): Promise<Map<string, ResourceUsage>>;
}
