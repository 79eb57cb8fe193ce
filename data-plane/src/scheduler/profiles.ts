// Named scheduler profiles: the default combination and one profile per single plugin, so a
// benchmark or an operator can pick one by name.
import type { SchedulerConfig } from './config.js';

const picker = { name: 'max-score' };

/** Freezes a profile all the way down: profiles are shared constants, never edited in place. */
function frozen<T>(v: T): T {
  if (v && typeof v === 'object') {
    for (const x of Object.values(v)) frozen(x);
    Object.freeze(v);
  }
  return v;
}

function single(name: string): SchedulerConfig {
  return frozen({ filters: [], scorers: [{ name, weight: 1 }], picker: { ...picker } });
}

/** The default profile (see README.md for the reasoning behind each weight). */
export const DEFAULT_SCHEDULER_CONFIG: SchedulerConfig = frozen({
  filters: [{ name: 'lora-affinity', onEmpty: 'keep' }],
  scorers: [
    { name: 'prefix-cache', weight: 3 },
    { name: 'least-request', weight: 2 },
    { name: 'kv-cache', weight: 1 },
  ],
  picker: { ...picker },
});

/** Profiles by name; `default` is DEFAULT_SCHEDULER_CONFIG. */
export const SCHEDULER_PROFILES: Readonly<Record<string, SchedulerConfig>> = Object.freeze({
  default: DEFAULT_SCHEDULER_CONFIG,
  random: single('random'),
  'round-robin': single('round-robin'),
  'least-request': single('least-request'),
  'least-latency': single('least-latency'),
  'kv-cache': single('kv-cache'),
  'prefix-cache': single('prefix-cache'),
  'session-affinity': single('session-affinity'),
});

/** The profile names, for CLI help and benchmark loops. */
export const SCHEDULER_PROFILE_NAMES: readonly string[] = Object.keys(SCHEDULER_PROFILES);
