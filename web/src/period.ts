// The statistics' period: from and to months, "YYYY-MM", both included.
// The server's default is the 12 months ending with the current month in
// Beijing time; the console asks for the same explicitly, so what the
// period selector shows is what every chart and table was asked for.

/** Period is a range of whole months, from and to included. */
export interface Period {
  from: string;
  to: string;
}

const MONTH_RE = /^(\d{4})-(0[1-9]|1[0-2])$/;

/** validMonth reports whether s is a month "YYYY-MM". */
export function validMonth(s: string): boolean {
  return MONTH_RE.test(s);
}

/** beijingMonth is the month an instant falls in, Beijing time (UTC+8 all year). */
export function beijingMonth(now: Date): string {
  const d = new Date(now.getTime() + 8 * 3600 * 1000);
  return `${d.getUTCFullYear()}-${String(d.getUTCMonth() + 1).padStart(2, "0")}`;
}

/** addMonths moves a month by n (negative: back): addMonths("2026-01", -1) is "2025-12". */
export function addMonths(month: string, n: number): string {
  const m = MONTH_RE.exec(month);
  if (!m) throw new Error(`period: not a month: ${month}`);
  const i = Number(m[1]) * 12 + (Number(m[2]) - 1) + n;
  return `${Math.floor(i / 12)}-${String((i % 12) + 1).padStart(2, "0")}`;
}

/** monthsBetween counts the months of a period, both ends included. */
export function monthsBetween(p: Period): number {
  const [fy, fm] = p.from.split("-").map(Number) as [number, number];
  const [ty, tm] = p.to.split("-").map(Number) as [number, number];
  return (ty * 12 + tm) - (fy * 12 + fm) + 1;
}

/** defaultPeriod is the 12 months ending with the current month in Beijing time. */
export function defaultPeriod(now: Date = new Date()): Period {
  const to = beijingMonth(now);
  return { from: addMonths(to, -11), to };
}

/** previousPeriod is the period of the same length just before p (what hot spots compare with). */
export function previousPeriod(p: Period): Period {
  const n = monthsBetween(p);
  return { from: addMonths(p.from, -n), to: addMonths(p.from, -1) };
}

/**
 * readPeriod takes a period from the address bar's from and to, falling
 * back to the default for a missing or malformed one or a reversed range.
 */
export function readPeriod(from: string | null | undefined, to: string | null | undefined, now: Date = new Date()): Period {
  const d = defaultPeriod(now);
  const p = { from: from && validMonth(from) ? from : d.from, to: to && validMonth(to) ? to : d.to };
  return p.from <= p.to ? p : d;
}

/** isDefault reports whether p is the default period (and so need not be in the address bar). */
export function isDefault(p: Period, now: Date = new Date()): boolean {
  const d = defaultPeriod(now);
  return p.from === d.from && p.to === d.to;
}

/** monthLabel writes a month the Chinese way: "2026年3月". */
export function monthLabel(month: string): string {
  const m = MONTH_RE.exec(month);
  return m ? `${m[1]}年${Number(m[2])}月` : month;
}

/** periodLabel writes a period: "2025年4月至2026年3月", or one month alone. */
export function periodLabel(p: Period): string {
  return p.from === p.to ? monthLabel(p.from) : `${monthLabel(p.from)}至${monthLabel(p.to)}`;
}
