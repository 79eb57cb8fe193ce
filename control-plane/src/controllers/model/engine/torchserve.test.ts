// Pins TorchServe command lines against its documented CLI and config.properties:
// torchserve --start --foreground --model-store <dir> --models <name>=<archive>, listen
// addresses only in config.properties (inference = PORT, management 8081, metrics 8082,
// metrics_mode=prometheus), token auth off, model API on; the pod probes /ping.
import { expect } from 'chai';
import { makeModel } from '../../testdata.js';
import type { Container, ModelBackend } from '../../types.js';
import { workerPods } from './pod-template.js';
import { torchserveEngine, torchserveModels } from './torchserve.js';
import type { EngineInput } from './types.js';

function input(extra: Partial<EngineInput> = {}): EngineInput {
  return { servedName: 'llama', modelPath: '/models/store', role: 'server', pods: 1, gpusPerPod: 1, adapters: [], ...extra };
}

const PROPS = `printf '%s\\n' "inference_address=http://0.0.0.0:$PORT" "management_address=http://0.0.0.0:8081" "metrics_address=http://0.0.0.0:8082" "metrics_mode=prometheus"`;
const RUN = 'exec torchserve --start --foreground --no-config-snapshots --disable-token-auth --enable-model-api --ts-config /tmp/mi-torchserve.properties';

describe('TorchServe engine', () => {
  it('a model store directory: <served>=<served>.mar, config.properties with the three addresses', () => {
    expect(torchserveEngine(input()).entry).to.deep.equal({
      command: ['sh', '-c'],
      args: [`${PROPS} > /tmp/mi-torchserve.properties && ${RUN} --model-store /models/store --models llama=llama.mar`],
    });
  });

  const models: { name: string; in: Partial<EngineInput>; want: { store: string; models: string } }[] = [
    { name: 'modelURI names an archive: its folder is the store', in: { modelPath: '/models/s3/b/llama-7b.mar' }, want: { store: '/models/s3/b', models: 'llama=llama-7b.mar' } },
    { name: 'config models and model-store win', in: { config: { models: 'all', 'model-store': '/mnt/store' } }, want: { store: '/mnt/store', models: 'all' } },
  ];
  for (const tc of models) it(tc.name, () => expect(torchserveModels(input(tc.in))).to.deep.equal(tc.want));

  it('config properties are appended, sorted, quoted for the shell', () => {
    const line = torchserveEngine(input({ config: { properties: { job_queue_size: 1000, default_workers_per_model: 2 } } })).entry.args[0];
    expect(line).to.include('"metrics_mode=prometheus" "default_workers_per_model=2" "job_queue_size=1000" >');
  });

  it('pod: inference/management/metrics ports, /ping probes, a preStop that only delays', () => {
    const model = makeModel('llama', [{ type: 'TorchServe', modelURI: 's3://b/store', workers: [{ type: 'server', image: 'pytorch/torchserve:0.12.0-gpu' }] } as Partial<ModelBackend>]);
    const b = model.spec.backends[0];
    const c = workerPods(model, b, b.workers![0]).entry.spec.containers[0] as Container & Record<string, unknown>;
    expect(c.ports).to.deep.equal([
      { containerPort: 8000, name: 'http' },
      { containerPort: 8081, name: 'management' },
      { containerPort: 8082, name: 'metrics' },
    ]);
    expect(c.readinessProbe).to.deep.include({ httpGet: { path: '/ping', port: 'http' } });
    expect(c.livenessProbe).to.deep.include({ httpGet: { path: '/ping', port: 'http' } });
    expect(c.lifecycle).to.deep.equal({ preStop: { exec: { command: ['sleep', '5'] } } });
    expect(c.env).to.deep.include({ name: 'PORT', value: '8000' });
  });
});
