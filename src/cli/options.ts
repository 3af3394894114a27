import { readFileSync } from 'node:fs';
import type { Command } from 'commander';
import pino, { type Logger } from 'pino';
import { ConfigError, loadConfig } from '../config/load.ts';
import type { Config } from '../config/schema.ts';
import { createLogger } from '../logger.ts';
import type { GlobalOptions } from './index.ts';

/** Loads the config from file, environment and the global flags of `cmd`, then `flags` (a command's own `key=value` options). */
export function configFrom(cmd: Command, flags: ReadonlyArray<[string, string]> = []): Config {
  const opts = cmd.optsWithGlobals<GlobalOptions>();
  const overrides: Array<[string, string]> = [];
  if (opts.dataDir !== undefined) overrides.push(['dataDir', opts.dataDir]);
  if (opts.databaseUrl !== undefined) overrides.push(['database.url', opts.databaseUrl]);
  if (opts.listen !== undefined) overrides.push(['listen', opts.listen]);
  if (opts.logLevel !== undefined) overrides.push(['log.level', opts.logLevel]);
  for (const pair of opts.set) {
    const eq = pair.indexOf('=');
    if (eq <= 0) throw new ConfigError(`--set expects key=value (got "${pair}")`);
    overrides.push([pair.slice(0, eq), pair.slice(eq + 1)]);
  }
  overrides.push(...flags);
  return loadConfig({ file: opts.config, overrides });
}

/** Commands other than serve log only warnings, to stderr, so their stdout stays clean. */
export function quietLogger(config: Config): Logger {
  return config.log.level === 'silent' ? createLogger('silent') : pino({ level: 'warn' }, pino.destination(2));
}

export function print(json: boolean, value: unknown, human: () => string): void {
  process.stdout.write(json ? `${JSON.stringify(value, null, 2)}\n` : `${human()}\n`);
}

/** A file an option names, or an error that says which file and what it was for. */
export function readText(path: string, what: string): string {
  try {
    return readFileSync(path, 'utf8');
  } catch (err) {
    throw new Error(`cannot read ${what} ${path}: ${(err as Error).message}`, { cause: err });
  }
}
