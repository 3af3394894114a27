import pino, { type Logger } from 'pino';

/** Structured JSON logs on stdout. Secrets are never passed to the logger; redaction is a second guard. */
export function createLogger(level: string): Logger {
  return pino({
    level,
    base: { pid: process.pid },
    redact: { paths: ['*.passphrase', '*.token', '*.hmacKey', '*.key', '*.authorization', 'headers.authorization'], censor: '[redacted]' },
    timestamp: pino.stdTimeFunctions.isoTime,
  });
}
