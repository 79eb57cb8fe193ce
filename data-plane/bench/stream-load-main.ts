// `npm run test:load -w data-plane`: the stream-load benchmark with MI_LOAD_CONNECTIONS
// (default 2000) streams held MI_LOAD_DURATION_S (default 60) seconds; prints the figures and
// exits 1 when any stream failed.
import { formatStreamLoad, runStreamLoad } from './stream-load.js';

const connections = Number(process.env.MI_LOAD_CONNECTIONS ?? 2000);
const durationMs = Number(process.env.MI_LOAD_DURATION_S ?? 60) * 1000;
const r = await runStreamLoad({ connections, durationMs });
console.log(formatStreamLoad(r));
console.log(JSON.stringify(r));
process.exitCode = r.errorCount === 0 && r.completed === connections ? 0 : 1;
