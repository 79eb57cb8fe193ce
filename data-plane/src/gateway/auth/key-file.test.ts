// The --api-keys file on a real file system: start-up load, reload on change (a plain rewrite
// and a kubelet-style `..data` symlink swap), a bad reload keeping the last good set.
import { expect } from 'chai';
import { mkdtempSync, mkdirSync, readFileSync, renameSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import winston from 'winston';
import { formatApiKeyFile, hashApiKey, type ApiKeyRecord } from '@matrixinfer/schemas';
import { waitFor } from '../testing.js';
import { openKeyFile, type KeyFile } from './key-file.js';

/** The JSON lines a winston logger writes. */
class Capture extends Writable {
  readonly lines: Array<Record<string, unknown>> = [];
  override _write(chunk: Buffer, _enc: BufferEncoding, next: () => void): void {
    for (const l of chunk.toString('utf8').split('\n')) if (l.trim() !== '') this.lines.push(JSON.parse(l) as Record<string, unknown>);
    next();
  }
}

function fileText(...ids: string[]): string {
  const keys: ApiKeyRecord[] = ids.map((id) => ({ id, sha256: hashApiKey(`mi-sk-${id}`), models: ['*'] }));
  return formatApiKeyFile({ format: 'mi.apikeys/v1', keys });
}

describe('gateway API keys: the key file', () => {
  let dir: string;
  let capture: Capture;
  let logger: winston.Logger;
  let file: KeyFile | undefined;
  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'mi-keys-'));
    capture = new Capture();
    logger = winston.createLogger({ level: 'debug', format: winston.format.json(), transports: [new winston.transports.Stream({ stream: capture })] });
  });
  afterEach(() => {
    file?.close();
    file = undefined;
    rmSync(dir, { recursive: true, force: true });
  });
  const ids = (): string[] => file!.current().keys().map((k) => k.id);

  it('fails the start on a missing or invalid file, naming the file and the fault', () => {
    expect(() => openKeyFile({ path: join(dir, 'none.yaml'), logger })).to.throw(/none\.yaml: cannot read: ENOENT/);
    writeFileSync(join(dir, 'bad.yaml'), 'format: mi.apikeys/v1\nkeys: [{id: a}]\n');
    expect(() => openKeyFile({ path: join(dir, 'bad.yaml'), logger })).to.throw(/bad\.yaml: 2 problems/);
  });

  it('reloads a rewritten file, keeps the last good set on a bad one and reports it once', () => {
    const path = join(dir, 'keys.yaml');
    writeFileSync(path, fileText('a'));
    const loads: number[] = [];
    file = openKeyFile({ path, logger, periodMs: 0, onLoad: (s) => loads.push(s.size) });
    expect(ids()).to.deep.equal(['a']);
    writeFileSync(path, fileText('a', 'b'));
    expect(file.reload()).to.equal(true);
    expect(ids()).to.deep.equal(['a', 'b']);
    expect(file.reload(), 'unchanged text').to.equal(false);
    writeFileSync(path, 'format: mi.apikeys/v1\nkeys: [{id: c, sha256: nope, models: [m]}]\n');
    expect(file.reload()).to.equal(false);
    expect(file.reload()).to.equal(false);
    expect(ids()).to.deep.equal(['a', 'b']);
    const errors = capture.lines.filter((l) => l.level === 'error');
    expect(errors).to.have.length(1);
    expect(String(errors[0].error)).to.include('keys[0].sha256');
    rmSync(path);
    expect(file.reload()).to.equal(false);
    expect(ids()).to.deep.equal(['a', 'b']);
    writeFileSync(path, fileText('c'));
    expect(file.reload()).to.equal(true);
    expect(ids()).to.deep.equal(['c']);
    expect(loads).to.deep.equal([1, 2, 1]);
  });

  it('follows change events of the directory, including a kubelet-style ..data symlink swap', async () => {
    // kubelet: <dir>/keys.yaml -> ..data/keys.yaml, ..data -> ..<timestamp>; an update writes a
    // new timestamped directory and renames a fresh ..data symlink over the old one.
    mkdirSync(join(dir, '..v1'));
    writeFileSync(join(dir, '..v1', 'keys.yaml'), fileText('a'));
    symlinkSync('..v1', join(dir, '..data'));
    symlinkSync(join('..data', 'keys.yaml'), join(dir, 'keys.yaml'));
    file = openKeyFile({ path: join(dir, 'keys.yaml'), logger, periodMs: 0, settleMs: 10 });
    expect(ids()).to.deep.equal(['a']);
    mkdirSync(join(dir, '..v2'));
    writeFileSync(join(dir, '..v2', 'keys.yaml'), fileText('a', 'b'));
    symlinkSync('..v2', join(dir, '..data_tmp'));
    renameSync(join(dir, '..data_tmp'), join(dir, '..data'));
    await waitFor('the swapped set', () => ids().length === 2);
    expect(readFileSync(join(dir, 'keys.yaml'), 'utf8')).to.include('id: b');
    // A plain rewrite of a regular file is seen too.
    rmSync(join(dir, 'keys.yaml'));
    writeFileSync(join(dir, 'keys.yaml'), fileText('z'));
    await waitFor('the rewritten set', () => ids()[0] === 'z');
  });
});
