import { expect } from 'chai';
import { readFileSync } from 'node:fs';
import { InvalidResourcesError } from './errors.js';
import { validateManifests } from './service.js';

const policy = (metric: string): string => `apiVersion: registry.matrixinfer.ai/v1alpha1
kind: AutoscalingPolicy
metadata: { name: p1 }
spec:
  metrics:
    - metricName: ${metric}
      targetValue: 5
`;

describe('api/validateManifests', () => {
  it('accepts the example AutoscalingPolicy (metric names the autoscaler supports)', () => {
    const text = readFileSync(new URL('../../../examples/resources/autoscalingpolicy.yaml', import.meta.url), 'utf8');
    expect(validateManifests([{ text, source: 'autoscalingpolicy.yaml' }])).to.have.length(1);
  });

  it('accepts a policy on any Prometheus metric name (the collector reads every scraped family)', () => {
    expect(validateManifests([{ text: policy('gpu_temperature_celsius'), source: 'p.yaml' }])).to.have.length(1);
  });

  it('rejects at admission a policy whose metric the autoscaler cannot read, with its path', () => {
    let err: unknown;
    try {
      validateManifests([{ text: policy('"gpu temperature"'), source: 'p.yaml' }]);
    } catch (e) {
      err = e;
    }
    expect(err).to.be.instanceOf(InvalidResourcesError);
    const problems = (err as InvalidResourcesError).problems;
    expect(problems).to.have.length(1);
    expect(problems[0].path).to.equal('spec.metrics[0].metricName');
    expect(problems[0].message).to.match(/gpu temperature.*not a Prometheus metric name/);
  });
});
