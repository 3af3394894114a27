import * as assert from 'node:assert/strict';
import { test } from 'node:test';
import { Command, Option } from 'commander';
import { bashCompletion } from './completion.ts';

test('the completion script lists every command path with its subcommands and options, and the choices of value options', () => {
  const program = new Command('certainty').option('-c, --config <file>', 'config');
  const token = program.command('token');
  token.command('create <name>').addOption(new Option('--role <role>').choices(['admin', 'machine'])).option('--json');
  token.command('list').option('--json');
  token.command('sign').option('--role <name>', 'an SSH role, any name');
  const script = bashCompletion(program);
  assert.match(script, /^ {4}''\) echo 'token --config -c --help' ;;$/m);
  assert.match(script, /^ {4}'token'\) echo 'create list sign --help' ;;$/m);
  assert.match(script, /^ {4}'token create'\) echo '--role --json --help' ;;$/m);
  // An option's value and choices belong to its command: two --role options do not mix.
  assert.match(script, /^ {4}'token create\|--role'\) echo '=admin machine' ;;$/m);
  assert.match(script, /^ {4}'token sign\|--role'\) echo '=' ;;$/m);
  assert.match(script, /^ {4}'\|--config'\) echo '=' ;;$/m);
  assert.doesNotMatch(script, /--json'\) echo/);
  assert.match(script, /complete -o default -F _certainty_complete certainty\n$/);
});
