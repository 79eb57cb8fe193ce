import { expect } from 'chai';
import { makeModel } from '../../testdata.js';
import type { Container, ModelBackend } from '../../types.js';
import { SIMULATOR_ARGS_ANNOTATION } from './labels.js';
import { engineServedName, workerPods } from './pod-template.js';

function podsOf(b: Partial<ModelBackend>, name = 'm') {
  const model = makeModel(name, [b]);
  return workerPods(model, model.spec.backends[0], model.spec.backends[0].workers![0]);
}

describe('engine pod templates', () => {
  it('a real engine: image, resources with GPUs and extended resources, env valueFrom kept, envFrom, probes, drain, grace', () => {
    const env = [
      { name: 'A', value: '1' },
      { name: 'TOKEN', valueFrom: { secretKeyRef: { name: 'hf', key: 'token' } } },
    ];
    const resources = { limits: { 'nvidia.com/gpu': '2', 'huawei.com/ascend-1980': '2', memory: '96Gi' } };
    const backend = { env, envFrom: [{ secretRef: { name: 'your-secrets' } }], workers: [{ type: 'server' as const, image: 'vllm/vllm-openai:v0.10.0', resources }] } as Partial<ModelBackend>;
    const pods = podsOf(backend);
    const spec = pods.entry.spec;
    const c = spec.containers[0] as Container & Record<string, unknown>;
    expect(c.image).to.equal('vllm/vllm-openai:v0.10.0');
    expect(c.resources).to.deep.equal(resources);
    expect(c.args).to.include.members(['--tensor-parallel-size', '2']);
    expect(c.env).to.deep.equal([...env, { name: 'MODEL_URI', value: 'hf://test/model' }, { name: 'PORT', value: '8000' }]);
    expect(c.envFrom).to.deep.equal([{ secretRef: { name: 'your-secrets' } }]);
    expect(c.ports).to.deep.equal([{ containerPort: 8000, name: 'http' }]);
    expect(c.readinessProbe).to.deep.include({ httpGet: { path: '/health', port: 'http' } });
    expect((c.lifecycle as { preStop: { exec: { command: string[] } } }).preStop.exec.command[2]).to.include('vllm:num_requests_waiting');
    expect(spec.terminationGracePeriodSeconds).to.be.greaterThan(300);
    const init = spec.initContainers as Container[];
    expect(init.map((i) => [i.name, i.command, i.args])).to.deep.equal([['download-model', ['mi', 'download'], ['--source', 'hf://test/model', '--output-dir', '/models/test/model']]]);
    expect(init[0].envFrom).to.deep.equal([{ secretRef: { name: 'your-secrets' } }]);
    expect(spec.volumes).to.deep.equal([{ name: 'models', emptyDir: {} }, { name: 'dshm', emptyDir: { medium: 'Memory' } }]);
    expect(c.volumeMounts).to.deep.equal([{ name: 'models', mountPath: '/models' }, { name: 'dshm', mountPath: '/dev/shm' }]);
    expect(JSON.parse(pods.entry.metadata!.annotations![SIMULATOR_ARGS_ANNOTATION])).to.deep.equal(['--model', 'm', '--engine', 'vllm']);
  });

  it("the worker's affinity reaches every pod of it", () => {
    const affinity = { nodeAffinity: { requiredDuringSchedulingIgnoredDuringExecution: { nodeSelectorTerms: [{ matchExpressions: [{ key: 'gpu', operator: 'In', values: ['h100'] }] }] } } };
    const pods = podsOf({ workers: [{ type: 'server', image: 'vllm', pods: 2, affinity }] });
    expect(pods.entry.spec.affinity).to.deep.equal(affinity);
    expect(pods.worker!.spec.affinity).to.deep.equal(affinity);
  });

  it('multi-node: worker pods get the worker command, weights, no HTTP probes or preStop', () => {
    const pods = podsOf({ workers: [{ type: 'server', image: 'vllm/vllm-openai', pods: 2 }] });
    const w = pods.worker!.spec.containers[0] as Container & Record<string, unknown>;
    expect(w.command).to.deep.equal(['sh', '-c']);
    expect(w.args![0]).to.contain('worker --ray_address=$ENTRY_ADDRESS');
    expect(w.readinessProbe).to.equal(undefined);
    expect(w.lifecycle).to.equal(undefined);
    expect(w.ports).to.equal(undefined);
    expect(pods.worker!.spec.initContainers).to.have.length(1);
    expect(pods.worker!.spec.terminationGracePeriodSeconds).to.equal(undefined);
  });

  it('LoRA adapters with a downloadable URI are fetched by init containers and served from there', () => {
    const pods = podsOf({ cacheURI: 'hostpath:///cache', loraAdapters: [{ name: 'sql', artifactURL: 's3://bucket/sql' }], workers: [{ type: 'server', image: 'vllm' }] });
    const init = pods.entry.spec.initContainers as Container[];
    expect(init.map((i) => i.name)).to.deep.equal(['download-model', 'download-lora-0']);
    expect(init[1].args).to.deep.equal(['--source', 's3://bucket/sql', '--output-dir', '/models/lora/bucket/sql']);
    expect(pods.entry.spec.containers[0].args).to.include.members(['--lora-modules', 'sql=/models/lora/bucket/sql']);
    expect(pods.entry.spec.volumes).to.deep.include({ name: 'models', hostPath: { path: '/cache', type: 'DirectoryOrCreate' } });
  });

  it('hub and file adapters stay out of the template: vLLM gets --enable-lora and runtime updating, no download, no --lora-modules (#16)', () => {
    const pods = podsOf({ loraAdapters: [{ name: 'sql', artifactURL: 'hf://org/sql' }, { name: 'chat', artifactURL: 'file:///a/chat' }], workers: [{ type: 'server', image: 'vllm' }] });
    const engine = pods.entry.spec.containers[0];
    expect(((pods.entry.spec.initContainers ?? []) as Container[]).map((c) => c.name)).to.deep.equal(['download-model']);
    expect(engine.args).to.include('--enable-lora');
    expect(engine.args).to.not.include('--lora-modules');
    expect(engine.env).to.deep.include({ name: 'VLLM_ALLOW_RUNTIME_LORA_UPDATING', value: 'True' });
    const plain = podsOf({ workers: [{ type: 'server', image: 'vllm' }] }).entry.spec.containers[0];
    expect(plain.args).to.not.include('--enable-lora');
  });

  it('a simulated worker downloads nothing and keeps the simulator command', () => {
    const pods = podsOf({});
    expect(pods.entry.spec.initContainers).to.equal(undefined);
    expect(pods.entry.spec.containers[0].command).to.deep.equal(['mi-engine-sim']);
    expect(pods.entry.spec.containers[0].readinessProbe).to.deep.include({ httpGet: { path: '/health', port: 'http' } });
  });

  it("the engines' served name comes from a worker's served-model-name, else the Model's", () => {
    const m = makeModel('demo', [{ workers: [{ type: 'server', config: { 'served-model-name': 'Qwen2.5' } }] }]);
    expect(engineServedName(m, m.spec.backends[0])).to.equal('Qwen2.5');
    const n = makeModel('demo', [{}]);
    expect(engineServedName(n, n.spec.backends[0])).to.equal('demo');
  });

  it('refuses a backend type it has no engine command for instead of running vLLM in its image', () => {
    expect(() => podsOf({ type: 'MindIE' as never, workers: [{ type: 'server', image: 'mindie' }] })).to.throw(/no engine command for backend type MindIE/);
  });
});
