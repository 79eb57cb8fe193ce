import { expect } from 'chai';
import { expectValid, getAt, loadExample, runInvalidCases, setAt, unsetAt } from '../testkit.js';

describe('ModelInfer schema', () => {
  const base = () => loadExample('modelinfer.yaml');

  it('accepts the example and defaults recovery and rollout', () => {
    const doc = base();
    const r = expectValid(doc);
    expect(getAt(r, 'spec.recoveryPolicy')).to.equal('RoleRecreate');
    expect(getAt(r, 'spec.template.roles[0].workerReplicas')).to.equal(0);
    expect(getAt(r, 'spec.template.roles[0].entryTemplate.spec.containers[0].ports[0].protocol')).to.equal('TCP');
  });

  it("takes MatrixInfer's rollout nesting, topology spread, network topology and any Kubernetes pod field", () => {
    const doc = base();
    for (const k of ['maxUnavailable', 'maxSurge', 'partition']) unsetAt(doc, `spec.rolloutStrategy.${k}`);
    setAt(doc, 'spec.rolloutStrategy.rollingUpdateConfiguration', { maxUnavailable: '25%', maxSurge: 1, partition: 0 });
    setAt(doc, 'spec.topologySpreadConstraints', [{ maxSkew: 1, topologyKey: 'zone', whenUnsatisfiable: 'ScheduleAnyway', labelSelector: { matchLabels: { a: 'b' } } }]);
    setAt(doc, 'spec.template.gangSchedule.networkTopology', { mode: 'soft', highestTierAllowed: 2 });
    const pod = 'spec.template.roles[0].entryTemplate.spec';
    setAt(doc, `${pod}.tolerations`, [{ key: 'gpu', operator: 'Exists' }]);
    setAt(doc, `${pod}.volumes`, [{ name: 'cache', emptyDir: {} }]);
    setAt(doc, `${pod}.containers[0].readinessProbe`, { httpGet: { path: '/health', port: 8000 } });
    setAt(doc, `${pod}.containers[0].envFrom`, [{ secretRef: { name: 'hf' } }]);
    setAt(doc, `${pod}.containers[0].ports[0].hostPort`, 8000);
    const r = expectValid(doc);
    expect(getAt(r, 'spec.topologySpreadConstraints[0].maxSkew')).to.equal(1);
  });

  runInvalidCases(base, [
    { name: 'flat and nested maxSurge', set: { 'spec.rolloutStrategy.rollingUpdateConfiguration': { maxSurge: 1 } }, path: 'spec.rolloutStrategy.maxSurge', message: 'keep only rollingUpdateConfiguration.maxSurge' },
    { name: 'nested maxSurge not int or percent', set: { 'spec.rolloutStrategy.rollingUpdateConfiguration': { maxUnavailable: 'half' } }, path: 'spec.rolloutStrategy.rollingUpdateConfiguration.maxUnavailable', message: 'percentage like "25%"' },
    { name: 'network topology mode', set: { 'spec.template.gangSchedule.networkTopology': { mode: 'strict' } }, path: 'spec.template.gangSchedule.networkTopology.mode', message: 'must be one of "hard", "soft"' },
    { name: 'topology spread without key', set: { 'spec.topologySpreadConstraints': [{ maxSkew: 1 }] }, path: 'spec.topologySpreadConstraints[0].topologyKey', message: 'is required' },
    { name: 'misspelt PodSpec field', set: { 'spec.template.roles[0].entryTemplate.spec.tolerations': [], 'spec.template.roles[0].entryTemplate.spec.nodeSelectr': {} }, path: 'spec.template.roles[0].entryTemplate.spec.nodeSelectr', message: 'did you mean "nodeSelector"' },
    { name: 'misspelt container field', set: { 'spec.template.roles[0].entryTemplate.spec.containers[0].volumeMount': [] }, path: 'spec.template.roles[0].entryTemplate.spec.containers[0].volumeMount', message: 'did you mean "volumeMounts"' },
    { name: 'no roles', set: { 'spec.template.roles': [] }, path: 'spec.template.roles', message: 'at least 1 item' },
    {
      name: 'five roles',
      mutate: (d) => {
        const roles = getAt(d, 'spec.template.roles') as unknown[];
        for (const n of ['a', 'b', 'c']) roles.push({ ...(roles[0] as object), name: n });
      },
      path: 'spec.template.roles',
      message: 'at most 4 items (got a list of 5 items)',
    },
    { name: 'duplicate role names', set: { 'spec.template.roles[1].name': 'prefill' }, path: 'spec.template.roles[1].name', message: 'duplicate role name "prefill"' },
    { name: 'bad recovery policy', set: { 'spec.recoveryPolicy': 'Restart' }, path: 'spec.recoveryPolicy', message: 'must be one of "InferGroupRecreate", "RoleRecreate", "None"' },
    { name: 'negative replicas', set: { 'spec.replicas': -1 }, path: 'spec.replicas', message: 'must be at least 0 (got -1)' },
    { name: 'workers without template', unset: ['spec.template.roles[1].workerTemplate'], path: 'spec.template.roles[1].workerTemplate', message: 'required when workerReplicas is greater than 0' },
    { name: 'maxSurge not int or percent', set: { 'spec.rolloutStrategy.maxSurge': 'half' }, path: 'spec.rolloutStrategy.maxSurge', message: 'percentage like "25%" (got "half")' },
    { name: 'gang role unknown', set: { 'spec.template.gangSchedule.minRoleReplicas.router': 1 }, path: 'spec.template.gangSchedule.minRoleReplicas.router', message: 'names no role' },
    { name: 'gang above role replicas', set: { 'spec.template.gangSchedule.minRoleReplicas.decode': 3 }, path: 'spec.template.gangSchedule.minRoleReplicas.decode', message: "greater than the role's replicas (3 > 2)" },
    { name: 'container without image', unset: ['spec.template.roles[0].entryTemplate.spec.containers[0].image'], path: 'spec.template.roles[0].entryTemplate.spec.containers[0].image', message: 'is required' },
    { name: 'port out of range', set: { 'spec.template.roles[0].entryTemplate.spec.containers[0].ports[0].containerPort': 70000 }, path: 'spec.template.roles[0].entryTemplate.spec.containers[0].ports[0].containerPort', message: 'between 1 and 65535 (got 70000)' },
    { name: 'env value not a string', set: { 'spec.template.roles[0].entryTemplate.spec.containers[0].env[0].value': 3 }, path: 'spec.template.roles[0].entryTemplate.spec.containers[0].env[0].value', message: 'must be a string (got 3)' },
    { name: 'role name with upper case', set: { 'spec.template.roles[0].name': 'Prefill' }, path: 'spec.template.roles[0].name', message: 'DNS-1123' },
    { name: 'restartGracePeriodSeconds as duration', set: { 'spec.template.restartGracePeriodSeconds': '30s' }, path: 'spec.template.restartGracePeriodSeconds', message: 'must be an integer' },
  ]);
});
