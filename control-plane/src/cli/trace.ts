// The trace context of one `mi` invocation: TRACEPARENT from the environment when it is valid
// (a script or CI job that traces its steps, the OpenTelemetry environment-carrier convention),
// else a new trace for this command. Its desired events carry it, and so do the decisions they cause.
import { randomBytes } from 'node:crypto';
import { formatTraceparent, parseTraceparent } from '@matrixinfer/events';

/** Random bytes (passed in by tests). */
export type RandomBytes = (n: number) => Buffer;

/** The traceparent for this command's writes. */
export function cliTraceparent(env: Record<string, string | undefined>, random: RandomBytes = randomBytes): string {
  const given = env.TRACEPARENT;
  const p = parseTraceparent(given);
  if (p !== null) return formatTraceparent(p.traceId, p.parentId, p.flags);
  let trace = random(16).toString('hex');
  let span = random(8).toString('hex');
  // All-zero ids are invalid; astronomically rare, but a draw of zeros must not produce one.
  if (/^0+$/.test(trace)) trace = `${trace.slice(0, 31)}1`;
  if (/^0+$/.test(span)) span = `${span.slice(0, 15)}1`;
  return formatTraceparent(trace, span, 1);
}
