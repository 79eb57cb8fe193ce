// TorchServe's management API on the wire: register (202/200, 409 on a second time), scale
// workers with PUT, describe with its workers, list with pagination, unregister, and
// predictions refused for an unregistered model (404) or one without workers (503); on the
// inference port by default, alone on --management-port when given one.
import { expect } from 'chai';
import { startSimulator, type RunningSimulator } from '../simulator.js';
import { postJson } from './test-helpers.js';

async function call(method: string, url: string): Promise<{ status: number; body: unknown }> {
  const r = await fetch(url, { method });
  const text = await r.text();
  return { status: r.status, body: text === '' ? undefined : JSON.parse(text) };
}

type Described = Array<{ modelName: string; modelUrl: string; minWorkers: number; maxWorkers: number; workers: Array<{ id: string; status: string }> }>;

describe('sim TorchServe management API', () => {
  describe('on its own port (--management-port)', () => {
    let sim: RunningSimulator;
    let mgmt: string;
    before(async () => {
      sim = await startSimulator({ engine: 'torchserve', profile: 'cpu-small', model: 'llama', timeScale: 20, managementPort: 0 });
      mgmt = `http://127.0.0.1:${sim.managementPort}`;
    });
    after(async () => {
      await sim.close();
    });

    it('the inference port no longer serves management calls, the management port serves nothing else', async () => {
      expect(sim.managementPort).to.be.a('number').and.not.equal(sim.port);
      expect((await call('GET', `${sim.url}/models`)).status).to.equal(404);
      expect((await call('GET', `${mgmt}/ping`)).status).to.equal(404);
      expect((await call('GET', `${mgmt}/models`)).body).to.deep.equal({ models: [{ modelName: 'llama', modelUrl: 'llama.mar' }] });
    });

    it('register, scale, describe, unregister; predictions follow', async () => {
      const predict = (m: string) => postJson(`${sim.url}/predictions/${m}`, { prompt: 'Hi', max_new_tokens: 2 });
      expect((await predict('coder')).status).to.equal(404);
      const reg = await call('POST', `${mgmt}/models?url=coder.mar&model_name=coder&initial_workers=1&synchronous=true`);
      expect(reg).to.deep.equal({ status: 200, body: { status: 'Model "coder" Version: 1.0 registered with 1 initial workers' } });
      expect((await predict('coder')).status).to.equal(200);
      const again = await call('POST', `${mgmt}/models?url=coder.mar&model_name=coder&initial_workers=1`);
      expect(again).to.deep.equal({ status: 409, body: { code: 409, type: 'ConflictStatusException', message: 'Model version 1.0 is already registered for model coder' } });
      const scaled = await call('PUT', `${mgmt}/models/coder?min_worker=3&max_worker=3&synchronous=true`);
      expect(scaled).to.deep.equal({ status: 200, body: { status: 'Workers scaled to 3 for model: coder' } });
      const d = (await call('GET', `${mgmt}/models/coder`)).body as Described;
      expect(d[0]).to.deep.include({ modelName: 'coder', modelUrl: 'coder.mar', minWorkers: 3, maxWorkers: 3 });
      expect(d[0].workers.map((w) => [w.id, w.status])).to.deep.equal([['9000', 'READY'], ['9001', 'READY'], ['9002', 'READY']]);
      expect((await call('PUT', `${mgmt}/models/coder/1.0?min_worker=0`)).status).to.equal(202);
      expect(((await call('GET', `${mgmt}/models/coder/all`)).body as Described)[0].workers).to.have.length(0);
      const idle = await predict('coder');
      expect(idle.status).to.equal(503);
      expect(idle.json()).to.deep.equal({ code: 503, type: 'ServiceUnavailableException', message: 'No worker is available to serve request: coder' });
      expect((await call('DELETE', `${mgmt}/models/coder/2.0`)).body).to.deep.equal({ code: 404, type: 'ModelNotFoundException', message: 'Model version: 2.0 does not exist for model: coder' });
      expect(await call('DELETE', `${mgmt}/models/coder`)).to.deep.equal({ status: 200, body: { status: 'Model "coder" unregistered' } });
      expect((await call('DELETE', `${mgmt}/models/coder`)).body).to.deep.equal({ code: 404, type: 'ModelNotFoundException', message: 'Model not found: coder' });
      expect((await call('PUT', `${mgmt}/models/coder?min_worker=1`)).status).to.equal(404);
      expect((await predict('coder')).status).to.equal(404);
    });

    it('an asynchronous registration answers 202; a missing url is a 400', async () => {
      expect(await call('POST', `${mgmt}/models?url=https://example.com/mars/tiny.mar&initial_workers=2`)).to.deep.equal({ status: 202, body: { status: 'Processing worker updates...' } });
      expect(((await call('GET', `${mgmt}/models/tiny`)).body as Described)[0]).to.deep.include({ modelUrl: 'tiny.mar', minWorkers: 2 });
      expect((await call('POST', `${mgmt}/models?model_name=x`)).body).to.deep.include({ code: 400, type: 'BadRequestException' });
      expect((await call('DELETE', `${mgmt}/models/tiny`)).status).to.equal(200);
    });

    it('list pages with limit and next_page_token', async () => {
      for (const m of ['a', 'b', 'c']) expect((await call('POST', `${mgmt}/models?url=${m}.mar`)).status).to.equal(200);
      const first = (await call('GET', `${mgmt}/models?limit=2`)).body;
      expect(first).to.deep.equal({ nextPageToken: '2', models: [{ modelName: 'a', modelUrl: 'a.mar' }, { modelName: 'b', modelUrl: 'b.mar' }] });
      const second = (await call('GET', `${mgmt}/models?limit=2&next_page_token=2`)).body;
      expect(second).to.deep.equal({ models: [{ modelName: 'c', modelUrl: 'c.mar' }, { modelName: 'llama', modelUrl: 'llama.mar' }] });
    });
  });

  describe('on the inference port (default)', () => {
    let sim: RunningSimulator;
    before(async () => {
      sim = await startSimulator({ engine: 'torchserve', profile: 'cpu-small', model: 'llama', timeScale: 20, defaultWorkersPerModel: 2 });
    });
    after(async () => {
      await sim.close();
    });

    it('the model registered at start has --default-workers-per-model workers; scaling works there too', async () => {
      expect(((await call('GET', `${sim.url}/models/llama`)).body as Described)[0].workers).to.have.length(2);
      expect((await call('PUT', `${sim.url}/models/llama?min_worker=1&synchronous=true`)).status).to.equal(200);
      expect(((await call('GET', `${sim.url}/models/llama`)).body as Described)[0]).to.deep.include({ minWorkers: 1, maxWorkers: 1 });
    });
  });
});
