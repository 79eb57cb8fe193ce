import { expect } from 'chai';
import { INSTANCE_LABELS } from '@matrixinfer/events';
import { ACTUATOR_ANNOTATIONS, entryAddress, renderGroupService, renderPod } from './pods.js';
import { instanceSpec, richTemplate } from './testdata.js';

const owner = { name: 'llama', uid: 'uid-1' };

function envOf(pod: ReturnType<typeof renderPod>, container = 0): Record<string, unknown> {
  return Object.fromEntries((pod.spec!.containers[container].env ?? []).map((e) => [e.name, e.value ?? e.valueFrom]));
}

describe('k8s actuator: renderPod', () => {
  it('names, labels and owns the Pod as MatrixInfer does', () => {
    const pod = renderPod(instanceSpec({ group: 1, role: 'decode', roleIndex: 2, podIndex: 1, workers: 2 }), { owner });
    expect(pod.metadata!.name).to.equal('llama-1-decode-2-1');
    expect(pod.metadata!.namespace).to.equal('ns');
    expect(pod.metadata!.labels).to.include({
      [INSTANCE_LABELS.modelInfer]: 'llama',
      [INSTANCE_LABELS.group]: 'llama-1',
      [INSTANCE_LABELS.role]: 'decode',
      [INSTANCE_LABELS.roleId]: 'decode-2',
      [INSTANCE_LABELS.revision]: 'rev1',
      [INSTANCE_LABELS.entry]: 'false',
    });
    expect(pod.metadata!.ownerReferences).to.deep.equal([{ apiVersion: 'workload.matrixinfer.ai/v1alpha1', kind: 'ModelInfer', name: 'llama', uid: 'uid-1', controller: true, blockOwnerDeletion: true }]);
    expect(pod.spec!.hostname).to.equal('llama-1-decode-2-1');
    expect(pod.spec!.subdomain).to.equal('llama-1');
  });

  it('sets ENTRY_ADDRESS to the entry pod through the group headless Service, WORKER_INDEX and GROUP_SIZE', () => {
    const worker = instanceSpec({ podIndex: 2, workers: 2 });
    const env = envOf(renderPod(worker, { owner }));
    expect(env.ENTRY_ADDRESS).to.equal('llama-0-server-0-0.llama-0.ns.svc.cluster.local');
    expect(env.WORKER_INDEX).to.equal('2');
    expect(env.GROUP_SIZE).to.equal('3');
    expect(env.MI_INSTANCE).to.equal('llama-0-server-0-2');
    expect(entryAddress(worker, 'corp.local')).to.equal('llama-0-server-0-0.llama-0.ns.svc.corp.local');
  });

  it('passes the Pod template through: image, command, args, env, envFrom, resources, volumes, init containers, probes', () => {
    const tpl = richTemplate();
    const pod = renderPod(instanceSpec({ template: tpl }), { owner });
    const c = pod.spec!.containers[0];
    expect(c.image).to.equal('vllm/vllm-openai:v0.9.0');
    expect(c.command).to.deep.equal(['vllm', 'serve']);
    expect(c.args).to.deep.equal(['--port', '$(PORT)', '--model', 'qwen']);
    expect(c.envFrom).to.deep.equal([{ configMapRef: { name: 'engine-config' } }]);
    expect(c.resources).to.deep.equal({ limits: { 'nvidia.com/gpu': 1, memory: '16Gi' }, requests: { cpu: '2' } });
    expect(c.readinessProbe).to.deep.equal({ httpGet: { path: '/ready', port: 8100 } });
    expect(c.livenessProbe).to.deep.equal({ httpGet: { path: '/health', port: 8100 } });
    expect(pod.spec!.initContainers).to.deep.equal(tpl.spec.initContainers);
    expect(pod.spec!.volumes).to.deep.equal([{ name: 'cache', emptyDir: {} }]);
    expect(pod.spec!.nodeSelector).to.deep.equal({ gpu: 'a100' });
    // Template env first and unchanged (valueFrom kept), then the workload contract; PORT
    // because the args use $(PORT), which Kubernetes expands.
    const env = c.env!;
    expect(env.slice(0, 2)).to.deep.equal(tpl.spec.containers[0].env);
    expect(envOf(pod).PORT).to.equal('8100');
    expect(pod.metadata!.labels!.team).to.equal('ml');
    expect(pod.metadata!.annotations).to.include({ 'example.com/note': 'kept', [ACTUATOR_ANNOTATIONS.enginePort]: '8100' });
    // The caller's template is not modified.
    expect(tpl.spec.containers[0].env).to.have.length(2);
  });

  it('passes schedulerName through and adds the ModelInfer topology spread constraints to the template ones', () => {
    const extra = { maxSkew: 2, topologyKey: 'topology.kubernetes.io/zone', whenUnsatisfiable: 'DoNotSchedule' as const };
    const pod = renderPod(instanceSpec({ template: richTemplate(), schedulerName: 'volcano', topologySpreadConstraints: [extra] }), { owner });
    expect(pod.spec!.schedulerName).to.equal('volcano');
    expect(pod.spec!.topologySpreadConstraints!.map((t) => t.topologyKey)).to.deep.equal(['kubernetes.io/hostname', 'topology.kubernetes.io/zone']);
  });

  it('without a template runs the spec command in the simulator image with a GET /health readiness probe', () => {
    const pod = renderPod(instanceSpec(), { owner });
    const c = pod.spec!.containers[0];
    expect(c.image).to.equal('matrixinfer/mi-engine-sim:latest');
    expect(c.command).to.deep.equal(['mi-engine-sim']);
    expect(c.args).to.deep.equal(['--model', 'llama']);
    expect(c.readinessProbe).to.deep.include({ httpGet: { path: '/health', port: 8000 } });
    expect(envOf(pod)).to.not.have.property('PORT');
  });

  const hashCases: { name: string; change: Parameters<typeof instanceSpec>[0]; same: boolean }[] = [
    { name: 'same spec', change: {}, same: true },
    { name: 'new incarnation', change: { incarnation: 1 }, same: false },
    { name: 'new revision', change: { revision: 'rev2' }, same: false },
    { name: 'other scheduler', change: { schedulerName: 'volcano' }, same: false },
  ];
  for (const tc of hashCases) {
    it(`content hash: ${tc.name} → ${tc.same ? 'same' : 'different'}`, () => {
      const a = renderPod(instanceSpec({ template: richTemplate() }), { owner });
      const b = renderPod(instanceSpec({ template: richTemplate(), ...tc.change }), { owner: { name: 'llama', uid: 'another-uid' } });
      const ha = a.metadata!.annotations![ACTUATOR_ANNOTATIONS.hash];
      expect(ha).to.match(/^[0-9a-f]{12}$/);
      expect(ha === b.metadata!.annotations![ACTUATOR_ANNOTATIONS.hash]).to.equal(tc.same);
    });
  }
});

describe('k8s actuator: renderGroupService', () => {
  it('is headless, publishes not-ready addresses, selects the group and is owned by the ModelInfer', () => {
    const svc = renderGroupService(instanceSpec({ group: 3, template: richTemplate() }), { owner });
    expect(svc.metadata!.name).to.equal('llama-3');
    expect(svc.spec!.clusterIP).to.equal('None');
    expect(svc.spec!.publishNotReadyAddresses).to.equal(true);
    expect(svc.spec!.selector).to.deep.equal({ [INSTANCE_LABELS.modelInfer]: 'llama', [INSTANCE_LABELS.group]: 'llama-3' });
    expect(svc.spec!.ports![0].port).to.equal(8100);
    expect(svc.metadata!.ownerReferences![0]).to.include({ kind: 'ModelInfer', uid: 'uid-1', controller: true });
  });
});
