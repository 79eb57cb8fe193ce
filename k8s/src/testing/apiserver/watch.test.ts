import { expect } from 'chai';
import type { StoreEvent } from './store.js';
import { watchEventFor } from './watch.js';

describe('test apiserver watch events', () => {
  const o = (app: string) => ({ metadata: { name: 'x', labels: { app } } });
  const match = (x: { metadata?: { labels?: Record<string, string> } }) => x.metadata?.labels?.app === 'a';
  const cases: { name: string; e: StoreEvent; want: string | undefined }[] = [
    { name: 'added, matching', e: { rv: 2, type: 'ADDED', resource: 'r', object: o('a') }, want: 'ADDED' },
    { name: 'added, not matching', e: { rv: 2, type: 'ADDED', resource: 'r', object: o('b') }, want: undefined },
    { name: 'modified inside the selector', e: { rv: 2, type: 'MODIFIED', resource: 'r', object: o('a'), previous: o('a') }, want: 'MODIFIED' },
    { name: 'modified into the selector', e: { rv: 2, type: 'MODIFIED', resource: 'r', object: o('a'), previous: o('b') }, want: 'ADDED' },
    { name: 'modified out of the selector', e: { rv: 2, type: 'MODIFIED', resource: 'r', object: o('b'), previous: o('a') }, want: 'DELETED' },
    { name: 'modified outside', e: { rv: 2, type: 'MODIFIED', resource: 'r', object: o('b'), previous: o('b') }, want: undefined },
    { name: 'deleted, was matching', e: { rv: 2, type: 'DELETED', resource: 'r', object: o('a'), previous: o('a') }, want: 'DELETED' },
    { name: 'deleted, was not matching', e: { rv: 2, type: 'DELETED', resource: 'r', object: o('b'), previous: o('b') }, want: undefined },
  ];
  for (const tc of cases) it(tc.name, () => expect(watchEventFor(tc.e, match)?.type).to.equal(tc.want));
});
