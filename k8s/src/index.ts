// Public entry of @matrixinfer/k8s.
export {};
export { buildCrd, crdFileName, renderAllCrds, renderCrd } from './crd-build.js';
export { prunedPaths, structuralViolations } from './crd-check.js';
export { toStructural } from './crd-structural.js';
export { kubernetesComponents, type KubernetesComponentsOptions } from './controller/components.js';
export { startIngest, type Ingest, type IngestOptions } from './ingest/runner.js';
export { startMirror, type Mirror, type MirrorOptions } from './mirror/runner.js';
