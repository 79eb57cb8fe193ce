// Scheduler-side metrics of one gateway, registered in the gateway's own Registry: per-plugin
// time (one histogram labelled by plugin, children bound once per plugin name), live-config
// outcomes, published decisions and peer-sharing messages.
import { Counter, type Registry } from 'prom-client';
import { FastHistogram, type HistogramChild } from './fast-metrics.js';

// Plugins run in microseconds; the top buckets catch a pathological prompt or a slow custom plugin.
const PLUGIN_BUCKETS = [1e-6, 2.5e-6, 5e-6, 1e-5, 2.5e-5, 5e-5, 1e-4, 2.5e-4, 5e-4, 1e-3, 5e-3, 2.5e-2];

/** Metrics of the scheduler wiring; plugin names come from the registry (bounded). */
export class SchedulerMetrics {
  private readonly pluginTime: FastHistogram;
  private readonly pluginChildren = new Map<string, HistogramChild>();
  private readonly configUpdates: Counter<'result'>;
  readonly decisionsPublished: Counter<string>;
  private readonly peerMessages: Counter<'kind' | 'result'>;
  /** Bound once: `onPluginTime` of SchedulerDeps (no closure or label lookup per call). */
  readonly onPluginTime: (plugin: string, seconds: number) => void;

  constructor(registry: Registry) {
    const registers = [registry];
    this.pluginTime = new FastHistogram({
      name: 'mi_gateway_scheduler_plugin_duration_seconds',
      help: 'Time spent in each scheduler plugin (filter, scorer, picker) per request, on a sample of requests (1 in 16 by default)',
      labelNames: ['plugin'],
      buckets: PLUGIN_BUCKETS,
      registry,
    });
    this.configUpdates = new Counter({
      name: 'mi_gateway_scheduler_config_updates_total',
      help: 'Scheduler configurations read from mi-config, by result (applied, rejected)',
      labelNames: ['result'],
      registers,
    });
    this.decisionsPublished = new Counter({
      name: 'mi_gateway_scheduler_decisions_published_total',
      help: 'Scheduling decisions published on mi.decisions.gateway.<ns>.<model> (sampled or explain)',
      registers,
    });
    this.peerMessages = new Counter({
      name: 'mi_gateway_peer_messages_total',
      help: 'Messages exchanged with peer gateways, by kind (placement, inflight) and result (sent, applied, invalid)',
      labelNames: ['kind', 'result'],
      registers,
    });
    this.onPluginTime = (plugin: string, seconds: number): void => {
      let child = this.pluginChildren.get(plugin);
      if (child === undefined) {
        child = this.pluginTime.labels(plugin);
        this.pluginChildren.set(plugin, child);
      }
      child.observe(seconds);
    };
  }

  /** Counts one configuration read from mi-config. */
  configUpdate(result: 'applied' | 'rejected'): void {
    this.configUpdates.labels(result).inc();
  }

  /** Counts one peer-sharing message. */
  peerMessage(kind: 'placement' | 'inflight', result: 'sent' | 'applied' | 'invalid'): void {
    this.peerMessages.labels(kind, result).inc();
  }
}
