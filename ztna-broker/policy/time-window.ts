/**
 * Time windows for rules (`timeWindow: { days, from, to, tz }`), compiled once at load.
 *
 * Rules enforced:
 * - Times are wall-clock `HH:MM` (00:00-23:59; `to` may also be 24:00 = end of day) in the named
 *   IANA zone, resolved through Intl (the tz database shipped with Node's ICU), so DST shifts
 *   move the window with local time. Unknown zones are refused at load, never defaulted to UTC.
 * - A window is half-open: from <= t < to.
 * - `from > to` is an overnight window: it opens on a listed day at `from` and closes at `to` on
 *   the following day (a Friday 22:00-06:00 window covers Saturday 05:59).
 * - `from == to` is refused: it is ambiguous between "never" and "all day" (write 00:00-24:00).
 * - No clock is read here: the caller passes the instant (epoch milliseconds).
 */

export const DAY_NAMES = ['sun', 'mon', 'tue', 'wed', 'thu', 'fri', 'sat'] as const;
export type DayName = (typeof DAY_NAMES)[number];

const WEEKDAY_INDEX: Readonly<Record<string, number>> = { Sun: 0, Mon: 1, Tue: 2, Wed: 3, Thu: 4, Fri: 5, Sat: 6 };
const HHMM = /^([01][0-9]|2[0-3]):([0-5][0-9])$/;

export interface TimeWindowSpec {
  readonly days: readonly DayName[];
  readonly from: string;
  readonly to: string;
  readonly tz: string;
}

export interface CompiledTimeWindow {
  /** Bit i set = day i (0 = Sunday) listed. */
  readonly dayMask: number;
  readonly fromMinute: number;
  readonly toMinute: number;
  readonly tz: string;
  readonly formatter: Intl.DateTimeFormat;
}

/** Minutes since midnight, or null when not a valid `HH:MM` (`24:00` only when `allowEnd`). */
export function parseClock(text: string, allowEnd = false): number | null {
  if (allowEnd && text === '24:00') return 1440;
  const m = HHMM.exec(text);
  if (m === null) return null;
  return Number(m[1]) * 60 + Number(m[2]);
}

const formatterCache = new Map<string, Intl.DateTimeFormat>();

/** The formatter for a zone, or null when Intl does not know the zone. */
export function zoneFormatter(tz: string): Intl.DateTimeFormat | null {
  if (typeof tz !== 'string' || tz.length === 0 || tz.length > 64) return null;
  const cached = formatterCache.get(tz);
  if (cached !== undefined) return cached;
  let f: Intl.DateTimeFormat;
  try {
    f = new Intl.DateTimeFormat('en-US', {
      timeZone: tz,
      weekday: 'short',
      hour: '2-digit',
      minute: '2-digit',
      hourCycle: 'h23',
    });
  } catch {
    return null;
  }
  formatterCache.set(tz, f);
  return f;
}

/** Validates and compiles; returns an error text instead of throwing. */
export function compileTimeWindow(spec: TimeWindowSpec): CompiledTimeWindow | string {
  const fromMinute = parseClock(spec.from);
  if (fromMinute === null) return 'from must be HH:MM (00:00-23:59)';
  const toMinute = parseClock(spec.to, true);
  if (toMinute === null) return 'to must be HH:MM (00:00-24:00)';
  if (fromMinute === toMinute) return 'from and to must differ (use 00:00-24:00 for a whole day)';
  if (spec.days.length === 0) return 'days must not be empty';
  let dayMask = 0;
  for (const d of spec.days) {
    const i = DAY_NAMES.indexOf(d);
    if (i < 0) return 'unknown day';
    dayMask |= 1 << i;
  }
  const formatter = zoneFormatter(spec.tz);
  if (formatter === null) return 'unknown time zone';
  return { dayMask, fromMinute, toMinute, tz: spec.tz, formatter };
}

interface LocalClock {
  readonly day: number;
  readonly minute: number;
}

/**
 * Last answer per zone, keyed by epoch second (zone offsets are whole seconds): formatToParts
 * costs microseconds, and a burst of requests asks the same few zones the same second.
 */
const clockMemo = new Map<string, { second: number; clock: LocalClock }>();

/** Local weekday (0 = Sunday) and minute of day of `nowMs` in the window's zone. */
export function localClock(w: CompiledTimeWindow, nowMs: number): LocalClock | null {
  if (!Number.isFinite(nowMs)) return null;
  const second = Math.floor(nowMs / 1000);
  const memo = clockMemo.get(w.tz);
  if (memo !== undefined && memo.second === second) return memo.clock;
  let day = -1;
  let hour = -1;
  let minute = -1;
  for (const p of w.formatter.formatToParts(nowMs)) {
    if (p.type === 'weekday') day = WEEKDAY_INDEX[p.value] ?? -1;
    else if (p.type === 'hour') hour = Number(p.value);
    else if (p.type === 'minute') minute = Number(p.value);
  }
  if (day < 0 || !(hour >= 0 && hour < 24) || !(minute >= 0 && minute < 60)) return null;
  const clock = { day, minute: hour * 60 + minute };
  clockMemo.set(w.tz, { second, clock });
  return clock;
}

export function inTimeWindow(w: CompiledTimeWindow, nowMs: number): boolean {
  const c = localClock(w, nowMs);
  if (c === null) return false;
  const today = (w.dayMask & (1 << c.day)) !== 0;
  if (w.fromMinute < w.toMinute) return today && c.minute >= w.fromMinute && c.minute < w.toMinute;
  // Overnight: the evening part belongs to today, the morning part to yesterday's window.
  const yesterday = (w.dayMask & (1 << ((c.day + 6) % 7))) !== 0;
  return (today && c.minute >= w.fromMinute) || (yesterday && c.minute < w.toMinute);
}
