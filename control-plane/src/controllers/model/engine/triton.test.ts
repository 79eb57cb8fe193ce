// Pins Triton command lines against its documented CLI: tritonserver --model-repository=<dir>
// --http-port (8000) --grpc-port (8001) --metrics-port (8002), --model-control-mode=explicit
// --load-model=<served> (unless the config picks a mode), other config keys as flags; and
// the pod: ports http/grpc/metrics, probes on /v2/health/ready and /v2/health/live, a drain on
// nv_inference_pending_request_count read from the metrics port.
import { expect } from 'chai';
import { makeModel } from '../../testdata.js';
import type { Container, ModelBackend } from '../../types.js';
import { SIMULATOR_ARGS_ANNOTATION } from './labels.js';
import { workerPods } from './pod-template.js';
import { tritonEngine } from './triton.js';
import type { EngineInput } from './types.js';

function input(extra: Partial<EngineInput> = {}): EngineInput {
  return { servedName: 'llama', modelPath: '/models/org/llama-repo', role: 'server', pods: 1, gpusPerPod: 1, adapters: [], ...extra };
}

describe('Triton engine', () => {
  const cases: { name: string; in: Partial<EngineInput>; args: string[] }[] = [
    {
      name: 'model repository from modelURI, the three documented ports, explicit model control loading the served model',
      in: {},
      args: ['--model-repository=/models/org/llama-repo', '--http-port=$(PORT)', '--grpc-port=8001', '--metrics-port=8002', '--model-control-mode=explicit', '--load-model=llama'],
    },
    {
      name: "config's own load-model: explicit mode, the config's models loaded",
      in: { config: { 'load-model': 'ensemble' } },
      args: ['--model-repository=/models/org/llama-repo', '--http-port=$(PORT)', '--grpc-port=8001', '--metrics-port=8002', '--model-control-mode=explicit', '--load-model', 'ensemble'],
    },
    {
      name: 'config: own repository and ports win, other keys become flags',
      in: { config: { 'model-repository': 's3://bucket/repo', 'grpc-port': 9001, 'metrics-port': 9002, 'log-verbose': 1, 'model-control-mode': 'explicit' } },
      args: ['--model-repository=s3://bucket/repo', '--http-port=$(PORT)', '--grpc-port=9001', '--metrics-port=9002', '--log-verbose', '1', '--model-control-mode', 'explicit'],
    },
  ];
  for (const tc of cases) {
    it(tc.name, () => {
      expect(tritonEngine(input(tc.in)).entry).to.deep.equal({ command: ['tritonserver'], args: tc.args });
    });
  }

  it('pod: ports, KServe v2 health probes, drain on the metrics port, simulator stand-in in triton mode', () => {
    const model = makeModel('llama', [{ type: 'Triton', modelURI: 'hf://org/llama-repo', workers: [{ type: 'server', image: 'nvcr.io/nvidia/tritonserver:25.01-trtllm-python-py3' }] } as Partial<ModelBackend>]);
    const b = model.spec.backends[0];
    const pods = workerPods(model, b, b.workers![0]);
    const c = pods.entry.spec.containers[0] as Container & Record<string, unknown>;
    expect(c.command).to.deep.equal(['tritonserver']);
    expect(c.args).to.include('--model-repository=/models/org/llama-repo');
    expect(c.ports).to.deep.equal([
      { containerPort: 8000, name: 'http' },
      { containerPort: 8001, name: 'grpc' },
      { containerPort: 8002, name: 'metrics' },
    ]);
    expect(c.readinessProbe).to.deep.include({ httpGet: { path: '/v2/health/ready', port: 'http' } });
    expect(c.startupProbe).to.deep.include({ httpGet: { path: '/v2/health/ready', port: 'http' } });
    expect(c.livenessProbe).to.deep.include({ httpGet: { path: '/v2/health/live', port: 'http' } });
    const drain = (c.lifecycle as { preStop: { exec: { command: string[] } } }).preStop.exec.command[2];
    expect(drain).to.include('nv_inference_pending_request_count').and.include("'http://127.0.0.1:8002/metrics'");
    expect(JSON.parse(pods.entry.metadata!.annotations![SIMULATOR_ARGS_ANNOTATION])).to.deep.equal(['--model', 'llama', '--engine', 'triton', '--model-control-mode=explicit', '--load-model=llama', '--repository-models', '*']);
  });

  it('simulator stand-in: an open repository (any model loads), the same whatever modelLifecycle lists, so changing it rolls nothing', () => {
    const model = makeModel('llama', [{ type: 'Triton', modelURI: 'hf://org/llama-repo', modelLifecycle: { models: [{ name: 'ranker' }, { name: 'embedder' }] } } as Partial<ModelBackend>]);
    const b = model.spec.backends[0];
    const c = workerPods(model, b, b.workers![0]).entry.spec.containers[0];
    expect(c.command).to.deep.equal(['mi-engine-sim']);
    expect(c.args).to.deep.equal(['--model', 'llama', '--engine', 'triton', '--model-control-mode=explicit', '--load-model=llama', '--repository-models', '*']);
    const without = makeModel('llama', [{ type: 'Triton', modelURI: 'hf://org/llama-repo' } as Partial<ModelBackend>]);
    expect(workerPods(without, without.spec.backends[0], without.spec.backends[0].workers![0]).entry).to.deep.equal(workerPods(model, b, b.workers![0]).entry);
  });
});
