// Durations of ModelServer traffic policies ("30s", "500ms", "1m30s") in milliseconds.
import { parseDurationMs } from '@matrixinfer/schemas';

/** Milliseconds of a duration string; undefined when absent or not a duration. */
export function durationMs(text: string | undefined): number | undefined {
  if (text === undefined) return undefined;
  const ms = parseDurationMs(text.trim());
  return ms === undefined ? undefined : Math.round(ms);
}
