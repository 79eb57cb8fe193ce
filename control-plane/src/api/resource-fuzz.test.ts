// Property-based fuzzing of resource submission (fast-check): malformed manifests of the six
// kinds (resource-fuzz-cases.ts) through `mi apply --dry-run` (in process) and through the HTTP
// API's apply (real nats-server). Properties: no crash; what the schema refuses is refused by
// both, the CLI with exit 1 and one `source#doc Kind/name: path: message` line per problem, the
// API with a 4xx and {error:{code,message,problems}}, the same problems; the heap stays flat.
// Runs: MI_FUZZ_RESOURCE_RUNS (default 1,000).
import { expect } from 'chai';
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import fc from 'fast-check';
import winston from 'winston';
import { connectNats } from '@matrixinfer/events';
import { startNatsServer, type TestNatsServer } from '@matrixinfer/events/testing';
import { validateResource } from '@matrixinfer/schemas';
import type { NatsConnection } from '@nats-io/transport-node';
import { runMi } from '../cli/mi.js';
import { REPO_ROOT, captureIO } from '../cli/testing.js';
import { formatProblem, type SubmitProblem } from './errors.js';
import { createNatsResourceService } from './nats-backend.js';
import { resourceCases, seedResources, type ResourceCase } from './resource-fuzz-cases.js';
import { startApiServer, type ApiServer } from './server.js';

const RUNS = Number(process.env.MI_FUZZ_RESOURCE_RUNS ?? 1000);
const CLI_PROBLEM = /^-#\d+ (<no kind>|\w+)\/.*?: .+$/;
const CLI_SUMMARY = /^error: \d+ validation error\(s\); nothing was submitted$/;

function heapAfterGc(): number {
  setFlagsFromString('--expose-gc');
  (runInNewContext('gc') as () => void)();
  return process.memoryUsage().heapUsed;
}

/** The schema's own verdict on one document (undefined: not a single object, no verdict). */
function schemaSaysInvalid(c: ResourceCase): boolean | undefined {
  if (c.doc === undefined || typeof c.doc !== 'object' || c.doc === null || Array.isArray(c.doc)) return c.doc === undefined ? undefined : true;
  return !validateResource(c.doc).ok;
}

describe('resource fuzz (fast-check): mi apply --dry-run and the HTTP API', function () {
  this.timeout(300_000);
  let nats: TestNatsServer;
  let nc: NatsConnection;
  let api: ApiServer;
  const seeds = seedResources(REPO_ROOT);

  before(async () => {
    nats = await startNatsServer();
    nc = await connectNats({ url: nats.url, name: 'resource-fuzz' });
    const service = await createNatsResourceService(nc, 'resource-fuzz', { ensure: true });
    api = await startApiServer({ port: 0, service, logger: winston.createLogger({ silent: true }) });
  });
  after(async () => {
    await api?.close();
    await nc?.close();
    await nats?.close();
  });

  it('every seed is valid (so each mutation is the only thing wrong)', () => {
    for (const s of seeds) expect(validateResource(s).ok, JSON.stringify(s).slice(0, 80)).to.equal(true);
  });

  it(`${RUNS} malformed resources: refused by the CLI (exit 1) and the API (4xx) with the same problems, no crash, heap flat`, async () => {
    const tally = new Map<string, number>();
    const count = (k: string): void => void tally.set(k, (tally.get(k) ?? 0) + 1);
    let run = 0;
    let heapAtStart = 0;
    const warm = Math.min(200, Math.floor(RUNS / 4));
    const one = async (c: ResourceCase): Promise<void> => {
      if (run++ === warm) heapAtStart = heapAfterGc();
      const cli = captureIO({ stdinText: c.text });
      const code = await runMi(['apply', '--dry-run', '-f', '-'], cli.io);
      const res = await fetch(`${api.url}/apis/v1/apply`, { method: 'POST', headers: { 'content-type': 'application/yaml' }, body: c.text });
      const body = (await res.json()) as { error?: { code?: unknown; message?: unknown; problems?: SubmitProblem[] } };
      count(`cli ${code} / api ${res.status}`);
      const invalid = schemaSaysInvalid(c);
      if (invalid === true) {
        expect(code, 'the CLI refuses what the schema refuses').to.equal(1);
        expect([413, 422], 'the API refuses what the schema refuses').to.include(res.status);
      }
      if (code === 1) {
        expect(cli.out, 'nothing printed as valid').to.deep.equal([]);
        expect(cli.err.at(-1)).to.match(CLI_SUMMARY);
        for (const line of cli.err.slice(0, -1)) expect(line).to.match(CLI_PROBLEM);
      } else {
        expect(code).to.equal(0);
      }
      if (res.status === 200) return void expect(code, 'the API accepted what the CLI refused').to.equal(0);
      expect(res.status).to.be.within(400, 499);
      expect(body.error?.code).to.be.a('string');
      expect(body.error?.message).to.be.a('string').and.not.equal('');
      if (res.status === 413) return void expect(c.text.length).to.be.above(2 * 1024 * 1024 - 1);
      expect(res.status).to.equal(422);
      const problems = body.error?.problems ?? [];
      expect(problems.length, 'problems listed').to.be.above(0);
      for (const p of problems) {
        expect(p.path).to.be.a('string');
        expect(p.message).to.be.a('string').and.not.equal('');
      }
      // Same validation both ways: the CLI prints exactly the API's problems (source `-` for stdin).
      expect(cli.err.slice(0, -1).sort()).to.deep.equal(problems.map((p) => formatProblem({ ...p, source: '-' })).sort());
    };
    const out = await fc.check(
      fc.asyncProperty(resourceCases(seeds), async (c) => {
        try {
          await one(c);
        } catch (err) {
          throw new Error(`${c.what} (${c.text.length} chars ${JSON.stringify(c.text.slice(0, 200))}): ${(err as Error).message}`, { cause: err });
        }
      }),
      { numRuns: RUNS, seed: 20261207, endOnFailure: true },
    );
    if (out.failed) throw new Error(`after ${out.numRuns} runs (seed ${out.seed}): ${(out.errorInstance as Error).message}`);
    const grown = heapAfterGc() - heapAtStart;
    const summary = JSON.stringify([...tally].sort());
    expect(grown, `heap grew ${(grown / 1048576).toFixed(1)} MiB; ${summary}`).to.be.below(16 * 1024 * 1024);
    const refused = tally.get('cli 1 / api 422') ?? 0;
    expect(refused, `most cases are refused; ${summary}`).to.be.above(RUNS * 0.7);
    if (process.env.MI_FUZZ_REPORT) console.log(`    resource fuzz: ${RUNS} runs, heap grew ${(grown / 1048576).toFixed(2)} MiB, ${summary}`);
  });
});
