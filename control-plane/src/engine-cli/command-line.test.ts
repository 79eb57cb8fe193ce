import { expect } from 'chai';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parse } from 'yaml';
import { commandsOf, engineOfImage, findEngine, shellScript, standInArgs } from './command-line.js';

describe('engine-cli/command-line', () => {
  it('splits a sh -c script into its commands; $(VAR) and $(…) are words, not commands', () => {
    expect(shellScript(['sh', '-c', 'echo hi'])).to.equal('echo hi');
    expect(shellScript(['/bin/bash', '-ec', 'x'])).to.equal('x');
    expect(shellScript(['python3', '-c', 'x'])).to.equal(undefined);
    expect(commandsOf(['sh', '-c', 'A=1 exec vllm serve m; bash w.sh --addr=$(Leader_Node_Address) && echo "a b" | grep c # done'])).to.deep.equal([
      ['vllm', 'serve', 'm'],
      ['bash', 'w.sh', '--addr=$Leader_Node_Address'],
      ['echo', 'a b'],
      ['grep', 'c'],
    ]);
    expect(commandsOf(['sh', '-c', 'python3 -m x --host $(hostname -i)'])).to.deep.equal([['python3', '-m', 'x', '--host', '$']]);
    expect(commandsOf(['vllm', 'serve', 'm'])).to.deep.equal([['vllm', 'serve', 'm']]);
    expect(commandsOf([])).to.deep.equal([]);
  });

  it('finds the last engine server a command line starts', () => {
    expect(findEngine(['vllm', 'serve', 'org/m', '--tensor-parallel-size', '2'])).to.deep.equal({ engine: 'vLLM', model: 'org/m', args: ['--tensor-parallel-size', '2'] });
    expect(findEngine(['python3', '-m', 'sglang.launch_server', '--model-path', 'p'])).to.deep.equal({ engine: 'SGLang', args: ['--model-path', 'p'] });
    expect(findEngine(['sh', '-c', 'pip install x; python3 -m vllm.entrypoints.openai.api_server --model a'])).to.deep.equal({ engine: 'vLLM', args: ['--model', 'a'] });
    expect(findEngine(['nginx', '-g', 'daemon off;'])).to.equal(undefined);
    expect(findEngine(['python3', 'serve.py'])).to.equal(undefined);
  });

  it('knows engine images by repository, whatever the tag or digest', () => {
    expect(engineOfImage('vllm/vllm-openai:latest')).to.equal('vLLM');
    expect(engineOfImage('registry.local:5000/vllm/vllm-openai@sha256:abc')).to.equal('vLLM');
    expect(engineOfImage('lmsysorg/sglang:v0.4.6')).to.equal('SGLang');
    expect(engineOfImage('ghcr.io/me/sglang-custom')).to.equal('SGLang');
    expect(engineOfImage('nginx')).to.equal(undefined);
    expect(engineOfImage('me/vllmish-proxy')).to.equal(undefined);
    expect(engineOfImage(undefined)).to.equal(undefined);
  });

  it('stand-in args: the engine flags without port and host, the model, the PD role and the engine', () => {
    expect(standInArgs(['vllm', 'serve', 'org/m'], ['--port', '8080', '--host=0.0.0.0', '--max-num-seqs', '8'], 'vllm/vllm-openai')).to.deep.equal(['--model', 'org/m', '--max-num-seqs', '8', '--engine', 'vllm']);
    expect(standInArgs(['python3', '-m', 'sglang.launch_server'], ['--model-path', '/w', '--disaggregation-mode', 'decode'], 'lmsysorg/sglang')).to.deep.equal(['--model-path', '/w', '--disaggregation-mode', 'decode', '--model', '/w', '--role', 'decode', '--engine', 'sglang']);
    const producer = standInArgs(['vllm', 'serve', 'm', '--kv-transfer-config', '{"kv_connector":"P2pNcclConnector","kv_role":"kv_producer"}'], [], undefined);
    expect(producer!.slice(-4)).to.deep.equal(['--role', 'prefill', '--engine', 'vllm']);
    // An engine image whose command starts no server (a Ray worker joining its leader).
    expect(standInArgs(['sh', '-c', 'bash /w/multi-node-serving.sh worker'], [], 'vllm/vllm-openai:latest')).to.deep.equal(['--engine', 'vllm']);
    expect(standInArgs(['nginx'], [], 'nginx')).to.equal(undefined);
  });

  it("MatrixInfer's multi-node example: the leader's script stands in as the vLLM server it starts", function () {
    const file = join(process.cwd(), '..', '..', 'shared', 'compat', 'matrixinfer', 'examples', 'model-infer', 'multi-node.yaml');
    let text: string;
    try {
      text = readFileSync(file, 'utf8');
    } catch {
      this.skip(); // the compatibility corpus lives beside the repository
      return;
    }
    const c = (parse(text.replace(/^\uFEFF/, '')) as { spec: { template: { roles: { entryTemplate: { spec: { containers: { command: string[]; image: string }[] } } }[] } } }).spec.template.roles[0].entryTemplate.spec.containers[0];
    expect(standInArgs(c.command, [], c.image)).to.deep.equal(['--model', 'meta-llama/Llama-3.1-405B-Instruct', '--tensor-parallel-size', '8', '--pipeline_parallel_size', '2', '--engine', 'vllm']);
  });
});
