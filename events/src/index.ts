// Public entry of @matrixinfer/events: names, envelope, routing entry and sample contracts,
// NATS connection, resource log with optimistic concurrency, replay.
export * from './names.js';
export * from './routes.js';
export * from './samples.js';
export * from './workload.js';
