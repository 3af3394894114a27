/**
 * A duration for people, the one formatter of the CLI and the drill reports: '—' when not
 * measured; '340 ms' under a second; seconds with one decimal under a minute ('1.2 s', '36 s', the
 * '.0' dropped so columns of round figures stay short); then two units at most, rounded to the
 * smaller: '2 min 6 s', '44 min', '3 h 5 min', '2 d 4 h'.
 */
export function humanDuration(ms: number | null): string {
  if (ms === null || !Number.isFinite(ms)) return '—';
  if (ms < 0) return `-${humanDuration(-ms)}`;
  // Rounded first so 999.7 ms reads '1 s', not '1000 ms', and 59.97 s reads '1 min', not '60 s'.
  if (Math.round(ms) === 0) return '0 s';
  if (Math.round(ms) < 1000) return `${Math.round(ms)} ms`;
  if (ms < 59_950) return `${(ms / 1000).toFixed(1).replace(/\.0$/, '')} s`;
  const seconds = Math.round(ms / 1000);
  if (seconds < 600) return twoUnits(Math.floor(seconds / 60), 'min', seconds % 60, 's');
  const minutes = Math.round(ms / 60_000);
  if (minutes < 60) return `${minutes} min`;
  if (minutes < 1440) return twoUnits(Math.floor(minutes / 60), 'h', minutes % 60, 'min');
  const hours = Math.round(ms / 3_600_000);
  return twoUnits(Math.floor(hours / 24), 'd', hours % 24, 'h');
}

function twoUnits(big: number, bigUnit: string, small: number, smallUnit: string): string {
  return small === 0 ? `${big} ${bigUnit}` : `${big} ${bigUnit} ${small} ${smallUnit}`;
}

const UNIT_MS: Record<string, number> = { ms: 1, s: 1000, m: 60_000, min: 60_000, h: 3_600_000, d: 86_400_000, w: 604_800_000 };

/**
 * A duration an operator types (`--ttl 30d`, `90m`, `1h30m`, `45s`, `500ms`): one or more
 * number-unit pairs, units ms, s, m or min, h, d, w. Throws an Error that shows the accepted form.
 */
export function parseDuration(text: string): number {
  const t = text.trim().toLowerCase();
  const parts = [...t.matchAll(/(\d+(?:\.\d+)?)\s*(ms|min|s|m|h|d|w)/g)];
  const consumed = parts.map((p) => p[0]).join('');
  if (parts.length === 0 || consumed.replace(/\s/g, '') !== t.replace(/\s/g, '')) {
    throw new Error(`"${text.slice(0, 40)}" is not a duration; write it like 45s, 90m, 12h, 30d or 1h30m`);
  }
  return Math.round(parts.reduce((sum, p) => sum + Number(p[1]) * (UNIT_MS[p[2] as string] as number), 0));
}
