// Desired adapters of one endpoint: its Model backend's plus those of the ModelServers selecting it.
import { expect } from 'chai';
import { desiredOfEndpoint, serverLoraOf, type DesiredLora } from './desired.js';

const server = (name: string, matchLabels: Record<string, string>, adapters: { name: string; artifactURL: string }[], engine = 'vLLM') => ({
  metadata: { name, namespace: 'ns' },
  spec: { inferenceEngine: engine, workloadSelector: { matchLabels }, loraAdapters: adapters },
});

describe('endpoint controller: adapters a ModelServer asks for', () => {
  const fromModel: DesiredLora = { engine: 'vLLM', adapters: [{ name: 'sql', path: 'org/sql' }], source: 'Model ns/m backend b' };
  const a = serverLoraOf('ns', 'a', server('a', { 'modelinfer.matrixinfer.ai/name': 'm-b' }, [{ name: 'sql', artifactURL: 'hf://other/sql' }, { name: 'chat', artifactURL: 'file:///lora/chat' }]))!;
  const z = serverLoraOf('ns', 'z', server('z', { app: 'x' }, [{ name: 'code', artifactURL: 'hf://org/code' }], 'SGLang'))!;

  it('reads a ModelServer (null when it lists none or is gone)', () => {
    expect(a).to.deep.equal({ namespace: 'ns', name: 'a', matchLabels: { 'modelinfer.matrixinfer.ai/name': 'm-b' }, engine: 'vLLM', adapters: [{ name: 'chat', path: '/lora/chat' }, { name: 'sql', path: 'other/sql' }] });
    expect(serverLoraOf('ns', 'x', server('x', {}, []))).to.equal(null);
    expect(serverLoraOf('ns', 'x', null)).to.equal(null);
  });

  it("adds the adapters of every selecting server to the Model's; the Model's path wins on a shared name", () => {
    const d = desiredOfEndpoint(fromModel, [z, a], 'ns', { 'modelinfer.matrixinfer.ai/name': 'm-b', app: 'x' })!;
    expect(d.adapters).to.deep.equal([{ name: 'chat', path: '/lora/chat' }, { name: 'code', path: 'org/code' }, { name: 'sql', path: 'org/sql' }]);
    expect(d.source).to.equal('Model ns/m backend b, ModelServer ns/a, ModelServer ns/z');
    expect(d.engine).to.equal('vLLM');
  });

  it('a server alone manages an endpoint with its own engine; servers of other namespaces or selectors do not count', () => {
    expect(desiredOfEndpoint(undefined, [z], 'ns', { app: 'x' })).to.deep.include({ engine: 'SGLang', source: 'ModelServer ns/z' });
    expect(desiredOfEndpoint(undefined, [z], 'other', { app: 'x' })).to.equal(undefined);
    expect(desiredOfEndpoint(fromModel, [a, z], 'ns', { app: 'y' })).to.equal(fromModel);
  });
});
