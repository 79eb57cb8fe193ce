import { expect } from 'chai';
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { connect, type NatsConnection } from '@nats-io/transport-node';
import { jetstream, jetstreamManager } from '@nats-io/jetstream';
import winston from 'winston';
import { INSTANCES_DECISION, decisionSubject, ensureStreams, makeEvent, publishEvent, type InstanceSpec } from '@matrixinfer/events';
import { startNatsServer, type TestNatsServer } from '@matrixinfer/events/testing';
import { startK8sActuator, type K8sActuator } from '../../actuator/actuator.js';
import { kubectl, kubectlPath } from '../apiserver/kubectl.js';
import { startTestApiServer, type TestApiServer } from '../apiserver/server.js';
import { instanceSpec } from '../../actuator/testdata.js';
import { startStandInKubelet, type StandInKubelet } from './kubelet.js';

const CRD = fileURLToPath(new URL('../../../crds/modelinfers.workload.matrixinfer.ai.yaml', import.meta.url));
const SIM = fileURLToPath(new URL('../../../../engine-sim/bin/mi-engine-sim.js', import.meta.url));
const logger = winston.createLogger({ level: 'error', transports: [new winston.transports.Console({ silent: true })] });

async function until(cond: () => boolean, ms = 20_000): Promise<void> {
  const end = Date.now() + ms;
  while (!cond()) {
    if (Date.now() > end) throw new Error('condition not met in time');
    await new Promise((r) => setTimeout(r, 25));
  }
}

function alive(pid: number | undefined): boolean {
  if (pid === undefined) return false;
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

describe('stand-in kubelet + Kubernetes actuator (real simulators, real nats-server, test API server, real kubectl)', function () {
  this.timeout(60_000);
  let server: TestNatsServer;
  let nc: NatsConnection;
  let api: TestApiServer;
  let actuator: K8sActuator | undefined;
  let kubelet: StandInKubelet | undefined;
  const pids: number[] = [];
  before(async function () {
    if (!existsSync(SIM) || !kubectlPath()) this.skip(); // the engine-sim workspace or kubectl is missing
    server = await startNatsServer();
    nc = await connect({ servers: server.url });
    await ensureStreams(await jetstreamManager(nc));
    api = await startTestApiServer({ crds: [CRD], namespaces: ['default', 'ns'] });
  });
  after(async () => {
    await actuator?.stop();
    await kubelet?.stop();
    for (const pid of pids) expect(alive(pid), `simulator ${pid} still running after stop()`).to.equal(false);
    await api?.stop();
    await nc?.close();
    await server?.stop();
  });

  let generation = 1;
  async function decide(instances: InstanceSpec[]): Promise<void> {
    const subject = decisionSubject('infer', 'ns', 'llama');
    await publishEvent(jetstream(nc), subject, makeEvent(INSTANCES_DECISION, 'infer', subject, { modelInfer: 'llama', namespace: 'ns', generation: generation++, instances, reason: 'test' }));
  }
  const obs = (name: string) => actuator!.observations().find((o) => o.instance === name);

  it('decision → Pods → simulators on their own pod IPs → ready observations → delete a Pod → recovery (new incarnation) recreates it', async () => {
    const r = await kubectl(api, ['apply', '-n', 'ns', '-f', '-'], { input: 'apiVersion: workload.matrixinfer.ai/v1alpha1\nkind: ModelInfer\nmetadata: { name: llama }\nspec: { replicas: 2, template: { roles: [{ name: server, replicas: 1, entryTemplate: { spec: { containers: [{ name: e, image: "x:1" }] } } }] } }\n' });
    expect(r.code, r.stderr).to.equal(0);
    kubelet = startStandInKubelet({ kubeConfig: api.kubeConfig, simulatorCommand: [process.execPath, SIM], logger, probePeriodMs: 100, killGraceMs: 2000 });
    actuator = await startK8sActuator({ nc, kubeConfig: api.kubeConfig, logger, retryMs: 200 });
    await actuator.ready;
    const specs = [instanceSpec({ group: 0 }), instanceSpec({ group: 1 })];
    await decide(specs);
    await until(() => obs('llama-0-server-0-0')?.phase === 'ready' && obs('llama-1-server-0-0')?.phase === 'ready');
    const a = obs('llama-0-server-0-0')!.address!;
    const b = obs('llama-1-server-0-0')!.address!;
    expect(a).to.match(/^http:\/\/127\.0\.\d+\.\d+:8000$/);
    expect(a).to.not.equal(b);
    for (const addr of [a, b]) expect((await fetch(`${addr}/v1/models`)).status).to.equal(200);
    pids.push(...kubelet.running().map((r) => r.pid!));

    const pods = await kubectl(api, ['get', 'pods', '-n', 'ns', '-o', 'jsonpath={range .items[*]}{.metadata.name} {.status.podIP} {.metadata.ownerReferences[0].name}{"\\n"}{end}']);
    expect(pods.stdout.trim().split('\n').sort()).to.deep.equal([`llama-0-server-0-0 ${new URL(a).hostname} llama`, `llama-1-server-0-0 ${new URL(b).hostname} llama`]);

    // kubectl delete pod (graceful: the kubelet confirms): the simulator dies, the actuator reports `exited` and waits for recovery.
    const victim = kubelet.running().find((r) => r.key === 'ns/llama-1-server-0-0')!;
    const del = await kubectl(api, ['delete', 'pod', '-n', 'ns', 'llama-1-server-0-0', '--timeout=20s']);
    expect(del.code, del.stderr).to.equal(0);
    await until(() => obs('llama-1-server-0-0')?.phase === 'exited' && !alive(victim.pid));
    // The infer controller's RoleRecreate: same spec, incarnation 1.
    await decide([specs[0], { ...specs[1], incarnation: 1 }]);
    await until(() => obs('llama-1-server-0-0')?.phase === 'ready' && obs('llama-1-server-0-0')?.incarnation === 1);
    expect(obs('llama-0-server-0-0')?.phase).to.equal('ready');
    pids.push(...kubelet.running().map((r) => r.pid!));
  });
});
