// Pins the fields of shared/reference/kthena-api.md: removing or renaming one fails here.
import { expect } from 'chai';
import { allDefinitions, resolveRef } from './bundle.js';
import type { JsonSchema } from './kinds/types.js';

const defs = allDefinitions();

function deref(s: JsonSchema): JsonSchema {
  return typeof s.$ref === 'string' ? deref(resolveRef(s.$ref, defs)) : s;
}

/** The schema node at `a.b[].c` under a kind, or undefined. */
function nodeAt(kind: string, path: string): JsonSchema | undefined {
  let node: JsonSchema | undefined = deref(defs[kind]);
  for (const part of path.split('.')) {
    const name = part.replace(/\[\]$/, '');
    const props = node?.properties as Record<string, JsonSchema> | undefined;
    node = props?.[name] ? deref(props[name]) : undefined;
    if (node && part.endsWith('[]')) node = node.items ? deref(node.items as JsonSchema) : undefined;
  }
  return node;
}

const FIELDS: Record<string, string[]> = {
  Model: [
    'spec.name', 'spec.owner', 'spec.costExpansionRatePercent', 'spec.backends[].name', 'spec.backends[].type', 'spec.backends[].modelURI',
    'spec.backends[].cacheURI', 'spec.backends[].env[].name', 'spec.backends[].env[].value', 'spec.backends[].minReplicas',
    'spec.backends[].maxReplicas', 'spec.backends[].scalingCost', 'spec.backends[].routeWeight', 'spec.backends[].scaleToZeroGracePeriod',
    'spec.backends[].loraAdapters[].name', 'spec.backends[].loraAdapters[].artifactURL', 'spec.backends[].autoscalingPolicy',
    'spec.backends[].workers[].type', 'spec.backends[].workers[].image', 'spec.backends[].workers[].replicas', 'spec.backends[].workers[].pods',
    'spec.backends[].workers[].resources', 'spec.backends[].workers[].config', 'status.backendStatuses[].name',
    'status.backendStatuses[].replicas', 'status.conditions[].type',
  ],
  ModelInfer: [
    'spec.replicas', 'spec.schedulerName', 'spec.recoveryPolicy', 'spec.rolloutStrategy.type', 'spec.rolloutStrategy.maxUnavailable',
    'spec.rolloutStrategy.maxSurge', 'spec.rolloutStrategy.partition', 'spec.template.restartGracePeriodSeconds',
    'spec.template.gangSchedule.minRoleReplicas', 'spec.template.roles[].name', 'spec.template.roles[].replicas',
    'spec.template.roles[].entryTemplate.metadata.labels', 'spec.template.roles[].entryTemplate.spec.containers[].name',
    'spec.template.roles[].entryTemplate.spec.containers[].image', 'spec.template.roles[].entryTemplate.spec.containers[].command',
    'spec.template.roles[].entryTemplate.spec.containers[].args', 'spec.template.roles[].entryTemplate.spec.containers[].env[].value',
    'spec.template.roles[].entryTemplate.spec.containers[].ports[].containerPort', 'spec.template.roles[].entryTemplate.spec.containers[].resources',
    'spec.template.roles[].workerReplicas', 'spec.template.roles[].workerTemplate.spec.containers[].image', 'status.replicas',
    'status.currentReplicas', 'status.updatedReplicas', 'status.availableReplicas', 'status.currentRevision', 'status.updateRevision',
    'status.conditions[].status', 'status.labelSelector',
  ],
  ModelServer: [
    'spec.model', 'spec.inferenceEngine', 'spec.workloadSelector.matchLabels', 'spec.workloadSelector.pdGroup.groupKey',
    'spec.workloadSelector.pdGroup.prefillLabels', 'spec.workloadSelector.pdGroup.decodeLabels', 'spec.workloadPort.port',
    'spec.workloadPort.protocol', 'spec.trafficPolicy.timeout', 'spec.trafficPolicy.retry.attempts', 'spec.trafficPolicy.retry.retryInterval',
    'spec.kvConnector.type', 'status.conditions[].type',
  ],
  ModelRoute: [
    'spec.modelName', 'spec.loraAdapters[]', 'spec.rules[].name', 'spec.rules[].modelMatch.headers', 'spec.rules[].modelMatch.uri.exact',
    'spec.rules[].modelMatch.uri.prefix', 'spec.rules[].modelMatch.uri.regex', 'spec.rules[].modelMatch.body.model',
    'spec.rules[].targetModels[].modelServerName', 'spec.rules[].targetModels[].weight', 'spec.rateLimit.inputTokensPerUnit',
    'spec.rateLimit.outputTokensPerUnit', 'spec.rateLimit.unit', 'spec.rateLimit.global.redis.address', 'status.conditions[].type',
  ],
  AutoscalingPolicy: [
    'spec.metrics[].metricName', 'spec.metrics[].targetValue', 'spec.tolerancePercent', 'spec.behavior.scaleUp.stablePolicy.instances',
    'spec.behavior.scaleUp.stablePolicy.percent', 'spec.behavior.scaleUp.stablePolicy.period', 'spec.behavior.scaleUp.stablePolicy.selectPolicy',
    'spec.behavior.scaleUp.stablePolicy.stabilizationWindow', 'spec.behavior.scaleUp.panicPolicy.percent', 'spec.behavior.scaleUp.panicPolicy.period',
    'spec.behavior.scaleUp.panicPolicy.panicThresholdPercent', 'spec.behavior.scaleUp.panicPolicy.panicModeHold',
    'spec.behavior.scaleDown.stabilizationWindow', 'spec.behavior.scaleDown.instances', 'status.conditions[].type',
  ],
  AutoscalingPolicyBinding: [
    'spec.policyRef.name', 'spec.scalingConfiguration.target.targetRef.name', 'spec.scalingConfiguration.target.additionalMatchLabels',
    'spec.scalingConfiguration.target.metricEndpoint.uri', 'spec.scalingConfiguration.target.metricEndpoint.port',
    'spec.scalingConfiguration.minReplicas', 'spec.scalingConfiguration.maxReplicas', 'spec.optimizerConfiguration.params[].target.targetRef.name',
    'spec.optimizerConfiguration.params[].cost', 'spec.optimizerConfiguration.params[].minReplicas', 'spec.optimizerConfiguration.params[].maxReplicas',
    'spec.optimizerConfiguration.costExpansionRatePercent', 'status.desiredReplicas', 'status.currentReplicas', 'status.conditions[].type',
  ],
};

const DEFAULTS: Array<[string, string, unknown]> = [
  ['Model', 'spec.backends[].routeWeight', 100],
  ['Model', 'spec.backends[].scaleToZeroGracePeriod', '30s'],
  ['ModelInfer', 'spec.recoveryPolicy', 'RoleRecreate'],
  ['AutoscalingPolicy', 'spec.tolerancePercent', 10],
  ['AutoscalingPolicy', 'spec.behavior.scaleUp.panicPolicy.percent', 1000],
  ['AutoscalingPolicy', 'spec.behavior.scaleUp.panicPolicy.panicThresholdPercent', 200],
  ['AutoscalingPolicy', 'spec.behavior.scaleUp.panicPolicy.panicModeHold', '60s'],
];

describe('reference field coverage', () => {
  for (const [kind, paths] of Object.entries(FIELDS)) {
    it(`${kind} has every reference field`, () => {
      const missing = paths.filter((p) => nodeAt(kind, p) === undefined);
      expect(missing).to.deep.equal([]);
    });
  }

  for (const [kind, path, value] of DEFAULTS) {
    it(`${kind} ${path} defaults to ${JSON.stringify(value)}`, () => {
      const props = nodeAt(kind, path.split('.').slice(0, -1).join('.'))?.properties as Record<string, JsonSchema>;
      expect(props[path.split('.').pop() as string].default).to.equal(value);
    });
  }

  it('the path walker finds nothing where there is nothing', () => {
    expect(nodeAt('Model', 'spec.backends[].nope')).to.equal(undefined);
  });
});
