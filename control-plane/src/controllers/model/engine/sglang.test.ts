// Pins SGLang command lines against its documented server arguments: python3 -m
// sglang.launch_server --model-path/--served-model-name/--host/--port, --tp-size, --lora-paths
// name=path, --enable-metrics, multi-node --dist-init-addr/--nnodes/--node-rank and PD
// --disaggregation-mode prefill|decode.
import { expect } from 'chai';
import { sglangEngine } from './sglang.js';
import type { EngineInput } from './types.js';

function input(extra: Partial<EngineInput> = {}): EngineInput {
  return { servedName: 'qwen', modelPath: '/models/Qwen/Qwen2.5', role: 'server', pods: 1, gpusPerPod: 0, adapters: [], ...extra };
}

const BASE = ['--model-path', '/models/Qwen/Qwen2.5', '--served-model-name', 'qwen', '--host', '0.0.0.0', '--port', '$(PORT)'];

describe('SGLang engine', () => {
  it('single node: the launcher with model path, served name, port, config flags and metrics', () => {
    const b = sglangEngine(input({ config: { 'mem-fraction-static': 0.8, 'enable-torch-compile': true, 'disable-radix-cache': false }, gpusPerPod: 2 }));
    expect(b.entry).to.deep.equal({
      command: ['python3', '-m', 'sglang.launch_server'],
      args: [...BASE, '--enable-torch-compile', '--mem-fraction-static', '0.8', '--enable-metrics', '--tp-size', '2'],
    });
    expect(b.worker).to.equal(undefined);
  });

  it('LoRA declared (adapters loaded live): --enable-lora', () => {
    expect(sglangEngine(input({ lora: true })).entry.args).to.include('--enable-lora');
    expect(sglangEngine(input()).entry.args).to.not.include('--enable-lora');
  });

  it('LoRA adapters: --lora-paths name=path', () => {
    const args = sglangEngine(input({ adapters: [{ name: 'sql', path: '/models/lora/sql' }] })).entry.args;
    expect(args.slice(BASE.length)).to.deep.equal(['--enable-metrics', '--lora-paths', 'sql=/models/lora/sql']);
  });

  it('multi-node: every pod runs the launcher, rank from WORKER_INDEX, rendezvous at ENTRY_ADDRESS', () => {
    const b = sglangEngine(input({ pods: 2, gpusPerPod: 8 }));
    const line =
      'exec python3 -m sglang.launch_server --model-path /models/Qwen/Qwen2.5 --served-model-name qwen --host 0.0.0.0 --port $(PORT) --enable-metrics --tp-size 16 --dist-init-addr $ENTRY_ADDRESS:20000 --nnodes 2 --node-rank $WORKER_INDEX';
    expect(b.entry).to.deep.equal({ command: ['sh', '-c'], args: [line] });
    expect(b.worker).to.deep.equal({ command: ['sh', '-c'], args: [line] });
  });

  it('PD: --disaggregation-mode per role, the transfer backend from the config', () => {
    for (const role of ['prefill', 'decode'] as const) {
      const args = sglangEngine(input({ role, config: { 'disaggregation-transfer-backend': 'nixl' } })).entry.args;
      expect(args.slice(BASE.length)).to.deep.equal(['--disaggregation-transfer-backend', 'nixl', '--enable-metrics', '--disaggregation-mode', role]);
    }
  });
});
