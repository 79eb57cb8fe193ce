import { expect } from 'chai';
import winston from 'winston';
import { startListWatch, type KindSource, type ListResult, type ListWatch, type WatchEventType } from './listwatch.js';

const logger = winston.createLogger({ level: 'error', transports: [new winston.transports.Console({ silent: true })] });

interface Obj {
  metadata: { name: string; resourceVersion: string };
}

const obj = (name: string, rv: string): Obj => ({ metadata: { name, resourceVersion: rv } });

async function until(cond: () => boolean, ms = 3000): Promise<void> {
  const end = Date.now() + ms;
  while (!cond()) {
    if (Date.now() > end) throw new Error('condition not met in time');
    await new Promise((r) => setImmediate(r));
  }
}

/** A scripted API server for one kind: lists what `items` holds, watches the test drives. */
class FakeSource implements KindSource<Obj> {
  items: Obj[] = [];
  rv = '1';
  listFailures = 0;
  watchFailures = 0;
  watchRvs: string[] = [];
  lists = 0;
  private live?: { onEvent: (t: WatchEventType, o: unknown) => void; onDone: (err: unknown) => void };
  async list(): Promise<ListResult<Obj>> {
    this.lists++;
    if (this.listFailures > 0) {
      this.listFailures--;
      throw Object.assign(new Error('list refused'), { code: 500 });
    }
    return { items: [...this.items], resourceVersion: this.rv };
  }
  async watch(rv: string, onEvent: (t: WatchEventType, o: unknown) => void, onDone: (err: unknown) => void) {
    this.watchRvs.push(rv);
    if (this.watchFailures > 0) {
      this.watchFailures--;
      throw Object.assign(new Error('watch refused'), { statusCode: 503 });
    }
    this.live = { onEvent, onDone };
    return { abort: () => this.end(null) };
  }
  watching(): boolean {
    return this.live !== undefined;
  }
  emit(t: WatchEventType, o: unknown): void {
    this.live!.onEvent(t, o);
  }
  end(err: unknown): void {
    const l = this.live;
    this.live = undefined;
    l?.onDone(err);
  }
}

describe('list-watch loop (scripted source)', () => {
  let lw: ListWatch | undefined;
  let src: FakeSource;
  let seen: string[];
  let delays: number[];
  let failNext: boolean;
  const start = (): ListWatch =>
    startListWatch<Obj>({
      name: 'models',
      source: src,
      logger,
      delay: async (ms) => void delays.push(ms),
      handlers: {
        onList: async (items) => void seen.push(`list:${items.map((i) => i.metadata.name).join(',')}`),
        onEvent: async (type, o) => {
          if (failNext) {
            failNext = false;
            throw new Error('store down');
          }
          seen.push(`${type}:${o.metadata.name}@${o.metadata.resourceVersion}`);
        },
      },
    });
  beforeEach(() => {
    src = new FakeSource();
    seen = [];
    delays = [];
    failNext = false;
  });
  afterEach(async () => {
    await lw?.stop();
    lw = undefined;
  });

  it('lists, then watches from the list resourceVersion; events in order; bookmarks move the resume point', async () => {
    src.items = [obj('a', '3')];
    src.rv = '5';
    lw = start();
    await lw.synced;
    await until(() => src.watching());
    expect(src.watchRvs).to.deep.equal(['5']);
    src.emit('ADDED', obj('b', '6'));
    src.emit('MODIFIED', obj('b', '7'));
    src.emit('DELETED', obj('a', '8'));
    src.emit('BOOKMARK', { metadata: { resourceVersion: '12' } });
    await until(() => lw!.stats().resourceVersion === '12');
    src.end(null);
    await until(() => src.watchRvs.length === 2);
    expect(src.watchRvs).to.deep.equal(['5', '12']);
    expect(seen).to.deep.equal(['list:a', 'upsert:b@6', 'upsert:b@7', 'delete:a@8']);
    expect(src.lists).to.equal(1);
  });

  for (const how of ['an ERROR event with code 410', 'a watch request refused with 410'] as const) {
    it(`relists after ${how} (the list is handed over whole, to reconcile)`, async () => {
      src.items = [obj('a', '3')];
      lw = start();
      await until(() => src.watching());
      src.items = [obj('c', '20')];
      src.rv = '20';
      if (how === 'an ERROR event with code 410') src.emit('ERROR', { kind: 'Status', code: 410, reason: 'Expired' });
      else src.end(Object.assign(new Error('Gone'), { statusCode: 410 }));
      await until(() => src.watchRvs.length === 2);
      expect(seen).to.deep.equal(['list:a', 'list:c']);
      expect(src.watchRvs).to.deep.equal(['1', '20']);
      expect(lw.stats().gone).to.equal(1);
    });
  }

  it('retries a failed list and a failed watch with doubling backoff, reset after success', async () => {
    src.listFailures = 2;
    src.watchFailures = 1;
    lw = start();
    await lw.synced;
    await until(() => src.watching());
    expect(delays).to.deep.equal([500, 1000, 500]);
    expect(src.watchRvs).to.deep.equal(['1', '1']);
  });

  it('a handler failure relists after a backoff, so the event is not lost', async () => {
    lw = start();
    await until(() => src.watching());
    failNext = true;
    src.items = [obj('b', '6')];
    src.rv = '6';
    src.emit('ADDED', obj('b', '6'));
    await until(() => seen.length === 2);
    expect(seen).to.deep.equal(['list:', 'list:b']);
    expect(delays).to.deep.equal([500]);
  });

  it('stop() ends the watch and the loop', async () => {
    lw = start();
    await until(() => src.watching());
    await lw.stop();
    expect(src.watching()).to.equal(false);
    const watches = src.watchRvs.length;
    await new Promise((r) => setImmediate(r));
    expect(src.watchRvs.length).to.equal(watches);
    lw = undefined;
  });
});
