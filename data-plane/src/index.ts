// Public entry of @matrixinfer/data-plane.
export {};
