import * as assert from 'node:assert/strict';
import { test } from 'node:test';
import { Command, Option } from 'commander';
import { bashCompletion } from './completion.ts';

test('the completion script lists every command path with its subcommands and options, and the choices of value options', () => {
  const program = new Command('certainty').option('-c, --config <file>', 'config');
  const token = program.command('token');
  token.command('create <name>').addOption(new Option('--role <role>').choices(['admin', 'machine'])).option('--json');
  token.command('list').option('--json');
  const script = bashCompletion(program);
  assert.match(script, /^ {4}''\) words='token --config -c --help' ;;$/m);
  assert.match(script, /^ {4}'token'\) words='create list --help' ;;$/m);
  assert.match(script, /^ {4}'token create'\) words='--role --json --help' ;;$/m);
  assert.match(script, /^ {4}'--role'\) takes=1; choices='admin machine' ;;$/m);
  assert.match(script, /^ {4}'--config'\) takes=1; choices='' ;;$/m);
  assert.doesNotMatch(script, /'--json'\) takes=1/);
  assert.match(script, /complete -o default -F _certainty_complete certainty\n$/);
});
