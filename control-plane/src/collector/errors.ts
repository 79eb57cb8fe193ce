// Typed errors of the metrics collector. Callers branch on `code`, never on messages.

import { codedError } from '@matrixinfer/events';
import { ControlPlaneError } from '../errors.js';

export const COLLECTOR_ERROR_CODES = {
  scrapeFailed: 'MI_ERR_COLLECTOR_SCRAPE_FAILED',
  invalidOption: 'MI_ERR_COLLECTOR_INVALID_OPTION',
} as const;

export type CollectorErrorCode = (typeof COLLECTOR_ERROR_CODES)[keyof typeof COLLECTOR_ERROR_CODES];

/** Base of every collector error; `code` is stable. */
export class CollectorError extends ControlPlaneError {
  override readonly name: string = 'CollectorError';
  declare readonly code: CollectorErrorCode;
}

/** One endpoint's /metrics could not be read (connection refused, timeout, non-200). */
export const ScrapeFailedError = codedError(CollectorError, 'ScrapeFailedError', COLLECTOR_ERROR_CODES.scrapeFailed);
export type ScrapeFailedError = InstanceType<typeof ScrapeFailedError>;

/** An option passed to startCollector is invalid (fails at start-up, loudly). */
export const InvalidCollectorOptionError = codedError(CollectorError, 'InvalidCollectorOptionError', COLLECTOR_ERROR_CODES.invalidOption);
export type InvalidCollectorOptionError = InstanceType<typeof InvalidCollectorOptionError>;
