// Test utilities shared by every package's tests.
export { startNatsServer, type TestNatsServer, type TestNatsServerOptions } from './nats-server.js';
