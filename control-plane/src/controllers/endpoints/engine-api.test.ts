// The endpoint controller's health probe finds each engine family's readiness path (regression:
// Triton and TorchServe endpoints were marked unhealthy by a probe of /health, which they 404).
import { expect } from 'chai';
import { startSimulator } from '@matrixinfer/engine-sim';
import { createHttpEngineApi } from './engine-api.js';

describe('endpoints/engine-api health', () => {
  for (const engine of ['vllm', 'sglang', 'triton', 'torchserve'] as const) {
    it(`${engine}: healthy, and unhealthy while starting`, async () => {
      const api = createHttpEngineApi();
      const up = await startSimulator({ engine, profile: 'cpu-small', port: 0 });
      const starting = await startSimulator({ engine, profile: 'cpu-small', port: 0, faults: { startupDelayMs: 60_000 } });
      try {
        expect(await api.health(up.url, 2000)).to.deep.equal({ ok: true, status: 200 });
        expect(await api.health(up.url, 2000)).to.deep.equal({ ok: true, status: 200 });
        expect((await api.health(starting.url, 2000)).ok).to.equal(false);
      } finally {
        await up.close();
        await starting.close();
      }
    });
  }
});
