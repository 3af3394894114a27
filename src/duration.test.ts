import * as assert from 'node:assert/strict';
import { test } from 'node:test';
import { humanDuration, parseDuration } from './duration.ts';

test('humanDuration: milliseconds, then seconds with one decimal, then two units at most', () => {
  const cases: Array<[number | null, string]> = [
    [null, '—'], [Number.NaN, '—'], [0, '0 s'], [0.4, '0 s'], [340, '340 ms'], [999.7, '1 s'], [1200, '1.2 s'], [2000, '2 s'],
    [8000, '8 s'], [36_420, '36.4 s'], [59_970, '1 min'], [60_000, '1 min'], [125_600, '2 min 6 s'], [599_600, '10 min'],
    [2_640_000, '44 min'], [2_683_700, '45 min'], [3_599_999, '1 h'], [11_100_000, '3 h 5 min'], [86_399_000, '1 d'], [187_200_000, '2 d 4 h'],
    [-1500, '-1.5 s'],
  ];
  for (const [ms, text] of cases) assert.equal(humanDuration(ms), text, `humanDuration(${String(ms)})`);
});

test('humanDuration never prints a raw count of seconds above a minute', () => {
  for (let ms = 60_000; ms < 400 * 86_400_000; ms = Math.ceil(ms * 1.37)) {
    const text = humanDuration(ms);
    assert.doesNotMatch(text, /^\d{3,} s|\.\d+ s/, `${ms} ms reads ${text}`);
  }
});

test('parseDuration reads what an operator types and refuses anything else with the accepted form', () => {
  const cases: Array<[string, number]> = [['45s', 45_000], ['90m', 5_400_000], ['90min', 5_400_000], ['12h', 43_200_000], ['30d', 2_592_000_000], ['1h30m', 5_400_000], ['500ms', 500], ['2w', 1_209_600_000], [' 1.5h ', 5_400_000]];
  for (const [text, ms] of cases) assert.equal(parseDuration(text), ms, text);
  for (const bad of ['', '30', 'd', '1y', '1h banana', '-5m', '5 m x']) assert.throws(() => parseDuration(bad), /is not a duration; write it like 45s/, bad);
});
