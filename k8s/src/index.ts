// Public entry of @matrixinfer/k8s.
export {};
