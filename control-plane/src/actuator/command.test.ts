import { expect } from 'chai';
import { buildLaunch, isSimulatorCommand, sameRoleReplica, type LaunchContext } from './command.js';
import { makeSpec } from './testing.js';

const ctx: LaunchContext = {
  port: 41000,
  simulator: ['/usr/bin/node', '/repo/node_modules/.bin/mi-engine-sim'],
  entryAddress: '127.0.0.1',
  entryPort: 41000,
  groupSize: 1,
  baseEnv: { PATH: '/usr/bin', HOME: '/root', UNSET: undefined },
};

describe('actuator/buildLaunch', () => {
  const cases = [
    { name: 'empty command runs the simulator with --port appended', command: [], args: ['--model', 'm'], file: '/usr/bin/node', argv: ['/repo/node_modules/.bin/mi-engine-sim', '--model', 'm', '--port', '41000'] },
    { name: 'mi-engine-sim command runs the simulator with its own flags', command: ['mi-engine-sim', '--itl-ms', '5'], args: [], file: '/usr/bin/node', argv: ['/repo/node_modules/.bin/mi-engine-sim', '--itl-ms', '5', '--port', '41000'] },
    { name: 'any other command runs verbatim', command: ['vllm', 'serve', 'Qwen/Qwen3-8B'], args: ['--max-num-seqs', '8'], file: 'vllm', argv: ['serve', 'Qwen/Qwen3-8B', '--max-num-seqs', '8', '--port', '41000'] },
    { name: '$(PORT) is substituted and nothing appended', command: ['python', '-m', 'sglang.launch_server'], args: ['--port=$(PORT)', '--host', '127.0.0.1'], file: 'python', argv: ['-m', 'sglang.launch_server', '--port=41000', '--host', '127.0.0.1'] },
    { name: '$(PORT) inside the command counts too', command: ['sh', '-c', 'exec server :$(PORT)'], args: [], file: 'sh', argv: ['-c', 'exec server :41000'] },
  ];
  for (const tc of cases) {
    it(tc.name, () => {
      const launch = buildLaunch(makeSpec({ name: 'a', command: tc.command, args: tc.args }), ctx);
      expect(launch.file).to.equal(tc.file);
      expect(launch.args).to.deep.equal(tc.argv);
    });
  }

  it('a simulated SGLang instance gets --engine sglang unless it chose an engine', () => {
    expect(buildLaunch(makeSpec({ name: 'a', engine: 'SGLang' }), ctx).args).to.include.members(['--engine', 'sglang']);
    const chosen = buildLaunch(makeSpec({ name: 'a', engine: 'SGLang', args: ['--engine=vllm'] }), ctx).args;
    expect(chosen).to.not.include('sglang');
    const real = buildLaunch(makeSpec({ name: 'a', engine: 'SGLang', command: ['python3'] }), ctx).args;
    expect(real).to.not.include('--engine');
  });

  it('never passes the NATS credentials of mi up on to an engine (#18)', () => {
    const { env } = buildLaunch(makeSpec({ name: 'a' }), { ...ctx, baseEnv: { PATH: '/usr/bin', MI_NATS_PASSWORD: 'p', MI_NATS_USER: 'u', MI_NATS_AUTH_FILE: '/f' } });
    expect(Object.keys(env).filter((k) => k.startsWith('MI_NATS_'))).to.deep.equal([]);
    expect(env.PATH).to.equal('/usr/bin');
  });

  it('passes the contract environment over the spec env and the inherited one', () => {
    const spec = makeSpec({ name: 'mi1-0-leader-0-1', group: 0, role: 'leader', podIndex: 1, entry: false, env: { HF_HOME: '/x', PORT: '1', PATH: '/opt/bin' } });
    const { env } = buildLaunch(spec, { ...ctx, port: 42000, entryPort: 41000, groupSize: 3 });
    expect(env).to.include({
      HF_HOME: '/x',
      PATH: '/opt/bin',
      HOME: '/root',
      PORT: '42000',
      MI_INSTANCE: 'mi1-0-leader-0-1',
      MI_ROLE: 'leader',
      MI_GROUP: '0',
      ENTRY_ADDRESS: '127.0.0.1',
      ENTRY_PORT: '41000',
      WORKER_INDEX: '1',
      GROUP_SIZE: '3',
    });
    expect(env).to.not.have.property('UNSET');
  });
});

describe('actuator/isSimulatorCommand and sameRoleReplica', () => {
  it('recognises the simulator by its first word only', () => {
    expect(isSimulatorCommand([])).to.equal(true);
    expect(isSimulatorCommand(['mi-engine-sim'])).to.equal(true);
    expect(isSimulatorCommand(['/x/node_modules/.bin/mi-engine-sim'])).to.equal(true);
    expect(isSimulatorCommand(['vllm', 'mi-engine-sim'])).to.equal(false);
  });
  it('groups instances by ModelInfer, group, role and role index', () => {
    const e = makeSpec({ name: 'e' });
    expect(sameRoleReplica(e, makeSpec({ name: 'w', podIndex: 1, entry: false }))).to.equal(true);
    expect(sameRoleReplica(e, makeSpec({ name: 'x', roleIndex: 1 }))).to.equal(false);
    expect(sameRoleReplica(e, makeSpec({ name: 'y', group: 1 }))).to.equal(false);
  });
});
