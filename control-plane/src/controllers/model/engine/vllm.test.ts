// Pins vLLM command lines against its documented CLI: `vllm serve <model>` with
// --served-model-name/--host/--port, --tensor-parallel-size/--pipeline-parallel-size,
// --enable-lora --lora-modules name=path, --kv-transfer-config JSON for PD, and multi-node
// through examples/online_serving/multi-node-serving.sh (Ray) with the ray executor.
import { expect } from 'chai';
import { vllmEngine, vllmKvTransferConfig } from './vllm.js';
import type { EngineInput } from './types.js';

function input(extra: Partial<EngineInput> = {}): EngineInput {
  return { servedName: 'llama', modelPath: '/models/meta/llama', role: 'server', pods: 1, gpusPerPod: 0, adapters: [], ...extra };
}

describe('vLLM engine', () => {
  it('single node: vllm serve <path> with the served name, host, port and config flags', () => {
    const b = vllmEngine(input({ config: { 'max-model-len': 8192, 'enable-prefix-caching': '', 'enforce-eager': false }, gpusPerPod: 1 }));
    expect(b.entry).to.deep.equal({
      command: ['vllm', 'serve'],
      args: ['/models/meta/llama', '--served-model-name', 'llama', '--host', '0.0.0.0', '--port', '$(PORT)', '--enable-prefix-caching', '--no-enforce-eager', '--max-model-len', '8192'],
    });
    expect(b.worker).to.equal(undefined);
    expect(b.kvConnector).to.equal(undefined);
  });

  it('uses every GPU of the pod for tensor parallelism unless the config says otherwise', () => {
    expect(vllmEngine(input({ gpusPerPod: 4 })).entry.args.slice(-2)).to.deep.equal(['--tensor-parallel-size', '4']);
    const own = vllmEngine(input({ gpusPerPod: 4, config: { 'tensor-parallel-size': 2 } })).entry.args;
    expect(own.filter((a) => a === '--tensor-parallel-size')).to.have.length(1);
    expect(own.slice(-2)).to.deep.equal(['--tensor-parallel-size', '2']);
  });

  it("the config's served-model-name and model replace ours", () => {
    const args = vllmEngine(input({ config: { 'served-model-name': 'Qwen2.5', model: 'Qwen/Qwen2.5' } })).entry.args;
    expect(args.slice(0, 7)).to.deep.equal(['Qwen/Qwen2.5', '--served-model-name', 'Qwen2.5', '--host', '0.0.0.0', '--port', '$(PORT)']);
    expect(args).to.have.length(7);
  });

  it('LoRA declared, adapters loaded live: --enable-lora only', () => {
    expect(vllmEngine(input({ lora: true })).entry.args.slice(7)).to.deep.equal(['--enable-lora']);
  });

  it('LoRA adapters known up front: --enable-lora --lora-modules name=path', () => {
    const args = vllmEngine(input({ adapters: [{ name: 'sql', path: '/models/lora/x/sql' }, { name: 'chat', path: '/models/lora/x/chat' }] })).entry.args;
    expect(args.slice(7)).to.deep.equal(['--enable-lora', '--lora-modules', 'sql=/models/lora/x/sql', 'chat=/models/lora/x/chat']);
  });

  it('multi-node: Ray leader then vllm serve with the ray executor; workers join $ENTRY_ADDRESS', () => {
    const b = vllmEngine(input({ pods: 2, gpusPerPod: 8 }));
    expect(b.entry).to.deep.equal({
      command: ['sh', '-c'],
      args: [
        'bash /vllm-workspace/examples/online_serving/multi-node-serving.sh leader --ray_cluster_size=2 && exec vllm serve /models/meta/llama --served-model-name llama --host 0.0.0.0 --port $(PORT) --tensor-parallel-size 8 --pipeline-parallel-size 2 --distributed-executor-backend ray',
      ],
    });
    expect(b.worker).to.deep.equal({ command: ['sh', '-c'], args: ['exec bash /vllm-workspace/examples/online_serving/multi-node-serving.sh worker --ray_address=$ENTRY_ADDRESS'] });
  });

  it('PD: NixlConnector (kv_both) on both roles when the config names no connector', () => {
    for (const role of ['prefill', 'decode'] as const) {
      const b = vllmEngine(input({ role }));
      expect(b.entry.args.slice(7)).to.deep.equal(['--kv-transfer-config', '{"kv_connector":"NixlConnector","kv_role":"kv_both"}']);
      expect(b.kvConnector).to.equal('NixlConnector');
    }
  });

  const kvCases: { name: string; role: 'prefill' | 'decode'; raw: unknown; want: string }[] = [
    { name: 'LMCache prefill produces', role: 'prefill', raw: { kv_connector: 'LMCacheConnectorV1' }, want: '{"kv_connector":"LMCacheConnectorV1","kv_role":"kv_producer"}' },
    { name: 'LMCache decode consumes', role: 'decode', raw: '{"kv_connector":"LMCacheConnectorV1"}', want: '{"kv_connector":"LMCacheConnectorV1","kv_role":"kv_consumer"}' },
    { name: 'Mooncake keeps extra fields', role: 'prefill', raw: { kv_connector: 'MooncakeConnector', kv_connector_extra_config: { a: 1 } }, want: '{"kv_connector":"MooncakeConnector","kv_role":"kv_producer","kv_connector_extra_config":{"a":1}}' },
    { name: 'an explicit kv_role wins', role: 'decode', raw: { kv_connector: 'NixlConnector', kv_role: 'kv_consumer' }, want: '{"kv_connector":"NixlConnector","kv_role":"kv_consumer"}' },
    { name: 'unparsable JSON passes through', role: 'decode', raw: '{nope', want: '{nope' },
  ];
  for (const tc of kvCases) it(`kv-transfer-config: ${tc.name}`, () => expect(vllmKvTransferConfig(tc.role, tc.raw).json).to.equal(tc.want));

  it('PD with a connector in the config: one --kv-transfer-config, the filled-in one', () => {
    const args = vllmEngine(input({ role: 'prefill', config: { 'kv-transfer-config': '{"kv_connector":"LMCacheConnectorV1"}' } })).entry.args;
    expect(args.filter((a) => a === '--kv-transfer-config')).to.have.length(1);
    expect(args.slice(7)).to.deep.equal(['--kv-transfer-config', '{"kv_connector":"LMCacheConnectorV1","kv_role":"kv_producer"}']);
  });
});
