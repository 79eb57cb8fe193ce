// Public entry of @matrixinfer/e2e.
export {};
