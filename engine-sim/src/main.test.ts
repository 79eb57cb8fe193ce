import { expect } from 'chai';
import { spawn, type ChildProcess } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { parseArgs, parseCli } from './cli-args.js';
import { resolveOptions } from './config.js';

const BIN = fileURLToPath(new URL('../bin/mi-engine-sim.js', import.meta.url));

/** Starts the CLI and resolves with its URL once it prints the listening line. */
function startCli(args: string[]): Promise<{ child: ChildProcess; url: string; exit: Promise<number | null> }> {
  const child = spawn(process.execPath, [BIN, ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
  const exit = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
  return new Promise((resolve, reject) => {
    let out = '';
    let err = '';
    child.stderr!.on('data', (c: Buffer) => { err += c.toString(); });
    child.stdout!.on('data', (c: Buffer) => {
      out += c.toString();
      const m = /listening on (http:\/\/\S+)/.exec(out);
      if (m) resolve({ child, url: m[1], exit });
    });
    void exit.then((code) => reject(new Error(`exited ${code}: ${err}`)));
  });
}

describe('mi-engine-sim CLI', () => {
  const children: ChildProcess[] = [];
  afterEach(() => {
    for (const c of children) if (c.exitCode === null) c.kill('SIGKILL');
    children.length = 0;
  });

  it('parses flags over the profile', () => {
    const input = parseArgs(['--engine', 'sglang', '--profile', 'cpu-small', '--itl-ms', '3', '--lora-modules', 'a=/p/a', '--crash-after', '5', '--port', '0']);
    const o = resolveOptions(input);
    expect(o).to.include({ engine: 'sglang', profile: 'cpu-small', itlMs: 3, maxNumSeqs: 8, enableLora: true, port: 0 });
    expect(o.loraModules).to.deep.equal({ a: '/p/a' });
    expect(o.faults.crashAfter).to.equal(5);
    expect(resolveOptions({})).to.include({ prefillOverheadMs: 30, prefillMsPerToken: 0.25, itlMs: 12, maxNumSeqs: 256, maxModelLen: 32768, kvBlocks: 31250 });
  });

  it('accepts real-engine flags it does not model (returned as ignored) and vLLM spellings', () => {
    const { input, ignored } = parseCli(['--gpu-memory-utilization', '0.9', '--served-model-name', 'llama', '--model', '/models/llama',
      '--tensor-parallel-size=2', '--lora-modules', '{"name":"sql","path":"/a/sql"}', '--enforce-eager']);
    const o = resolveOptions(input);
    expect(o.model).to.equal('llama');
    expect(o.loraModules).to.deep.equal({ sql: '/a/sql' });
    expect(ignored).to.include.members(['--gpu-memory-utilization', '0.9', '--tensor-parallel-size=2', '--enforce-eager']);
  });

  it("parses Triton's model control flags (tritonserver's --name=value spelling) and TorchServe's management port", () => {
    const t = resolveOptions(parseArgs(['--engine', 'triton', '--model-control-mode=explicit', '--load-model=llama', '--load-model', 'embedder', '--model-repository=/models', '--repository-models', 'a,b']));
    expect(t).to.include({ modelControlMode: 'explicit', modelRepository: '/models' });
    expect(t.loadModels).to.deep.equal(['llama', 'embedder']);
    expect(t.repositoryModels).to.deep.equal(['a', 'b']);
    const ts = resolveOptions(parseArgs(['--engine', 'torchserve', '--management-port', '0', '--default-workers-per-model', '3']));
    expect(ts).to.include({ managementPort: 0, defaultWorkersPerModel: 3 });
    expect(resolveOptions({ engine: 'torchserve' })).to.include({ managementPort: undefined, defaultWorkersPerModel: 1, modelControlMode: 'none' });
  });

  it('rejects invalid values loudly', () => {
    expect(() => resolveOptions({ jitter: 2, maxNumSeqs: 0 })).to.throw(/jitter.*maxNumSeqs|maxNumSeqs.*jitter/);
    expect(() => resolveOptions({ profile: 'nope' })).to.throw(/unknown profile/);
    expect(() => resolveOptions({ profile: 'cpu-small', kvBlocks: 10 })).to.throw(/cannot hold one sequence of maxModelLen 4096/);
  });

  it('serves, then exits 0 on SIGTERM', async () => {
    const { child, url, exit } = await startCli(['--profile', 'cpu-small', '--port', '0']);
    children.push(child);
    const r = await fetch(`${url}/v1/completions`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ model: 'sim-small', prompt: 'hi', max_tokens: 2 }) });
    expect(r.status).to.equal(200);
    child.kill('SIGTERM');
    expect(await exit).to.equal(0);
  });

  it('--crash-after 1: the second request makes the process exit with code 70', async () => {
    const { child, url, exit } = await startCli(['--profile', 'cpu-small', '--port', '0', '--crash-after', '1']);
    children.push(child);
    const post = (): Promise<Response> => fetch(`${url}/v1/completions`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ model: 'sim-small', prompt: 'hi', max_tokens: 1 }) });
    expect((await post()).status).to.equal(200);
    await post().catch(() => undefined);
    expect(await exit).to.equal(70);
  });

  it('exits 2 on an invalid option', async () => {
    const child = spawn(process.execPath, [BIN, '--jitter', '5', '--port', '0'], { stdio: 'ignore' });
    children.push(child);
    const code = await new Promise<number | null>((resolve) => child.on('exit', (c) => resolve(c)));
    expect(code).to.equal(2);
  });
});
