// Public entry of @matrixinfer/schemas.
export {};
