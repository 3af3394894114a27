import * as assert from 'node:assert/strict';
import { test } from 'node:test';
import { barText, progress } from './progress.ts';

/** A stream stand-in that records what is written. */
function stream(isTTY: boolean): NodeJS.WriteStream & { text: string } {
  const s = { isTTY, columns: 100, text: '', write(chunk: string) {
    s.text += chunk;
    return true;
  } };
  return s as unknown as NodeJS.WriteStream & { text: string };
}

test('the bar shows the fraction done, the count and the time taken', () => {
  assert.equal(barText('re-wrapping', 25, 100, 1500), `[${'#'.repeat(6)}${'-'.repeat(18)}]  25% re-wrapping 25/100 (1.5 s)`);
  assert.equal(barText('re-wrapping', 250, 100, 0), `[${'#'.repeat(24)}] 100% re-wrapping 250/100 (0 s)`);
  assert.equal(barText('steps', 3, undefined, 2000), 'steps: 3 (2 s)');
});

test('at a terminal the line is redrawn in place and cleared at the end; elsewhere steps are plain lines and bars are silent', () => {
  const tty = stream(true);
  const p = progress('lab', tty, () => 0);
  assert.equal(p.live, true);
  p.step('starting etcd');
  p.update('nodes', 1, 3);
  p.end();
  const clear = '\r\u001b[2K';
  assert.equal(tty.text, `${clear}lab starting etcd (0 s)${clear}lab [${'#'.repeat(8)}${'-'.repeat(16)}]  33% nodes 1/3 (0 s)${clear}`);
  const pipe = stream(false);
  const q = progress('lab', pipe);
  assert.equal(q.live, false);
  q.step('starting etcd');
  q.update('nodes', 1, 3);
  q.end();
  assert.equal(pipe.text, 'lab: starting etcd\n');
});
