// A real JetStream cluster for tests: N nats-servers on loopback, routed to each other, each with
// its own store; any one can be stopped and started again (same ports, same store) to test
// failover. Closed in teardown like startNatsServer.
import { freePort } from './free-port.js';
import { startNatsServer, type TestNatsServer } from './nats-server.js';

/** A running test cluster. */
export interface TestNatsCluster {
  /** The servers, index i named `n<i>` (its JetStream server_name). */
  servers: TestNatsServer[];
  /** Every client URL, comma-separated (what a client is given). */
  url: string;
  close(): Promise<void>;
}

/** Starts `size` routed nats-servers with JetStream (default 3); resolves once all listen. */
export async function startNatsCluster(size = 3): Promise<TestNatsCluster> {
  const routePorts = await Promise.all(Array.from({ length: size }, () => freePort()));
  const routes = routePorts.map((p) => `nats-route://127.0.0.1:${p}`);
  // All at once: each waits for the others' routes before JetStream elects a meta leader.
  const started = await Promise.allSettled(
    routePorts.map((p, i) =>
      startNatsServer({
        config: `server_name: n${i}\ncluster {\n  name: mi-test\n  listen: 127.0.0.1:${p}\n  routes: [\n${routes.filter((_, j) => j !== i).map((r) => `    ${r}`).join('\n')}\n  ]\n}\n`,
      }),
    ),
  );
  const servers = started.flatMap((r) => (r.status === 'fulfilled' ? [r.value] : []));
  const failed = started.find((r): r is PromiseRejectedResult => r.status === 'rejected');
  if (failed) {
    await Promise.all(servers.map((s) => s.close()));
    throw failed.reason;
  }
  return {
    servers,
    url: servers.map((s) => s.url).join(','),
    close: async () => void (await Promise.all(servers.map((s) => s.close()))),
  };
}
