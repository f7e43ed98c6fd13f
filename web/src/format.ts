// Numbers and dates as the console shows them, in Chinese.

const zhNumber = new Intl.NumberFormat("zh-CN");

/** count formats a count with grouping: 12,345. */
export function count(n: number | null | undefined): string {
  return n == null || !Number.isFinite(n) ? "—" : zhNumber.format(n);
}

/** percent formats a 0..1 ratio as a whole percentage: 0.734 → "73%". */
export function percent(r: number | null | undefined): string {
  return r == null || !Number.isFinite(r) ? "—" : `${Math.round(r * 100)}%`;
}

const zhRate = new Intl.NumberFormat("zh-CN", { style: "percent", maximumFractionDigits: 1 });

/** rate formats a 0..1 share with one decimal: 0.7345 → "73.5%"; null (nothing to divide) → "—". */
export function rate(r: number | null | undefined): string {
  return r == null || !Number.isFinite(r) ? "—" : zhRate.format(r);
}

/** signed formats a change with its sign: 12 → "+12", -3 → "-3", 0 → "0". */
export function signed(n: number | null | undefined): string {
  if (n == null || !Number.isFinite(n)) return "—";
  return n > 0 ? `+${count(n)}` : count(n);
}

/** labelled joins a label and a value the Chinese way: "覆盖率 73%". */
export function labelled(label: string, value: string): string {
  return `${label} ${value}`;
}

function pad(n: number): string {
  return String(n).padStart(2, "0");
}

/** China Standard Time is UTC+8 all year (no daylight saving). */
const CST_MS = 8 * 3600 * 1000;

function cst(d: Date): Date {
  return new Date(d.getTime() + CST_MS);
}

function toDate(v: string | number | Date | null | undefined): Date | null {
  if (v == null || v === "") return null;
  const d = typeof v === "number" ? new Date(v * 1000) : new Date(v);
  return Number.isNaN(d.getTime()) ? null : d;
}

/**
 * date formats an instant as its date in Beijing time: "2026年2月20日".
 * A number is Unix seconds (as the tiles carry `last_inspected_at`); a
 * plain date "2011-03-18" is taken as that day.
 */
export function date(v: string | number | Date | null | undefined): string {
  if (typeof v === "string" && /^\d{4}-\d{2}-\d{2}$/.test(v)) {
    const [y, m, d] = v.split("-").map(Number);
    return `${y}年${m}月${d}日`;
  }
  const d = toDate(v);
  if (!d) return "—";
  const c = cst(d);
  return `${c.getUTCFullYear()}年${c.getUTCMonth() + 1}月${c.getUTCDate()}日`;
}

/** dateTime formats an instant in Beijing time: "2026-02-20 10:02". */
export function dateTime(v: string | number | Date | null | undefined): string {
  const d = toDate(v);
  if (!d) return "—";
  const c = cst(d);
  return `${c.getUTCFullYear()}-${pad(c.getUTCMonth() + 1)}-${pad(c.getUTCDate())} ${pad(c.getUTCHours())}:${pad(c.getUTCMinutes())}`;
}

/** daysSince gives whole days from an instant to now, or null. */
export function daysSince(v: string | number | Date | null | undefined, now: Date = new Date()): number | null {
  const d = toDate(v);
  return d ? Math.floor((now.getTime() - d.getTime()) / 86400000) : null;
}

/** ago says how long ago in days: "今天", "3 天前", "从未" for never. */
export function ago(v: string | number | Date | null | undefined, now: Date = new Date()): string {
  const n = daysSince(v, now);
  if (n == null) return "从未";
  if (n <= 0) return "今天";
  return `${count(n)} 天前`;
}

/** score formats a 0..1 match score as two decimals. */
export function score(s: number | null | undefined): string {
  return s == null || !Number.isFinite(s) ? "—" : s.toFixed(2);
}
