import { runMi } from './mi.js';
import { captureIO } from './testing.js';
const c = captureIO({stdinText: ''});
console.log(await runMi(['--nats-url','nats://127.0.0.1:14222','apply','-f','/work/main/examples/quickstart.yaml'], c.io), c.out, c.err);
const d = captureIO({stdinText: ''});
console.log(await runMi(['--nats-url','nats://127.0.0.1:14222','get','models', '-o', 'json'], d.io), d.out, d.err);
