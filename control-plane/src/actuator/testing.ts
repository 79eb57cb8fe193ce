// Test helpers of the actuator: a spec builder shared by its unit and integration tests.
import type { InstanceSpec } from '@matrixinfer/events';

/** A valid InstanceSpec for tests, with `overrides` applied. */
export function makeSpec(overrides: Partial<InstanceSpec> & { name: string }): InstanceSpec {
  return {
    namespace: 'default',
    modelInfer: 'mi1',
    group: 0,
    role: 'leader',
    roleIndex: 0,
    podIndex: 0,
    entry: true,
    revision: 'r1',
    engine: 'vLLM',
    command: [],
    args: [],
    env: {},
    labels: {},
    ...overrides,
  };
}
