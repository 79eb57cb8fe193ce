// The engine container's preStop: wait until the engine has no running and no waiting request
// (polling its /metrics) or the drain budget is spent, so a scale-down or a rollout does not cut
// requests off. Written in Python because every engine image has python3 (the engines are
// Python programs), while curl or wget are not always there.
import type { DrainMetrics } from './types.js';

/** Seconds a preStop waits for requests to finish before it lets the engine stop. */
export const DRAIN_SECONDS = 300;
/** Seconds before the first poll, so routers stop sending new requests first. */
export const DRAIN_DELAY_SECONDS = 5;
/**
 * terminationGracePeriodSeconds of an engine pod: the whole drain plus time for the engine to
 * shut down after it (the kubelet counts the preStop against this grace).
 */
export const TERMINATION_GRACE_SECONDS = DRAIN_DELAY_SECONDS + DRAIN_SECONDS + 30;

/**
 * The Python program of the preStop. It reads the port from the PORT env var the container
 * has, sums the samples of the two gauges over every label set, and returns when the sum is 0,
 * when /metrics stops answering (the engine is gone) or when `seconds` are over.
 */
export function drainProgram(metrics: DrainMetrics, seconds = DRAIN_SECONDS, delaySeconds = DRAIN_DELAY_SECONDS): string {
  const names = JSON.stringify([metrics.running, metrics.waiting]);
  return [
    'import os, re, time, urllib.request',
    `names = set(${names})`,
    `end = time.time() + ${seconds}`,
    `time.sleep(${delaySeconds})`,
    metrics.metricsPort === undefined ? "url = 'http://127.0.0.1:%s/metrics' % os.environ.get('PORT', '8000')" : `url = 'http://127.0.0.1:${metrics.metricsPort}/metrics'`,
    "sample = re.compile(r'^([A-Za-z_:][A-Za-z0-9_:]*)(?:\\{[^}]*\\})?\\s+(\\S+)', re.M)",
    'while time.time() < end:',
    '    try:',
    "        text = urllib.request.urlopen(url, timeout=5).read().decode('utf-8', 'replace')",
    '    except Exception:',
    '        break',
    '    busy = sum(float(m.group(2)) for m in sample.finditer(text) if m.group(1) in names)',
    '    if busy <= 0:',
    '        break',
    '    time.sleep(1)',
  ].join('\n');
}

/** The preStop handler of an engine container. */
export function drainPreStop(metrics: DrainMetrics): { exec: { command: string[] } } {
  return { exec: { command: ['python3', '-c', drainProgram(metrics)] } };
}

/** The preStop of an engine without in-flight gauges: wait for routers to stop sending, then let it stop. */
export function delayPreStop(delaySeconds = DRAIN_DELAY_SECONDS): { exec: { command: string[] } } {
  return { exec: { command: ['sleep', String(delaySeconds)] } };
}
