// Test utilities shared by every package's tests.
export { startNatsServer, type TestNatsServer } from './nats-server.js';
