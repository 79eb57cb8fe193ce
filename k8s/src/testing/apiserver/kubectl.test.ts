import { expect } from 'chai';
import { fileURLToPath } from 'node:url';
import { kubectl, kubectlPath } from './kubectl.js';
import { testCluster, type TestCluster } from './cluster.js';

const CRD_DIR = fileURLToPath(new URL('../../../crds/', import.meta.url));
const QUICKSTART = fileURLToPath(new URL('../../../../examples/quickstart.yaml', import.meta.url));

const modelInfer = `apiVersion: workload.matrixinfer.ai/v1alpha1
kind: ModelInfer
metadata: { name: mi1 }
spec:
  replicas: 1
  template:
    roles:
    - name: server
      replicas: 1
      entryTemplate:
        spec:
          containers: [{ name: engine, image: vllm/vllm-openai:v0.8.0 }]
`;

// Runs against the cluster KUBECONFIG names when it is set (the same suite, a real API server).
describe('test apiserver driven by real kubectl', function () {
  this.timeout(60_000);
  let s: TestCluster;
  const k = (args: string[], input?: string) => kubectl(s, args, { input });
  before(async function () {
    if (!kubectlPath()) this.skip();
    s = await testCluster();
    if (s.kind === 'real') {
      // Leftovers of an interrupted run on a shared cluster.
      await kubectl(s, ['delete', 'model/llama', 'modelinfer/mi1', 'pod/mi1-pod', '--ignore-not-found', '--wait=true']);
    }
  });
  after(async () => s?.stop());

  it('apply -f installs the CRDs, which become Established and served', async () => {
    for (const kind of ['models.registry', 'modelinfers.workload', 'modelservers.networking', 'modelroutes.networking', 'autoscalingpolicies.registry', 'autoscalingpolicybindings.registry']) {
      const r = await k(['apply', '-f', `${CRD_DIR}${kind}.matrixinfer.ai.yaml`]);
      expect(r.code, r.stderr).to.equal(0);
    }
    const w = await k(['wait', '--for=condition=Established', 'crd/models.registry.matrixinfer.ai', '--timeout=10s']);
    expect(w.code, w.stderr).to.equal(0);
    const res = await k(['api-resources', '--api-group=workload.matrixinfer.ai', '-o', 'name']);
    expect(res.stdout.trim()).to.equal('modelinfers.workload.matrixinfer.ai');
  });

  it('apply (client-side, again, then --server-side) of a Model; get shows printer columns; -o yaml has the defaults', async () => {
    expect((await k(['apply', '-f', QUICKSTART])).stdout).to.match(/model.registry.matrixinfer.ai\/llama created/);
    expect((await k(['apply', '-f', QUICKSTART])).code).to.equal(0);
    const ssa = await k(['apply', '--server-side', '-f', QUICKSTART]);
    expect(ssa.code, ssa.stderr).to.equal(0);
    expect(ssa.stdout).to.match(/serverside-applied/);
    const table = await k(['get', 'models']);
    expect(table.stdout.split('\n')[0].split(/\s+/)).to.deep.equal(['NAME', 'SERVED-AS', 'ACTIVE', 'FAILED', 'AGE']);
    expect(table.stdout).to.match(/^llama\s+llama\s/m);
    const yaml = await k(['get', 'model', 'llama', '-o', 'yaml']);
    expect(yaml.stdout).to.match(/routeWeight: 100/);
    expect(yaml.stdout).to.match(/generation: 1/);
  });

  it('refuses unknown fields (strict) and invalid values with the field named', async () => {
    const unknown = await k(['apply', '-f', '-'], 'apiVersion: registry.matrixinfer.ai/v1alpha1\nkind: Model\nmetadata: {name: bad}\nspec: {name: bad, bogus: 1, backends: []}\n');
    expect(unknown.code).to.not.equal(0);
    expect(unknown.stderr).to.match(/unknown field "spec.bogus"/);
    const invalid = await k(['apply', '-f', '-'], 'apiVersion: registry.matrixinfer.ai/v1alpha1\nkind: Model\nmetadata: {name: bad}\nspec: {name: bad, backends: [{name: x}]}\n');
    expect(invalid.code).to.not.equal(0);
    expect(invalid.stderr).to.match(/spec.backends\[0\].type: Required value/);
  });

  it('scale, patch (merge, json, status subresource), wait --for=condition and delete with garbage collection', async () => {
    expect((await k(['apply', '-f', '-'], modelInfer)).code).to.equal(0);
    const sc = await k(['scale', 'modelinfer/mi1', '--replicas', '3']);
    expect(sc.code, sc.stderr).to.equal(0);
    expect((await k(['get', 'modelinfer', 'mi1', '-o', 'jsonpath={.spec.replicas} {.metadata.generation}'])).stdout).to.equal('3 2');
    expect((await k(['patch', 'modelinfer', 'mi1', '--type', 'merge', '-p', '{"spec":{"recoveryPolicy":"None"}}'])).code).to.equal(0);
    expect((await k(['patch', 'modelinfer', 'mi1', '--type', 'json', '-p', '[{"op":"replace","path":"/spec/replicas","value":2}]'])).code).to.equal(0);
    const cond = '{"status":{"replicas":2,"availableReplicas":2,"conditions":[{"type":"Available","status":"True","reason":"AllGroupsReady","message":"2/2","lastTransitionTime":"2026-01-01T00:00:00Z"}]}}';
    const st = await k(['patch', 'modelinfer', 'mi1', '--subresource', 'status', '--type', 'merge', '-p', cond]);
    expect(st.code, st.stderr).to.equal(0);
    const w = await k(['wait', '--for=condition=Available', 'modelinfer/mi1', '--timeout=10s']);
    expect(w.code, w.stderr).to.equal(0);
    expect((await k(['get', 'modelinfers', '--no-headers'])).stdout).to.match(/^mi1\s+2\s+2\s/m);
    const uid = (await k(['get', 'modelinfer', 'mi1', '-o', 'jsonpath={.metadata.uid}'])).stdout;
    const pod = `apiVersion: v1\nkind: Pod\nmetadata:\n  name: mi1-pod\n  ownerReferences: [{apiVersion: workload.matrixinfer.ai/v1alpha1, kind: ModelInfer, name: mi1, uid: ${uid}, controller: true, blockOwnerDeletion: true}]\nspec:\n  containers: [{ name: engine, image: vllm/vllm-openai:v0.8.0 }]\n`;
    expect((await k(['apply', '-f', '-'], pod)).code).to.equal(0);
    expect((await k(['get', 'pods', '--no-headers'])).stdout).to.match(/^mi1-pod\s+0\/1\s+Pending\s+0\s/m);
    const del = await k(['delete', 'modelinfer', 'mi1', '--timeout=10s']);
    expect(del.code, del.stderr).to.equal(0);
    await s.settle();
    const gone = await k(['wait', '--for=delete', 'pod/mi1-pod', '--timeout=10s']);
    expect(gone.code, gone.stderr).to.equal(0);
  });
});
