import { pino, type Logger } from 'pino';

export type { Logger };

/** One JSON line per event. Secrets never reach a log call; `redact` is the safety net. */
export function createLogger(level: string, destination?: pino.DestinationStream): Logger {
  return pino(
    {
      level,
      base: { service: 'qrid' },
      redact: {
        paths: ['*.password', '*.secret', '*.token', '*.handle', '*.code', '*.cookie', '*.authorization'],
        censor: '[redacted]',
      },
      timestamp: pino.stdTimeFunctions.isoTime,
    },
    destination,
  );
}
