import { expect } from 'chai';
import { JetStreamApiError } from '@nats-io/jetstream';
import { TimeoutError } from '@nats-io/transport-node';
import { PublishError } from '@matrixinfer/events';
import { EXIT, exitCodeFor } from './exit.js';
import { STORE_ERROR_CODES, storeFailure, storeFailureKind } from './store-errors.js';

const insufficient = () => new JetStreamApiError({ code: 503, err_code: 10023, description: 'insufficient resources' });

describe('cli/store-errors', () => {
  const cases: { name: string; err: unknown; kind: 'full' | 'timeout' | null }[] = [
    { name: 'a JetStream insufficient-resources answer', err: insufficient(), kind: 'full' },
    { name: 'the same wrapped by the resource log', err: new PublishError('cannot publish to mi.desired.model.default.x: insufficient resources', { cause: insufficient() }), kind: 'full' },
    { name: 'a storage-exceeded answer (10047)', err: new JetStreamApiError({ code: 500, err_code: 10047, description: 'insufficient storage resources available' }), kind: 'full' },
    { name: 'a bare request timeout (a server stuck on a full disk)', err: new TimeoutError(), kind: 'timeout' },
    { name: 'a timeout wrapped twice', err: new Error('outer', { cause: new PublishError('cannot read x: timeout', { cause: new TimeoutError() }) }), kind: 'timeout' },
    { name: 'a conflict is not a store failure', err: new JetStreamApiError({ code: 400, err_code: 10071, description: 'wrong last sequence: 3' }), kind: null },
    { name: 'a non-error', err: 'timeout', kind: null },
  ];
  for (const tc of cases) {
    it(`classifies ${tc.name}`, () => {
      expect(storeFailureKind(tc.err)).to.equal(tc.kind);
    });
  }

  it('gives a typed error naming the server and what to do, with exit code 4', () => {
    const full = storeFailure(insufficient(), 'nats://127.0.0.1:4222')!;
    expect(full.code).to.equal(STORE_ERROR_CODES.full);
    expect(full.message).to.include('nats://127.0.0.1:4222').and.include('max_file_store');
    const slow = storeFailure(new TimeoutError(), 'nats://h:1')!;
    expect(slow.code).to.equal(STORE_ERROR_CODES.timeout);
    expect(slow.message).to.include('may be full');
    expect([exitCodeFor(full), exitCodeFor(slow)]).to.deep.equal([EXIT.natsUnavailable, EXIT.natsUnavailable]);
    expect(storeFailure(new Error('boom'), 'nats://h:1')).to.equal(null);
  });
});
