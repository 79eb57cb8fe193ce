import { expect } from 'chai';
import { startNatsServer, type TestNatsServer } from './testing/index.js';
import { openEventLog } from './event-log.js';
import { foldResources, resourceChange } from './replay.js';
import { consumeDurable, type DeliveredEvent } from './consume.js';
import { STREAMS } from './names.js';
import type { StoredResource } from './resource-meta.js';

async function until(cond: () => boolean, ms = 5000): Promise<void> {
  const end = Date.now() + ms;
  while (!cond()) {
    if (Date.now() > end) throw new Error('condition not met in time');
    await new Promise((r) => setTimeout(r, 10));
  }
}

describe('openEventLog (start-up in one call) and resource changes for controllers', () => {
  let server: TestNatsServer;
  before(async () => {
    server = await startNatsServer();
  });
  after(async () => {
    await server?.close();
  });

  it('connects, creates streams and buckets, and a controller sees applies and deletes as changes', async () => {
    const log = await openEventLog({ url: server.url, name: 'event-log-test', source: 'test' });
    try {
      expect((await log.jsm.streams.names().next()).sort()).to.include.members(['MI_DESIRED', 'MI_METRICS', 'KV_mi-routes']);
      const seen: string[] = [];
      const sub = await consumeDurable<StoredResource>({
        js: log.js,
        stream: STREAMS.desired,
        durable: 'ctl',
        filter: 'mi.desired.model.>',
        handler: (ev: DeliveredEvent<StoredResource>) => {
          const c = resourceChange(ev);
          seen.push(`${c!.key}:${c!.resource ? `gen${c!.resource.metadata.generation}@${c!.resource.metadata.resourceVersion}` : 'deleted'}`);
        },
      });
      try {
        const m = { apiVersion: 'registry.matrixinfer.ai/v1alpha1', kind: 'Model', metadata: { name: 'm' }, spec: { v: 1 } };
        const a = await log.resources.apply(m);
        const b = await log.resources.apply({ ...m, spec: { v: 2 } });
        await log.resources.delete('Model', 'default', 'm');
        await until(() => seen.length === 3);
        expect(seen).to.deep.equal([
          `Model/default/m:gen1@${a.resource.metadata.resourceVersion}`,
          `Model/default/m:gen2@${b.resource.metadata.resourceVersion}`,
          'Model/default/m:deleted',
        ]);
        const folded = await foldResources({ js: log.js });
        expect(folded.state.get('Model/default/m')).to.equal(null);
      } finally {
        await sub.stop();
      }
    } finally {
      await log.close();
    }
  });
});
