// Public entry of @matrixinfer/events: names, envelope, routing entry and sample contracts,
// NATS connection, resource log with optimistic concurrency, replay.
export * from './names.js';
export * from './routes.js';
export * from './samples.js';
export * from './workload.js';
export * from './endpoints.js';
export * from './scale.js';
export * from './errors.js';
export { CodedError, codedError, codedErrors, codedFamily, type CodedErrorBase, type CodedErrorClass, type CodedErrorClasses, type CodedErrorOptions, type CodedFamily } from '@matrixinfer/schemas';
export * from './envelope.js';
export * from './trace-context.js';
export * from './connect.js';
export * from './nats-auth.js';
export * from './nats-credentials.js';
export * from './setup.js';
export * from './resource-meta.js';
export * from './resources.js';
export * from './replay.js';
export * from './consume.js';
export * from './tail.js';
export * from './event-log.js';
