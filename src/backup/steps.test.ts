import * as assert from 'node:assert/strict';
import { test } from 'node:test';
import { stepProgress } from './steps.ts';

test('each step is reported as it starts with the steps done before it, then the end as all done', () => {
  const seen: string[] = [];
  const steps = stepProgress(['snapshot', 'hash', 'write'], (step, done, total) => seen.push(`${step} ${done}/${String(total)}`));
  steps.start('snapshot');
  steps.start('write');
  steps.finish();
  assert.deepEqual(seen, ['snapshot 0/3', 'write 2/3', 'done 3/3']);
  stepProgress(['a'], undefined).start('a');
});
