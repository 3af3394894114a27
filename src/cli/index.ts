import { Command, CommanderError, Option } from 'commander';
import { ConfigError } from '../config/load.ts';
import { isAppError } from '../errors.ts';
import { VERSION } from '../version.ts';
import { registerAdminCommands } from './admin-commands.ts';
import { registerTokenCommands } from './token-commands.ts';
import { registerAuditCommands } from './audit-commands.ts';
import { registerBackupCommands } from './backup-commands.ts';
import { registerClusterCommands } from './cluster-commands.ts';
import { registerCompletionCommand } from './completion.ts';
import { registerConsoleCommands } from './console-commands.ts';
import { registerDrillCommands } from './drill-commands.ts';
import { registerKekCommands } from './kek-commands.ts';
import { registerLabCommands } from './lab-commands.ts';
import { registerServerCommands } from './server-commands.ts';
import { registerSshCommands } from './ssh-commands.ts';
import { registerSecretCommands } from './secret-commands.ts';
import { registerLifecycleCommands } from './lifecycle-commands.ts';
import { registerNotifyCommands } from './notify-commands.ts';
import { registerProbeCommands } from './probe-commands.ts';

/** Options every command accepts; they override the config file and environment. */
export interface GlobalOptions {
  config?: string;
  dataDir?: string;
  databaseUrl?: string;
  listen?: string;
  set: string[];
  logLevel?: string;
}

function collect(value: string, previous: string[]): string[] {
  return [...previous, value];
}

export function buildProgram(): Command {
  const program = new Command('certainty')
    .description('Private certificate authority with an RFC 8555 ACME server')
    .version(VERSION)
    .addOption(new Option('-c, --config <file>', 'JSON config file (env CERTAINTY_CONFIG)'))
    .addOption(new Option('-d, --data-dir <dir>', 'data directory (env CERTAINTY_DATA_DIR)'))
    .addOption(new Option('--database-url <url>', 'postgres:// URL; unset = SQLite in the data directory (env CERTAINTY_DATABASE_URL)'))
    .addOption(new Option('--listen <host:port>', 'listen address (env CERTAINTY_LISTEN)'))
    .addOption(new Option('--log-level <level>', 'log level').choices(['trace', 'debug', 'info', 'warn', 'error', 'fatal', 'silent']))
    .addOption(new Option('--set <key=value>', 'set any config key, e.g. --set policy.maxValidityDays=30 (repeatable)').argParser(collect).default([]))
    .showHelpAfterError('(run with --help for usage)')
    .exitOverride();
  registerServerCommands(program);
  registerAdminCommands(program);
  registerTokenCommands(program);
  registerClusterCommands(program);
  registerBackupCommands(program);
  registerAuditCommands(program);
  registerKekCommands(program);
  registerLabCommands(program);
  registerDrillCommands(program);
  registerSshCommands(program);
  registerSecretCommands(program);
  registerLifecycleCommands(program);
  registerNotifyCommands(program);
  registerProbeCommands(program);
  registerConsoleCommands(program);
  registerCompletionCommand(program);
  return program;
}

/** Runs the CLI; resolves to the exit code. Errors print one clear line, never a stack trace. */
export async function run(argv: string[]): Promise<number> {
  const program = buildProgram();
  try {
    await program.parseAsync(argv);
    return typeof process.exitCode === 'number' ? process.exitCode : 0;
  } catch (err) {
    if (err instanceof CommanderError) return err.exitCode;
    if (err instanceof ConfigError) process.stderr.write(`certainty: ${err.message}\n`);
    else if (isAppError(err)) process.stderr.write(`certainty: ${err.detail}\n`);
    else process.stderr.write(`certainty: ${err instanceof Error ? err.message : String(err)}\n`);
    return 1;
  }
}
