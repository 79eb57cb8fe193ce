// Test utilities shared by every package's tests.
export { startNatsServer, type StartNatsServerOptions, type TestNatsServer } from './nats-server.js';
export { freePort } from './free-port.js';
export { startNatsCluster, type TestNatsCluster } from './nats-cluster.js';
