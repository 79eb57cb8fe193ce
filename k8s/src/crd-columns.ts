// `kubectl get` columns of each kind: what an operator wants to see at a glance.
import type { KindName } from '@matrixinfer/schemas';

/** One additionalPrinterColumns entry (apiextensions.k8s.io/v1). */
export interface PrinterColumn {
  name: string;
  type: 'string' | 'integer' | 'number' | 'boolean' | 'date';
  jsonPath: string;
  description?: string;
  priority?: number;
}

const age: PrinterColumn = { name: 'Age', type: 'date', jsonPath: '.metadata.creationTimestamp' };

const condition = (type: string): PrinterColumn => ({
  name: type,
  type: 'string',
  jsonPath: `.status.conditions[?(@.type=="${type}")].status`,
});

/** Printer columns by kind. */
export const PRINTER_COLUMNS: Record<KindName, PrinterColumn[]> = {
  Model: [
    { name: 'Served-As', type: 'string', jsonPath: '.spec.name', description: 'Model name clients request' },
    condition('Active'),
    condition('Failed'),
    age,
  ],
  ModelInfer: [
    { name: 'Replicas', type: 'integer', jsonPath: '.spec.replicas', description: 'Desired inference groups' },
    { name: 'Updated', type: 'integer', jsonPath: '.status.updatedReplicas' },
    { name: 'Available', type: 'integer', jsonPath: '.status.availableReplicas' },
    { name: 'Recovery', type: 'string', jsonPath: '.spec.recoveryPolicy', priority: 1 },
    age,
  ],
  ModelServer: [
    { name: 'Engine', type: 'string', jsonPath: '.spec.inferenceEngine' },
    { name: 'Model', type: 'string', jsonPath: '.spec.model' },
    { name: 'Port', type: 'integer', jsonPath: '.spec.workloadPort.port' },
    { name: 'KV-Connector', type: 'string', jsonPath: '.spec.kvConnector.type', priority: 1 },
    { name: 'Ready', type: 'integer', jsonPath: '.status.readyEndpoints' },
    age,
  ],
  ModelRoute: [
    { name: 'Model', type: 'string', jsonPath: '.spec.modelName' },
    { name: 'LoRA', type: 'string', jsonPath: '.spec.loraAdapters', priority: 1 },
    { name: 'Rate-Unit', type: 'string', jsonPath: '.spec.rateLimit.unit', priority: 1 },
    age,
  ],
  AutoscalingPolicy: [
    { name: 'Metric', type: 'string', jsonPath: '.spec.metrics[0].metricName' },
    { name: 'Target', type: 'number', jsonPath: '.spec.metrics[0].targetValue' },
    { name: 'Tolerance', type: 'integer', jsonPath: '.spec.tolerancePercent', priority: 1 },
    age,
  ],
  AutoscalingPolicyBinding: [
    { name: 'Policy', type: 'string', jsonPath: '.spec.policyRef.name' },
    { name: 'Target', type: 'string', jsonPath: '.spec.scalingConfiguration.target.targetRef.name' },
    { name: 'Desired', type: 'integer', jsonPath: '.status.desiredReplicas' },
    { name: 'Current', type: 'integer', jsonPath: '.status.currentReplicas' },
    { name: 'Panic', type: 'boolean', jsonPath: '.status.panicMode', priority: 1 },
    age,
  ],
};
