import pino, { type Logger, type LoggerOptions } from 'pino';
import pretty from 'pino-pretty';

/** `json` for collectors, `pretty` for people, `auto`: pretty when stdout is a terminal. */
export type LogFormat = 'auto' | 'json' | 'pretty';

/**
 * Structured logs on stdout: JSON lines, or one readable line per event for a person at a terminal.
 * Secrets are never passed to the logger; redaction is a second guard.
 */
export function createLogger(level: string, format: LogFormat = 'auto'): Logger {
  const options: LoggerOptions = {
    level,
    base: { pid: process.pid },
    redact: { paths: ['*.passphrase', '*.token', '*.hmacKey', '*.key', '*.authorization', 'headers.authorization'], censor: '[redacted]' },
    timestamp: pino.stdTimeFunctions.isoTime,
  };
  const tty = process.stdout.isTTY === true;
  if (format === 'json' || (format === 'auto' && !tty)) return pino(options);
  // Synchronous, like pino's own stdout writes, so nothing logged just before an exit is lost.
  return pino(options, pretty({ colorize: tty, sync: true, translateTime: 'SYS:HH:MM:ss.l', ignore: 'pid,hostname' }));
}
