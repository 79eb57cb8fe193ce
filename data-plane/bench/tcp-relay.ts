// Reference "proxy" for the overhead benchmark: a node:net relay that pairs every client
// connection with its own upstream connection and copies bytes both ways, parsing nothing (no
// HTTP, no routing). No real proxy can do less per request, so its throughput is the ceiling any
// Node.js proxy can reach on this machine. Prints `{"url":...}` on stdout once listening.
// Usage: node --import tsx bench/tcp-relay.ts --upstream http://127.0.0.1:PORT
import net from 'node:net';

const i = process.argv.indexOf('--upstream');
if (i < 0) throw new Error('usage: tcp-relay.ts --upstream http://127.0.0.1:PORT');
const upstream = new URL(process.argv[i + 1]);

/** Copies `from` into `to`, pausing `from` while `to` is full. */
function pipeBytes(from: net.Socket, to: net.Socket): void {
  from.on('data', (d: Buffer) => {
    if (!to.write(d)) from.pause();
  });
  to.on('drain', () => from.resume());
}

const server = net.createServer({ noDelay: true }, (client) => {
  const up = net.connect({ host: upstream.hostname, port: Number(upstream.port), noDelay: true });
  pipeBytes(client, up);
  pipeBytes(up, client);
  client.on('close', () => up.destroy());
  up.on('close', () => client.destroy());
  client.on('error', () => up.destroy());
  up.on('error', () => client.destroy());
});
server.listen(0, '127.0.0.1', () => {
  const { port } = server.address() as net.AddressInfo;
  process.stdout.write(`${JSON.stringify({ url: `http://127.0.0.1:${port}` })}\n`);
});
process.on('SIGTERM', () => process.exit(0));
