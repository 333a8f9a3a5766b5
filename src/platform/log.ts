import { pino, type DestinationStream, type Logger } from 'pino';

export type { Logger };

/** Builds the process logger; credentials are redacted wherever a caller passes them by mistake. */
export function createLogger(level: string, destination?: DestinationStream): Logger {
  const options = {
    level,
    base: { service: 'tideline' },
    redact: {
      paths: [
        'password', '*.password', 'token', '*.token', 'secret', '*.secret',
        'authorization', '*.authorization', 'headers.authorization', 'headers["x-api-key"]',
        'connectionString', '*.connectionString',
      ],
      censor: '[redacted]',
    },
  };
  return destination ? pino(options, destination) : pino(options);
}
