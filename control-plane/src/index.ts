// Public entry of @matrixinfer/control-plane.
export {};
