import { expect } from 'chai';
import { jetstream, jetstreamManager, type JetStreamClient, type JetStreamManager } from '@nats-io/jetstream';
import type { NatsConnection } from '@nats-io/transport-node';
import { startNatsServer, type TestNatsServer } from './testing/index.js';
import { connectNats } from './connect.js';
import { ensureStreams } from './setup.js';
import { createResourceStore, type ResourceStore } from './resources.js';
import { ConflictError, ERROR_CODES, NotFoundError } from './errors.js';
import { desiredSubject, STREAMS } from './names.js';
import { decodeEvent } from './envelope.js';
import { RESOURCE_DELETED, type ResourceInput } from './resource-meta.js';

function model(name: string, spec: Record<string, unknown>, extra: Partial<ResourceInput['metadata']> = {}): ResourceInput {
  return { apiVersion: 'registry.matrixinfer.ai/v1alpha1', kind: 'Model', metadata: { name, namespace: 'team-a', ...extra }, spec };
}

describe('resources (resource log on a real nats-server)', () => {
  let server: TestNatsServer;
  let nc: NatsConnection;
  let js: JetStreamClient;
  let jsm: JetStreamManager;
  let store: ResourceStore;
  let clockMs = Date.parse('2026-01-01T00:00:00Z');

  const lastSeq = async (): Promise<number> => (await jsm.streams.info(STREAMS.desired)).state.last_seq;

  before(async () => {
    server = await startNatsServer();
    nc = await connectNats({ url: server.url, name: 'resources-test' });
    js = jetstream(nc);
    jsm = await jetstreamManager(nc);
    await ensureStreams(jsm);
    store = createResourceStore({ js, jsm, now: () => clockMs });
  });
  after(async () => {
    await nc?.close();
    await server?.close();
  });

  it('creates with uid, generation 1, creationTimestamp and resourceVersion = stream sequence', async () => {
    const { resource, result } = await store.apply(model('m-create', { replicas: 1 }));
    expect(result).to.equal('created');
    expect(resource.metadata.uid).to.match(/^[0-9a-f-]{36}$/);
    expect(resource.metadata.generation).to.equal(1);
    expect(resource.metadata.creationTimestamp).to.equal('2026-01-01T00:00:00.000Z');
    expect(resource.metadata.namespace).to.equal('team-a');
    expect(resource.metadata.resourceVersion).to.equal(String(await lastSeq()));
    const got = await store.get('Model', 'team-a', 'm-create');
    expect(got).to.deep.equal(resource);
    // resourceVersion is not stored in the payload: it is the sequence, known on read.
    const sm = await jsm.streams.getMessage(STREAMS.desired, { last_by_subj: desiredSubject('Model', 'team-a', 'm-create') });
    expect(decodeEvent<{ metadata: Record<string, unknown> }>(sm!.data).data.metadata).to.not.have.property('resourceVersion');
  });

  it('bumps generation on spec change only; metadata-only change keeps it; equal apply writes nothing', async () => {
    const first = await store.apply(model('m-gen', { replicas: 1 }));
    clockMs += 1000;
    const spec2 = await store.apply(model('m-gen', { replicas: 2 }));
    expect(spec2.result).to.equal('configured');
    expect(spec2.resource.metadata.generation).to.equal(2);
    expect(spec2.resource.metadata.uid).to.equal(first.resource.metadata.uid);
    expect(spec2.resource.metadata.creationTimestamp).to.equal(first.resource.metadata.creationTimestamp);
    const labelled = await store.apply(model('m-gen', { replicas: 2 }, { labels: { team: 'a' } }));
    expect(labelled.result).to.equal('configured');
    expect(labelled.resource.metadata.generation).to.equal(2);
    expect(Number(labelled.resource.metadata.resourceVersion)).to.be.greaterThan(Number(spec2.resource.metadata.resourceVersion));
    const before = await lastSeq();
    const again = await store.apply(model('m-gen', { replicas: 2 }, { labels: { team: 'a' } }));
    expect(again.result).to.equal('unchanged');
    expect(again.resource.metadata.resourceVersion).to.equal(labelled.resource.metadata.resourceVersion);
    expect(await lastSeq()).to.equal(before);
  });

  it('two writers with the same expected revision: exactly one wins, the other gets MI_ERR_CONFLICT', async () => {
    const { resource } = await store.apply(model('m-race', { replicas: 1 }));
    const rev = Number(resource.metadata.resourceVersion);
    const results = await Promise.allSettled([
      store.apply(model('m-race', { replicas: 2 }), { expectedRevision: rev }),
      store.apply(model('m-race', { replicas: 3 }), { expectedRevision: rev }),
    ]);
    const won = results.filter((r) => r.status === 'fulfilled');
    const lost = results.filter((r): r is PromiseRejectedResult => r.status === 'rejected');
    expect(won).to.have.length(1);
    expect(lost).to.have.length(1);
    expect(lost[0].reason).to.be.instanceOf(ConflictError);
    expect((lost[0].reason as ConflictError).code).to.equal(ERROR_CODES.conflict);
    expect((lost[0].reason as ConflictError).expected).to.equal(rev);
    const live = await store.get('Model', 'team-a', 'm-race');
    expect(live!.metadata.generation).to.equal(2);
  });

  it('six concurrent creates of one resource: exactly one wins', async () => {
    const racers = Array.from({ length: 6 }, (_, i) => createResourceStore({ js, jsm, now: () => clockMs, newUid: () => `uid-${i}` }));
    const results = await Promise.allSettled(racers.map((s, i) => s.apply(model('m-herd', { replicas: i }))));
    const won = results.filter((r) => r.status === 'fulfilled');
    expect(won).to.have.length(1);
    for (const r of results) if (r.status === 'rejected') expect((r.reason as ConflictError).code).to.equal(ERROR_CODES.conflict);
    const rec = await store.read('Model', 'team-a', 'm-herd');
    expect(rec.seq).to.equal(Number((won[0] as PromiseFulfilledResult<{ resource: { metadata: { resourceVersion: string } } }>).value.resource.metadata.resourceVersion));
  });

  it('the server enforces the expectation when the client read is stale (header, not a client pre-check)', async () => {
    const { resource } = await store.apply(model('m-server', { replicas: 1 }));
    const subject = desiredSubject('Model', 'team-a', 'm-server');
    const staleMsg = await jsm.streams.getMessage(STREAMS.desired, { last_by_subj: subject });
    await store.apply(model('m-server', { replicas: 2 }));
    // A writer whose read returns the old version (as if it read just before the other wrote).
    const staleJsm = { streams: { getMessage: () => Promise.resolve(staleMsg) } } as unknown as JetStreamManager;
    const stale = createResourceStore({ js, jsm: staleJsm, now: () => clockMs });
    const err = await stale.apply(model('m-server', { replicas: 3 })).catch((e: unknown) => e);
    expect(err).to.be.instanceOf(ConflictError);
    expect((err as ConflictError).expected).to.equal(Number(resource.metadata.resourceVersion));
    expect((err as ConflictError).actual).to.equal(Number(resource.metadata.resourceVersion) + 1);
    expect((await store.get('Model', 'team-a', 'm-server'))!.spec).to.deep.equal({ replicas: 2 });
  });

  it('a wrong expected revision is a ConflictError carrying expected and actual; absent on an existing resource conflicts', async () => {
    const { resource } = await store.apply(model('m-stale', { replicas: 1 }));
    const rev = Number(resource.metadata.resourceVersion);
    await store.apply(model('m-stale', { replicas: 2 }), { expectedRevision: rev });
    const err = await store.apply(model('m-stale', { replicas: 3 }), { expectedRevision: rev }).catch((e: unknown) => e);
    expect(err).to.be.instanceOf(ConflictError);
    expect((err as ConflictError).expected).to.equal(rev);
    expect((err as ConflictError).actual).to.be.greaterThan(rev);
    const absent = await store.apply(model('m-stale', { replicas: 9 }), { expectedRevision: 'absent' }).catch((e: unknown) => e);
    expect((absent as ConflictError).code).to.equal(ERROR_CODES.conflict);
    expect((await store.get('Model', 'team-a', 'm-stale'))!.spec).to.deep.equal({ replicas: 2 });
  });

  it("expectedRevision 'any' retries a conflict and lands both writes", async () => {
    await store.apply(model('m-any', { replicas: 0 }));
    const results = await Promise.all([
      store.apply(model('m-any', { replicas: 1 }, { labels: { a: '1' } }), { expectedRevision: 'any' }),
      store.apply(model('m-any', { replicas: 2 }, { labels: { b: '1' } }), { expectedRevision: 'any' }),
    ]);
    expect(results.map((r) => r.result)).to.deep.equal(['configured', 'configured']);
    expect((await store.get('Model', 'team-a', 'm-any'))!.metadata.generation).to.equal(3);
  });

  it('delete writes a tombstone; re-create gets a new uid and generation 1; delete of absent is NotFound', async () => {
    const created = await store.apply(model('m-del', { replicas: 1 }));
    await store.apply(model('m-del', { replicas: 2 }));
    const del = await store.delete('Model', 'team-a', 'm-del');
    expect(del.resource.metadata.uid).to.equal(created.resource.metadata.uid);
    expect(await store.get('Model', 'team-a', 'm-del')).to.equal(null);
    const tomb = await jsm.streams.getMessage(STREAMS.desired, { last_by_subj: desiredSubject('Model', 'team-a', 'm-del') });
    expect(tomb!.seq).to.equal(del.revision);
    expect(decodeEvent(tomb!.data).type).to.equal(RESOURCE_DELETED);
    const again = await store.apply(model('m-del', { replicas: 2 }), { expectedRevision: 'absent' });
    expect(again.result).to.equal('created');
    expect(again.resource.metadata.generation).to.equal(1);
    expect(again.resource.metadata.uid).to.not.equal(created.resource.metadata.uid);
    const err = await store.delete('Model', 'team-a', 'never-was').catch((e: unknown) => e);
    expect(err).to.be.instanceOf(NotFoundError);
    expect((err as InstanceType<typeof NotFoundError>).code).to.equal(ERROR_CODES.notFound);
  });

  it('a republished message id is stored once', async () => {
    const subject = desiredSubject('Model', 'team-a', 'm-dup');
    const body = new TextEncoder().encode('{}');
    const a = await js.publish(subject, body, { msgID: 'dup-1' });
    const b = await js.publish(subject, body, { msgID: 'dup-1' });
    expect(b.duplicate).to.equal(true);
    expect(b.seq).to.equal(a.seq);
    const info = await jsm.streams.info(STREAMS.desired, { subjects_filter: subject });
    expect(info.state.subjects?.[subject]).to.equal(1);
  });

  it('lists live resources by kind and namespace, sorted, without deleted ones', async () => {
    const s = createResourceStore({ js, jsm, now: () => clockMs });
    await s.apply({ ...model('zeta', {}), metadata: { name: 'zeta', namespace: 'list-ns' } });
    await s.apply({ ...model('alpha', {}), metadata: { name: 'alpha', namespace: 'list-ns' } });
    await s.apply({ ...model('gone', {}), metadata: { name: 'gone', namespace: 'list-ns' } });
    await s.delete('Model', 'list-ns', 'gone');
    await s.apply({ apiVersion: 'networking.matrixinfer.ai/v1alpha1', kind: 'ModelRoute', metadata: { name: 'r1', namespace: 'list-ns' }, spec: {} });
    expect((await s.list('Model', 'list-ns')).map((r) => r.metadata.name)).to.deep.equal(['alpha', 'zeta']);
    expect((await s.list(undefined, 'list-ns')).map((r) => `${r.kind}/${r.metadata.name}`)).to.deep.equal(['Model/alpha', 'Model/zeta', 'ModelRoute/r1']);
    expect(await s.list('ModelServer')).to.deep.equal([]);
  });
});
