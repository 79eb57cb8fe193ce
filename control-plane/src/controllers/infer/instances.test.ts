import { expect } from 'chai';
import { makeInfer, makeModel, makeRole } from '../testdata.js';
import { expandModel } from '../model/expand.js';
import type { ModelInfer } from '../types.js';
import { envOf, renderGroup } from './instances.js';

describe('instance rendering', () => {
  it('keeps env valueFrom references as references, never as empty values (regression: they became "")', () => {
    const role = makeRole('server');
    role.entryTemplate.spec.containers[0].env = [
      { name: 'PLAIN', value: 'x' },
      { name: 'TOKEN', valueFrom: { secretKeyRef: { name: 'hf', key: 'token' } } },
      { name: 'EMPTY' },
    ];
    role.entryTemplate.spec.containers[0].envFrom = [{ secretRef: { name: 'your-secrets' } }];
    const [i] = renderGroup(makeInfer('mi', 1, [role]), 0);
    expect(i.env).to.include({ PLAIN: 'x', EMPTY: '' });
    expect(i.env).to.not.have.property('TOKEN');
    expect(i.valueFrom).to.deep.equal({ TOKEN: { secretKeyRef: { name: 'hf', key: 'token' } } });
    expect(i.envFrom).to.deep.equal([{ secretRef: { name: 'your-secrets' } }]);
  });

  it('a later entry of the same name wins, whichever kind it is', () => {
    const r = envOf({ name: 'c', image: 'i', env: [{ name: 'A', valueFrom: { configMapKeyRef: { name: 'c', key: 'k' } } }, { name: 'A', value: '1' }, { name: 'B', value: '2' }, { name: 'B', valueFrom: { fieldRef: { fieldPath: 'x' } } }] });
    expect(r).to.deep.equal({ env: { A: '1' }, valueFrom: { B: { fieldRef: { fieldPath: 'x' } } } });
  });

  it('instances without references carry none of the optional fields', () => {
    const [i] = renderGroup(makeInfer('mi', 1), 0);
    expect(i).to.not.have.any.keys('valueFrom', 'envFrom', 'simulatorArgs');
  });

  it("a real engine's instance runs the engine command and carries the simulator stand-in argv", () => {
    const model = makeModel('m', [{ workers: [{ type: 'server', image: 'vllm/vllm-openai', config: { 'max-num-seqs': 4 } }] }]);
    const mi = expandModel(model)[0] as ModelInfer;
    const [i] = renderGroup(mi, 0);
    expect(i.command).to.deep.equal(['vllm', 'serve']);
    expect(i.args).to.include.members(['--port', '$(PORT)', '--max-num-seqs', '4']);
    expect(i.env.PORT).to.equal('8000');
    expect(i.simulatorArgs).to.deep.equal(['--max-num-seqs', '4', '--model', 'm', '--engine', 'vllm']);
  });

  it('ignores a simulator-args annotation that is not a JSON string array', () => {
    const role = makeRole('server');
    role.entryTemplate.metadata = { annotations: { 'modelinfer.matrixinfer.ai/simulator-args': '{oops' } };
    expect(renderGroup(makeInfer('mi', 1, [role]), 0)[0].simulatorArgs).to.equal(undefined);
  });

  it('a hand-written engine template (no annotation) gets its stand-in from its command line; other programs none', () => {
    const role = makeRole('server');
    const c = role.entryTemplate.spec.containers[0];
    c.image = 'vllm/vllm-openai:latest';
    c.command = ['sh', '-c', 'bash /vllm-workspace/serve.sh leader; python3 -m vllm.entrypoints.openai.api_server --port 8080 --model org/big'];
    const [i] = renderGroup(makeInfer('mi', 1, [role]), 0);
    expect(i.command).to.deep.equal(c.command);
    expect(i.simulatorArgs).to.deep.equal(['--model', 'org/big', '--engine', 'vllm']);
    c.image = 'nginx';
    c.command = ['nginx', '-g', 'daemon off;'];
    expect(renderGroup(makeInfer('mi', 1, [role]), 0)[0].simulatorArgs).to.equal(undefined);
  });
});
