// Test data of the actuator's pure cores: InstanceSpecs as the infer controller renders them.
import { INSTANCE_LABELS, type InstanceSpec } from '@matrixinfer/events';
import type { PodTemplate } from '@matrixinfer/schemas';

/** A Pod template with most fields the actuator must pass through. */
export function richTemplate(): PodTemplate {
  return {
    metadata: { labels: { team: 'ml' }, annotations: { 'example.com/note': 'kept' } },
    spec: {
      containers: [
        {
          name: 'engine',
          image: 'vllm/vllm-openai:v0.9.0',
          command: ['vllm', 'serve'],
          args: ['--port', '$(PORT)', '--model', 'qwen'],
          env: [{ name: 'HF_TOKEN', valueFrom: { secretKeyRef: { name: 'hf', key: 'token' } } }, { name: 'LOG', value: 'debug' }],
          envFrom: [{ configMapRef: { name: 'engine-config' } }],
          ports: [{ name: 'http', containerPort: 8100 }],
          resources: { limits: { 'nvidia.com/gpu': 1, memory: '16Gi' }, requests: { cpu: '2' } },
          volumeMounts: [{ name: 'cache', mountPath: '/root/.cache' }],
          readinessProbe: { httpGet: { path: '/ready', port: 8100 } },
          livenessProbe: { httpGet: { path: '/health', port: 8100 } },
        },
      ],
      initContainers: [{ name: 'download', image: 'matrixinfer/mi:latest', command: ['mi', 'download'] }],
      volumes: [{ name: 'cache', emptyDir: {} }],
      topologySpreadConstraints: [{ maxSkew: 1, topologyKey: 'kubernetes.io/hostname', whenUnsatisfiable: 'ScheduleAnyway' }],
      nodeSelector: { gpu: 'a100' },
    },
  };
}

/** An InstanceSpec of ModelInfer `mi` (namespace `ns`), as renderGroup makes it. */
export function instanceSpec(over: Partial<InstanceSpec> & { group?: number; role?: string; roleIndex?: number; podIndex?: number; workers?: number } = {}): InstanceSpec {
  const mi = over.modelInfer ?? 'llama';
  const group = over.group ?? 0;
  const role = over.role ?? 'server';
  const roleIndex = over.roleIndex ?? 0;
  const podIndex = over.podIndex ?? 0;
  const revision = over.revision ?? 'rev1';
  const name = `${mi}-${group}-${role}-${roleIndex}-${podIndex}`;
  const spec: InstanceSpec = {
    name,
    namespace: over.namespace ?? 'ns',
    modelInfer: mi,
    group,
    role,
    roleIndex,
    podIndex,
    entry: podIndex === 0,
    revision,
    engine: 'vLLM',
    command: ['mi-engine-sim'],
    args: ['--model', 'llama'],
    env: {
      GROUP_SIZE: String((over.workers ?? 0) + 1),
      WORKER_INDEX: String(podIndex),
      MI_ENTRY_INSTANCE: `${mi}-${group}-${role}-${roleIndex}-0`,
      MI_GROUP: `${mi}-${group}`,
      MI_ROLE: role,
      MI_ROLE_INDEX: String(roleIndex),
    },
    labels: {
      [INSTANCE_LABELS.modelInfer]: mi,
      [INSTANCE_LABELS.group]: `${mi}-${group}`,
      [INSTANCE_LABELS.role]: role,
      [INSTANCE_LABELS.roleId]: `${role}-${roleIndex}`,
      [INSTANCE_LABELS.revision]: revision,
      [INSTANCE_LABELS.entry]: podIndex === 0 ? 'true' : 'false',
    },
  };
  for (const k of ['template', 'schedulerName', 'topologySpreadConstraints', 'incarnation', 'command', 'args'] as const) {
    if (over[k] !== undefined) (spec as unknown as Record<string, unknown>)[k] = over[k];
  }
  return spec;
}
