// Admission end to end: `mi apply` of a file with errors prints every error and writes nothing;
// two writers updating one resource from the same revision: exactly one wins, the other gets a
// conflict (through the CLI with metadata.resourceVersion, and through the events resource store).
import { expect } from 'chai';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { jetstream, jetstreamManager } from '@nats-io/jetstream';
import type { NatsConnection } from '@nats-io/transport-node';
import { ConflictError, connectNats, createResourceStore, type ResourceInput } from '@matrixinfer/events';
import { startNatsServer, type TestNatsServer } from '@matrixinfer/events/testing';
import { miOk, runMi } from './support/mi.js';
import { writeManifest } from './support/manifests.js';
import { lastSeq, readStream } from './support/nats.js';

const POLICY = 'e2e-policy';

/** An AutoscalingPolicy (no process follows from it) with one metric target. */
function policyYaml(target: number, resourceVersion?: string): string {
  return [
    'apiVersion: registry.matrixinfer.ai/v1alpha1',
    'kind: AutoscalingPolicy',
    'metadata:',
    `  name: ${POLICY}`,
    '  namespace: default',
    ...(resourceVersion ? [`  resourceVersion: "${resourceVersion}"`] : []),
    'spec:',
    '  metrics:',
    '    - metricName: vllm:num_requests_waiting',
    `      targetValue: ${target}`,
    '',
  ].join('\n');
}

// One valid document, then two documents with two errors each: four problems in all.
const INVALID = `${policyYaml(3).replace(POLICY, 'e2e-valid-neighbour')}---
apiVersion: registry.matrixinfer.ai/v1alpha1
kind: Model
metadata:
  name: bad-model
spec:
  backends:
    - name: sim
      type: vLLMX
      modelURI: hf://e2e/tiny
      minReplicas: -1
      maxReplicas: 2
      workers:
        - type: server
          replicas: 1
---
apiVersion: networking.matrixinfer.ai/v1alpha1
kind: ModelRoute
metadata:
  name: bad-route
spec:
  rules:
    - name: default
      targetModels:
        - modelServerName: x
          weight: 500
`;

describe('admission end to end (mi apply against a real nats-server)', function () {
  this.timeout(60_000);
  let server: TestNatsServer;
  let dataDir: string;
  let nc: NatsConnection;

  before(async () => {
    server = await startNatsServer();
    dataDir = mkdtempSync(join(tmpdir(), 'mi-e2e-admission-'));
    nc = await connectNats({ url: server.url, name: 'e2e-admission' });
  });
  after(async () => {
    await nc?.close();
    await server?.close();
    if (dataDir) rmSync(dataDir, { recursive: true, force: true });
  });

  async function readPolicy(): Promise<{ seq: number; target: number }> {
    const store = createResourceStore({ js: jetstream(nc), jsm: await jetstreamManager(nc), source: 'e2e' });
    const rec = await store.read('AutoscalingPolicy', 'default', POLICY);
    const spec = rec.live?.spec as { metrics: { targetValue: number }[] } | undefined;
    return { seq: rec.seq, target: spec?.metrics[0].targetValue ?? NaN };
  }

  it('rejects an invalid file with every error (exit 1) and writes nothing', async () => {
    expect(await miOk(server.url, ['apply', '-f', writeManifest(dataDir, 'policy.yaml', policyYaml(5))])).to.include(`autoscalingpolicy/${POLICY} created`);
    const seqBefore = await lastSeq(nc, 'desired');
    expect(seqBefore).to.be.greaterThan(0);

    const r = await runMi(server.url, ['apply', '-f', writeManifest(dataDir, 'invalid.yaml', INVALID)]);
    expect(r.code, r.stderr).to.equal(1);
    const problems = r.stderr.split('\n').filter((l) => l.includes('invalid.yaml#'));
    expect(problems.map((l) => l.replace(/^.*invalid\.yaml/, ''))).to.have.members([
      '#1 Model/bad-model: spec.backends[0].type: must be one of "vLLM", "vLLMDisaggregated", "SGLang", "Triton", "TorchServe" (got "vLLMX"); did you mean "vLLM"?',
      '#1 Model/bad-model: spec.backends[0].minReplicas: must be at least 0 (got -1)',
      '#2 ModelRoute/bad-route: spec.rules[0].targetModels[0].weight: must be between 0 and 100 (got 500)',
      '#2 ModelRoute/bad-route: spec.modelName: is required unless spec.loraAdapters lists at least one adapter',
    ]);
    expect(r.stderr).to.include('4 validation error(s); nothing was submitted');
    expect(r.stdout).to.equal('');
    // Not even the valid first document was written.
    expect(await lastSeq(nc, 'desired')).to.equal(seqBefore);
    const subjects = (await readStream(nc, 'desired')).map((e) => e.subject);
    expect(subjects).to.deep.equal([`mi.desired.autoscalingpolicy.default.${POLICY}`]);
  });

  it('two mi apply of one resource from the same revision: one is configured, the other gets a conflict (exit 3)', async () => {
    const rev = String((await readPolicy()).seq);
    const a = writeManifest(dataDir, 'policy-a.yaml', policyYaml(7, rev));
    const b = writeManifest(dataDir, 'policy-b.yaml', policyYaml(9, rev));
    const seqBefore = await lastSeq(nc, 'desired');
    const [ra, rb] = await Promise.all([runMi(server.url, ['apply', '-f', a]), runMi(server.url, ['apply', '-f', b])]);
    const results = [ra, rb];
    const won = results.filter((r) => r.code === 0);
    const lost = results.filter((r) => r.code === 3);
    expect(won, JSON.stringify(results)).to.have.length(1);
    expect(lost, JSON.stringify(results)).to.have.length(1);
    expect(won[0].stdout).to.include(`autoscalingpolicy/${POLICY} configured`);
    expect(lost[0].stderr).to.match(/conflict/i);
    // Exactly one write landed, and it is the winner's.
    expect(await lastSeq(nc, 'desired')).to.equal(seqBefore + 1);
    expect(await readPolicy()).to.deep.equal({ seq: seqBefore + 1, target: ra.code === 0 ? 7 : 9 });
  });

  it('two resource-store applies racing from the same revision: one succeeds, the other ConflictError', async () => {
    const store = createResourceStore({ js: jetstream(nc), jsm: await jetstreamManager(nc), source: 'e2e' });
    const current = await store.read('AutoscalingPolicy', 'default', POLICY);
    expect(current.live).to.not.equal(null);
    const withTarget = (t: number): ResourceInput => {
      const live = current.live!;
      return { apiVersion: live.apiVersion, kind: live.kind, metadata: { name: POLICY, namespace: 'default' }, spec: { metrics: [{ metricName: 'vllm:num_requests_waiting', targetValue: t }] } } as ResourceInput;
    };
    const settled = await Promise.allSettled([
      store.apply(withTarget(11), { expectedRevision: current.seq }),
      store.apply(withTarget(13), { expectedRevision: current.seq }),
    ]);
    const ok = settled.filter((s) => s.status === 'fulfilled');
    const failed = settled.filter((s): s is PromiseRejectedResult => s.status === 'rejected');
    expect(ok).to.have.length(1);
    expect(failed).to.have.length(1);
    expect(failed[0].reason).to.be.instanceOf(ConflictError);
    expect((await store.read('AutoscalingPolicy', 'default', POLICY)).seq).to.equal(current.seq + 1);
  });
});
