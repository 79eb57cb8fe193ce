// Public entry of @matrixinfer/k8s.
export {};
export { buildCrd, crdFileName, renderAllCrds, renderCrd } from './crd-build.js';
export { prunedPaths, structuralViolations } from './crd-check.js';
export { toStructural } from './crd-structural.js';
