// winston JSON logger of a gateway. Level `off` silences it (benchmarks).
import winston from 'winston';

/** Log levels accepted by --log-level. */
export type LogLevel = 'off' | 'error' | 'warn' | 'info' | 'debug';

/** A JSON logger tagged with the component and gateway name. */
export function createGatewayLogger(level: LogLevel, gateway: string): winston.Logger {
  return winston.createLogger({
    level: level === 'off' ? 'error' : level,
    silent: level === 'off',
    format: winston.format.combine(winston.format.timestamp(), winston.format.json()),
    defaultMeta: { component: 'gateway', gateway },
    transports: [new winston.transports.Console({ stderrLevels: ['error', 'warn', 'info', 'debug'] })],
  });
}
