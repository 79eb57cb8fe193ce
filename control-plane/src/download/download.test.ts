import { expect } from 'chai';
import { randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DownloadError } from './errors.js';
import { DONE_MARKER, runDownload } from './download.js';
import { parseListObjects } from './s3.js';
import { parseSource, safeRelative } from './source.js';
import { startHubFixture, startS3Fixture, type FixtureServer } from './testing.js';
import { runMi } from '../cli/mi.js';
import { captureIO } from '../cli/testing.js';

const FILES = { 'config.json': Buffer.from('{"model_type":"llama"}'), 'model.safetensors': randomBytes(300_000), 'tokenizer/tokenizer.json': Buffer.from('{"v":1}') };

describe('download: sources and listings (pure)', () => {
  it('parses hf, s3, hostpath and pvc sources; refuses the rest with the accepted forms', () => {
    expect(parseSource('hf://Qwen/Qwen2.5-0.5B-Instruct', '/pvc')).to.deep.equal({ kind: 'hf', repo: 'Qwen/Qwen2.5-0.5B-Instruct', revision: 'main' });
    expect(parseSource('hf://org/m@v1.0', '/pvc')).to.deep.equal({ kind: 'hf', repo: 'org/m', revision: 'v1.0' });
    expect(parseSource('s3://bucket/models/llama/', '/pvc')).to.deep.equal({ kind: 's3', bucket: 'bucket', prefix: 'models/llama' });
    expect(parseSource('hostpath:///data/models', '/pvc')).to.deep.equal({ kind: 'local', path: '/data/models', uri: 'hostpath:///data/models' });
    expect(parseSource('pvc://claim/sub', '/mnt')).to.deep.equal({ kind: 'local', path: '/mnt/claim/sub', uri: 'pvc://claim/sub' });
    expect(() => parseSource('ftp://x/y', '/pvc')).to.throw(DownloadError, /unknown scheme ftp:\/\//);
    expect(() => parseSource('hf://just-a-name', '/pvc')).to.throw(DownloadError, /hf:\/\/ORG\/REPO/);
    expect(() => parseSource('hostpath:///data/../etc', '/pvc')).to.throw(DownloadError, /not allowed/);
    expect(() => parseSource('Qwen/Qwen2.5', '/pvc')).to.throw(DownloadError, /is not a URI/);
  });
  it('refuses listed names that would escape the output directory', () => {
    expect(safeRelative('a/b.json')).to.equal('a/b.json');
    for (const bad of ['../x', '/etc/passwd', 'a/../../x', '', './']) expect(() => safeRelative(bad), bad).to.throw(DownloadError, /unsafe file name/);
  });
  it('reads ListObjectsV2 pages', () => {
    const xml = '<ListBucketResult><IsTruncated>true</IsTruncated><NextContinuationToken>t&amp;2</NextContinuationToken><Contents><Key>m/a&amp;b</Key><Size>3</Size></Contents><Contents><Key>m/c</Key><Size>0</Size></Contents></ListBucketResult>';
    expect(parseListObjects(xml)).to.deep.equal({ objects: [{ key: 'm/a&b', size: 3 }, { key: 'm/c', size: 0 }], next: 't&2' });
    expect(parseListObjects('<ListBucketResult><IsTruncated>false</IsTruncated></ListBucketResult>')).to.deep.equal({ objects: [] });
  });
});

describe('download: runDownload against fixture servers (127.0.0.1)', function () {
  this.timeout(30_000);
  let dir: string;
  let server: FixtureServer | undefined;
  const lines: string[] = [];
  const log = (l: string) => void lines.push(l);
  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'mi-dl-'));
    lines.length = 0;
  });
  afterEach(async () => {
    await server?.close();
    server = undefined;
    rmSync(dir, { recursive: true, force: true });
  });
  const same = (out: string) => {
    for (const [name, body] of Object.entries(FILES)) expect(readFileSync(join(out, name)).equals(body), name).to.equal(true);
  };

  it('hf: every file of the repository with the token, progress lines, a marker; a second run fetches nothing', async () => {
    server = await startHubFixture({ repo: 'org/tiny', files: FILES, token: 'hf_x' });
    const env = { HF_ENDPOINT: server.url, HF_TOKEN: 'hf_x' };
    const out = join(dir, 'models', 'org', 'tiny');
    const r = await runDownload({ source: 'hf://org/tiny', outputDir: out, env, log, progressEveryMs: 0 });
    expect(r).to.include({ files: 3, fetched: 3, skipped: 0, alreadyDone: false });
    same(out);
    expect(JSON.parse(readFileSync(join(out, DONE_MARKER), 'utf8'))).to.include({ source: 'hf://org/tiny', files: 3 });
    expect(lines.some((l) => /^\[2\/3\] model\.safetensors: .* of 293\.0 KiB \(\d+%\)$/.test(l)), lines.join('\n')).to.equal(true);
    expect(lines).to.include('hf://org/tiny: 3 files, 293.0 KiB → ' + out);
    const before = server.requests.length;
    expect(await runDownload({ source: 'hf://org/tiny', outputDir: out, env, log })).to.include({ alreadyDone: true });
    expect(server.requests.length).to.equal(before);
  });

  it('hf: a dropped connection leaves a part file; the next run resumes it with a Range request', async () => {
    server = await startHubFixture({ repo: 'org/tiny', files: FILES, cut: { file: 'model.safetensors', bytes: 100_000 } });
    const env = { HF_ENDPOINT: server.url };
    let failed: unknown;
    await runDownload({ source: 'hf://org/tiny', outputDir: dir, env, log }).catch((e: unknown) => (failed = e));
    expect(failed).to.be.instanceOf(DownloadError);
    expect((failed as Error).message).to.match(/model\.safetensors: .*run again to resume/);
    expect(existsSync(join(dir, 'model.safetensors.part'))).to.equal(true);
    expect(existsSync(join(dir, DONE_MARKER))).to.equal(false);
    const r = await runDownload({ source: 'hf://org/tiny', outputDir: dir, env, log });
    same(dir);
    expect(r.skipped).to.equal(1); // config.json was complete
    expect(server.requests.filter((q) => q.includes('model.safetensors') && / bytes=\d+-$/.test(q))).to.have.length(1);
    expect(lines.some((l) => /model\.safetensors: .* \(resumed\)/.test(l))).to.equal(true);
  });

  it('two downloads into one directory at once: the second waits for the first, every file is fetched once', async () => {
    server = await startHubFixture({ repo: 'org/tiny', files: FILES });
    const env = { HF_ENDPOINT: server.url };
    const [a, b] = await Promise.all([runDownload({ source: 'hf://org/tiny', outputDir: dir, env, log, lockPollMs: 20 }), runDownload({ source: 'hf://org/tiny', outputDir: dir, env, log, lockPollMs: 20 })]);
    expect([a.alreadyDone, b.alreadyDone].sort()).to.deep.equal([false, true]);
    for (const name of Object.keys(FILES)) expect(server.requests.filter((q) => q === `GET /org/tiny/resolve/main/${name}`), name).to.have.length(1);
    same(dir);
  });

  it('a lock left by a dead process is taken over', async () => {
    server = await startHubFixture({ repo: 'org/tiny', files: FILES });
    writeFileSync(join(dir, '.mi-download.lock'), JSON.stringify({ pid: 2 ** 22 + 4711, host: (await import('node:os')).hostname(), startedAt: 'x' }));
    const r = await runDownload({ source: 'hf://org/tiny', outputDir: dir, env: { HF_ENDPOINT: server.url }, log, lockPollMs: 20 });
    expect(r.fetched).to.equal(3);
  });

  it('hf: a missing token and a missing repository are errors that say what to do', async () => {
    server = await startHubFixture({ repo: 'org/tiny', files: FILES, token: 'hf_x' });
    await runDownload({ source: 'hf://org/tiny', outputDir: dir, env: { HF_ENDPOINT: server.url }, log }).then(
      () => expect.fail('no error'),
      (e: Error) => expect(e.message).to.match(/refused org\/tiny \(HTTP 401\): a gated or private repository needs HF_TOKEN/),
    );
    await runDownload({ source: 'hf://org/other', outputDir: dir, env: { HF_ENDPOINT: server.url, HF_TOKEN: 'hf_x' }, log }).then(
      () => expect.fail('no error'),
      (e: Error) => expect(e.message).to.match(/org\/other at revision main not found/),
    );
  });

  it('s3: lists every page under the prefix and fetches with signed requests; wrong keys are refused', async () => {
    const objects = Object.fromEntries(Object.entries(FILES).map(([k, v]) => [`models/tiny/${k}`, v]));
    objects['other/x'] = Buffer.from('not ours');
    server = await startS3Fixture({ bucket: 'weights', objects, accessKeyId: 'AKIDTEST', secretAccessKey: 'secret', region: 'eu-west-1' });
    const env = { AWS_ENDPOINT_URL: server.url, AWS_REGION: 'eu-west-1', AWS_ACCESS_KEY_ID: 'AKIDTEST', AWS_SECRET_ACCESS_KEY: 'secret' };
    const r = await runDownload({ source: 's3://weights/models/tiny', outputDir: dir, env, log });
    expect(r).to.include({ files: 3, fetched: 3 });
    same(dir);
    expect(server.requests.filter((q) => q.includes('list-type=2'))).to.have.length(2);
    expect(existsSync(join(dir, 'x'))).to.equal(false);
    const bad = mkdtempSync(join(tmpdir(), 'mi-dl-bad-'));
    try {
      await runDownload({ source: 's3://weights/models/tiny', outputDir: bad, env: { ...env, AWS_SECRET_ACCESS_KEY: 'wrong' }, log }).then(
        () => expect.fail('no error'),
        (e: Error) => expect(e.message).to.match(/refused listing s3:\/\/weights\/models\/tiny\/ \(HTTP 403\): check AWS_ACCESS_KEY_ID/),
      );
    } finally {
      rmSync(bad, { recursive: true, force: true });
    }
  });

  it('hostpath: copies a directory tree', async () => {
    const src = join(dir, 'src');
    for (const [name, body] of Object.entries(FILES)) {
      mkdirSync(join(src, name, '..'), { recursive: true });
      writeFileSync(join(src, name), body);
    }
    const r = await runDownload({ source: `hostpath://${src}`, outputDir: join(dir, 'out'), env: {}, log });
    expect(r.fetched).to.equal(3);
    same(join(dir, 'out'));
    await runDownload({ source: `hostpath://${join(dir, 'nope')}`, outputDir: join(dir, 'out2'), env: {}, log }).then(
      () => expect.fail('no error'),
      (e: Error) => expect(e.message).to.match(/does not exist/),
    );
  });

  it('mi download: JSON result on stdout, progress on stderr; a bad source exits non-zero with the message', async () => {
    server = await startHubFixture({ repo: 'org/tiny', files: FILES });
    const ok = captureIO({ env: { HF_ENDPOINT: server.url } });
    expect(await runMi(['download', '--source', 'hf://org/tiny', '--output-dir', dir], ok.io)).to.equal(0);
    expect(JSON.parse(ok.out.join(''))).to.include({ source: 'hf://org/tiny', files: 3, fetched: 3 });
    expect(ok.err.join('\n')).to.match(/\[3\/3\] tokenizer\/tokenizer\.json/);
    const bad = captureIO();
    expect(await runMi(['download', '--source', 'ftp://x/y', '--output-dir', dir], bad.io)).to.not.equal(0);
    expect(bad.err.join('\n')).to.match(/unknown scheme ftp:\/\//);
  });
});
