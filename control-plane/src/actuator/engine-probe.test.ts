import { expect } from 'chai';
import { chmodSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { engineProbe, engineProgram, findProgram, pythonModuleOf } from './engine-probe.js';

describe('actuator/engine-probe', () => {
  let dir: string;
  before(() => {
    dir = mkdtempSync(join(tmpdir(), 'mi-probe-'));
    writeFileSync(join(dir, 'vllm'), '#!/bin/sh\nexit 0\n');
    chmodSync(join(dir, 'vllm'), 0o755);
    writeFileSync(join(dir, 'notexec'), 'x');
  });
  after(() => rmSync(dir, { recursive: true, force: true }));

  it('finds executables on PATH or by path, never a non-executable or a relative PATH entry', () => {
    expect(findProgram('vllm', `/nonexistent:${dir}`)).to.equal(join(dir, 'vllm'));
    expect(findProgram('vllm', '/nonexistent')).to.equal(undefined);
    expect(findProgram('notexec', dir)).to.equal(undefined);
    expect(findProgram(join(dir, 'vllm'), '')).to.equal(join(dir, 'vllm'));
    expect(findProgram('vllm', 'relative/dir')).to.equal(undefined);
  });

  it('reads the module of python -m commands only', () => {
    expect(pythonModuleOf(['python3', '-m', 'sglang.launch_server', '--port', '1'])).to.equal('sglang');
    expect(pythonModuleOf(['/usr/bin/python3.11', '-m', 'vllm.entrypoints.openai.api_server'])).to.equal('vllm');
    expect(pythonModuleOf(['vllm', 'serve', '-m', 'x'])).to.equal(undefined);
    expect(pythonModuleOf(['python3', 'script.py'])).to.equal(undefined);
  });

  it('probes a program by PATH and a python module by importing it (real python3 when there is one)', async function () {
    const probe = engineProbe({ PATH: `${dir}:${process.env.PATH ?? ''}` });
    expect(await probe(['vllm', 'serve', 'm'])).to.equal(true);
    expect(await probe(['no-such-engine-4711', 'serve'])).to.equal(false);
    if (findProgram('python3', process.env.PATH) === undefined) this.skip();
    expect(await probe(['python3', '-m', 'json.tool'])).to.equal(true);
    expect(await probe(['python3', '-m', 'sglang_not_installed_4711.launch_server'])).to.equal(false);
  });

  it('a sh -c script runs only when every command in it can (and bash FILE has its FILE)', async () => {
    writeFileSync(join(dir, 'prep.sh'), 'exit 0\n');
    const probe = engineProbe({ PATH: `${dir}:${process.env.PATH ?? ''}` });
    expect(await probe(['sh', '-c', `cd /tmp && export A=1; bash ${join(dir, 'prep.sh')} leader; exec vllm serve m --port $(PORT)`])).to.equal(true);
    expect(await probe(['sh', '-c', 'bash /vllm-workspace/examples/online_serving/multi-node-serving.sh leader; vllm serve m'])).to.equal(false);
    expect(await probe(['sh', '-c', 'no-such-engine-4711 serve m'])).to.equal(false);
    expect(await probe(['sh', '-c', ''])).to.equal(false);
  });

  it('names the engine of a command line as logs and conditions say it', () => {
    expect(engineProgram(['vllm', 'serve', 'm'])).to.equal('vllm');
    expect(engineProgram(['python3', '-m', 'sglang.launch_server'])).to.equal('sglang');
    expect(engineProgram(['sh', '-c', 'bash x.sh; python3 -m vllm.entrypoints.openai.api_server'])).to.equal('vllm');
    expect(engineProgram(['sh', '-c', 'bash x.sh worker'])).to.equal('bash');
  });
});
