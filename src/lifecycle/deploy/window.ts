import type { MaintenanceWindow, TargetSpec, Weekday } from './types.ts';

const WEEKDAYS: readonly Weekday[] = ['sun', 'mon', 'tue', 'wed', 'thu', 'fri', 'sat'];
const DAY_MINUTES = 1440;

const minutesOf = (hhmm: string): number => Number(hhmm.slice(0, 2)) * 60 + Number(hhmm.slice(3, 5));

/**
 * Whether `spec` may be deployed at `at`: always when it has no window. A window is UTC; its
 * `days` name the day it opens, so a 22:00–02:00 window on `fri` covers Friday 22:00 to
 * Saturday 02:00. The start minute is inside, the end minute is not.
 */
export function inMaintenanceWindow(spec: Pick<TargetSpec, 'window'>, at: Date): boolean {
  const w = spec.window;
  return w === undefined || windowContains(w, at);
}

function windowContains(w: MaintenanceWindow, at: Date): boolean {
  const minute = at.getUTCHours() * 60 + at.getUTCMinutes();
  const start = minutesOf(w.start);
  const end = minutesOf(w.end);
  const today = WEEKDAYS[at.getUTCDay()] as Weekday;
  const yesterday = WEEKDAYS[(at.getUTCDay() + 6) % 7] as Weekday;
  const opensOn = (day: Weekday): boolean => w.days === undefined || w.days.includes(day);
  if (start < end) return opensOn(today) && minute >= start && minute < end;
  // Crosses midnight: the evening part opened today, the morning part opened yesterday.
  return (opensOn(today) && minute >= start && minute < DAY_MINUTES) || (opensOn(yesterday) && minute < end);
}

/** The next time at or after `at` when the window is open (minute resolution, within a week); `at` itself without a window. */
export function nextWindowOpening(spec: Pick<TargetSpec, 'window'>, at: Date): Date {
  if (inMaintenanceWindow(spec, at)) return at;
  const first = Math.ceil(at.getTime() / 60_000) * 60_000;
  for (let t = first; t <= first + 7 * DAY_MINUTES * 60_000; t += 60_000) {
    if (inMaintenanceWindow(spec, new Date(t))) return new Date(t);
  }
  return at;
}
