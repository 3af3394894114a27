import * as assert from 'node:assert/strict';
import { test } from 'node:test';
import { DOCUMENTED_CHECK, resolveDrainDelay } from './drain-delay.ts';
import { loadConfig } from './load.ts';

test('server.drainDelayMs unset: PostgreSQL drains past the documented health check, SQLite does not wait', () => {
  const config = loadConfig({ env: {} });
  assert.equal(config.server.drainDelayMs, undefined, 'the default is unset (chosen at start)');
  const pg = resolveDrainDelay(config.server.drainDelayMs, 'postgres');
  assert.ok(pg.ms > DOCUMENTED_CHECK.interMs * DOCUMENTED_CHECK.fall, `${pg.ms} ms must exceed inter × fall`);
  assert.equal(pg.ms, 2_000);
  assert.match(pg.why, /PostgreSQL.*inter 500 ms × fall 2/);
  assert.deepEqual(resolveDrainDelay(undefined, 'sqlite').ms, 0);
});

test('server.drainDelayMs set (file or CERTAINTY_DRAIN_DELAY_MS, parsed as a number) wins on either database', () => {
  const config = loadConfig({ env: { CERTAINTY_DRAIN_DELAY_MS: '750' } });
  assert.equal(config.server.drainDelayMs, 750);
  assert.deepEqual(resolveDrainDelay(config.server.drainDelayMs, 'postgres'), { ms: 750, why: 'server.drainDelayMs' });
  assert.equal(resolveDrainDelay(0, 'postgres').ms, 0);
  assert.throws(() => loadConfig({ env: { CERTAINTY_DRAIN_DELAY_MS: 'soon' } }), /server.drainDelayMs must be a number/);
});
