// The mi-secrets store on a real nats-server: writes, unchanged, purge on delete, and
// loadEnvSources reading the stored objects.
import { expect } from 'chai';
import { jetstreamManager } from '@nats-io/jetstream';
import { connect, type NatsConnection } from '@nats-io/transport-node';
import { startNatsServer, type TestNatsServer } from '@matrixinfer/events/testing';
import { contentHash, type CoreObject } from './core-objects.js';
import { CORE_OBJECTS_BUCKET, coreObjectKey, openCoreObjectStore, type CoreObjectStore } from './core-store.js';
import { loadEnvSources, MissingEnvSourceError } from './env-sources.js';

const secret = (data: Record<string, string>): CoreObject => ({ kind: 'Secret', namespace: 'default', name: 'hf', data, sha256: contentHash('Secret', data) });

describe('core object store (mi-secrets, real nats-server)', function () {
  this.timeout(30_000);
  let server: TestNatsServer;
  let nc: NatsConnection;
  let store: CoreObjectStore;

  before(async () => {
    server = await startNatsServer();
    nc = await connect({ servers: server.url });
    store = await openCoreObjectStore(nc, { ensure: true });
  });
  after(async () => {
    await nc?.close();
    await server?.close();
  });

  it('creates, then says unchanged, then configured; reads back what it stored', async () => {
    expect(await store.put(secret({ HF_TOKEN: 'one' }))).to.deep.include({ result: 'created' });
    expect(await store.put(secret({ HF_TOKEN: 'one' }))).to.deep.include({ result: 'unchanged' });
    expect(await store.put(secret({ HF_TOKEN: 'two' }))).to.deep.include({ result: 'configured' });
    expect((await store.get('Secret', 'default', 'hf'))?.data).to.deep.equal({ HF_TOKEN: 'two' });
    expect(await store.get('ConfigMap', 'default', 'hf')).to.equal(null);
  });

  it('keeps one value per key (no old secret values in the bucket) and purges on delete', async () => {
    const jsm = await jetstreamManager(nc);
    const info = await jsm.streams.info(`KV_${CORE_OBJECTS_BUCKET}`);
    expect(info.config.max_msgs_per_subject).to.equal(1);
    expect(info.state.messages).to.equal(1);
    expect(await store.delete('Secret', 'default', 'hf')).to.equal(true);
    expect(await store.delete('Secret', 'default', 'hf')).to.equal(false);
    expect(await store.get('Secret', 'default', 'hf')).to.equal(null);
    const after = await jsm.streams.info(`KV_${CORE_OBJECTS_BUCKET}`);
    const last = await jsm.streams.getMessage(`KV_${CORE_OBJECTS_BUCKET}`, { last_by_subj: `$KV.${CORE_OBJECTS_BUCKET}.${coreObjectKey('Secret', 'default', 'hf')}` });
    expect(after.state.messages).to.equal(1);
    expect(new TextDecoder().decode(last?.data ?? new Uint8Array())).to.not.include('two');
  });

  it('loadEnvSources resolves env and envFrom from the stored objects', async () => {
    await store.put(secret({ HF_TOKEN: 'tok' }));
    const env = await loadEnvSources(store, 'default', [{ name: 'T', valueFrom: { secretKeyRef: { name: 'hf', key: 'HF_TOKEN' } } }], [{ prefix: 'S_', secretRef: { name: 'hf' } }]);
    expect(env).to.deep.equal({ S_HF_TOKEN: 'tok', T: 'tok' });
    let err: unknown;
    await loadEnvSources(store, 'default', [], [{ configMapRef: { name: 'absent' } }]).catch((e: unknown) => {
      err = e;
    });
    expect(err).to.be.instanceOf(MissingEnvSourceError);
  });
});
