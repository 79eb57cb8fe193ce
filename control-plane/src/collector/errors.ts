// Typed errors of the metrics collector. Callers branch on `code`, never on messages.

import { codedErrors, codedFamily } from '@matrixinfer/events';
import { ControlPlaneError } from '../errors.js';

export const COLLECTOR_ERROR_CODES = {
  scrapeFailed: 'MI_ERR_COLLECTOR_SCRAPE_FAILED',
  invalidOption: 'MI_ERR_COLLECTOR_INVALID_OPTION',
  procUnavailable: 'MI_ERR_COLLECTOR_PROC_UNAVAILABLE',
} as const;

/** Base of every collector error; `code` is stable. */
export const CollectorError = codedFamily(ControlPlaneError, 'CollectorError', COLLECTOR_ERROR_CODES);

/** The CollectorError family, one class per stable code; `instanceof` each or branch on `code`. */
export const { ScrapeFailedError, InvalidCollectorOptionError, ProcUnavailableError } = codedErrors(CollectorError, {
  /** One endpoint's /metrics could not be read (connection refused, timeout, non-200). */
  ScrapeFailedError: COLLECTOR_ERROR_CODES.scrapeFailed,
  /** An option passed to startCollector is invalid (fails at start-up, loudly). */
  InvalidCollectorOptionError: COLLECTOR_ERROR_CODES.invalidOption,
  /** /proc cannot be listed (not Linux, or hidden): no CPU/memory signals for local replicas. */
  ProcUnavailableError: COLLECTOR_ERROR_CODES.procUnavailable,
});

