// Typed errors of the metrics collector. Callers branch on `code`, never on messages.

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
  constructor(code: CollectorErrorCode, message: string, options?: { cause?: unknown }) {
    super(code, message, options);
  }
}

/** One endpoint's /metrics could not be read (connection refused, timeout, non-200). */
export class ScrapeFailedError extends CollectorError {
  override readonly name = 'ScrapeFailedError';
  constructor(message: string, cause?: unknown) {
    super(COLLECTOR_ERROR_CODES.scrapeFailed, message, { cause });
  }
}

/** An option passed to startCollector is invalid (fails at start-up, loudly). */
export class InvalidCollectorOptionError extends CollectorError {
  override readonly name = 'InvalidCollectorOptionError';
  constructor(message: string) {
    super(COLLECTOR_ERROR_CODES.invalidOption, message);
  }
}
