import { expect } from 'chai';
import type { EndpointObservation, InstanceSpec } from '@matrixinfer/events';
import { expandModel } from '../controllers/model/expand.js';
import { reconcileInfer } from '../controllers/infer/reconcile.js';
import { makeModel, observe } from '../controllers/testdata.js';
import type { AnyResource, ModelInfer } from '../controllers/types.js';
import { projectRoutes } from './routes.js';
import { foldProjector, initialProjectorState, type ProjectorState } from './state.js';

function state(): { s: ProjectorState; instances: InstanceSpec[] } {
  const model = makeModel('llama', [{ minReplicas: 2, loraAdapters: [{ name: 'sql', artifactURL: 'hf://o/sql' }] }]);
  const s = initialProjectorState();
  const res = (r: AnyResource) => foldProjector(s, { type: 'resource', kind: r.kind, namespace: 'default', name: r.metadata.name, revision: 1, resource: r });
  res(model);
  const children = expandModel(model);
  children.forEach(res);
  const mi = children.find((c): c is ModelInfer => c.kind === 'ModelInfer')!;
  const instances = reconcileInfer({ mi, published: [], observed: new Map(), nowMs: 0 }).next!.instances;
  foldProjector(s, { type: 'decision', decision: { modelInfer: mi.metadata.name, namespace: 'default', generation: 1, instances, reason: 'test' } });
  foldProjector(s, { type: 'observation', observation: observe(instances[0], 'ready', 10, 9000) });
  foldProjector(s, { type: 'observation', observation: observe(instances[1], 'ready', 10, 9001) });
  return { s, instances };
}

function endpoint(i: InstanceSpec, port: number, timeMs: number, extra: Partial<EndpointObservation>): EndpointObservation {
  return { instance: i.name, namespace: 'default', modelInfer: i.modelInfer, address: `http://127.0.0.1:${port}`, revision: i.revision, healthy: true, reason: 'test', timeMs, ...extra };
}

describe('projector: endpoint observations (health after ready, adapters loaded)', () => {
  const view = (s: ProjectorState, key = 'llama') => projectRoutes(s).entries.get(key)!.servers['llama-b0'].endpoints.map((e) => `${e.id.slice(-12)}:${(e.adapters ?? ['?']).join('+') || '-'}`);

  it('lists per endpoint the adapters its engine reported, on the model entry and the adapter entry alike', () => {
    const { s, instances } = state();
    expect(view(s)).to.deep.equal(['0-server-0-0:?', '1-server-0-0:?']);
    foldProjector(s, { type: 'endpoint', endpoint: endpoint(instances[0], 9000, 11, { adapters: ['sql'] }) });
    foldProjector(s, { type: 'endpoint', endpoint: endpoint(instances[1], 9001, 11, { adapters: [] }) });
    expect(view(s)).to.deep.equal(['0-server-0-0:sql', '1-server-0-0:-']);
    expect(view(s, 'sql')).to.deep.equal(['0-server-0-0:sql', '1-server-0-0:-']);
  });

  it('drops an endpoint found unhealthy after ready, and lists it again once healthy', () => {
    const { s, instances } = state();
    foldProjector(s, { type: 'endpoint', endpoint: endpoint(instances[0], 9000, 11, { healthy: false }) });
    expect(view(s)).to.deep.equal(['1-server-0-0:?']);
    foldProjector(s, { type: 'endpoint', endpoint: endpoint(instances[0], 9000, 12, { healthy: true, adapters: ['sql'] }) });
    expect(view(s)).to.deep.equal(['0-server-0-0:sql', '1-server-0-0:?']);
  });

  it('ignores a report about another run of the instance (other address or incarnation) and an older report', () => {
    const { s, instances } = state();
    foldProjector(s, { type: 'endpoint', endpoint: endpoint(instances[0], 9999, 11, { healthy: false }) });
    foldProjector(s, { type: 'endpoint', endpoint: endpoint(instances[1], 9001, 11, { healthy: false, incarnation: 3 }) });
    expect(view(s)).to.deep.equal(['0-server-0-0:?', '1-server-0-0:?']);
    foldProjector(s, { type: 'endpoint', endpoint: endpoint(instances[0], 9000, 20, { adapters: ['sql'] }) });
    foldProjector(s, { type: 'endpoint', endpoint: endpoint(instances[0], 9000, 15, { healthy: false }) });
    expect(view(s)).to.deep.equal(['0-server-0-0:sql', '1-server-0-0:?']);
  });
});
