/**
 * Dates and names as the UI shows them, in the reader's locale and time zone (Intl). Every
 * date function takes an optional locale so tests can pin one; the app passes none.
 */

const formatters = new Map<string, Intl.DateTimeFormat>();

/** Intl formatters are costly to build and a long history formats thousands of dates: keep them. */
function dateFormat(locale: string | undefined, options: Intl.DateTimeFormatOptions): Intl.DateTimeFormat {
  const key = `${locale ?? ''}|${JSON.stringify(options)}`;
  let format = formatters.get(key);
  if (!format) {
    format = new Intl.DateTimeFormat(locale, options);
    formatters.set(key, format);
  }
  return format;
}

const DAY_MS = 86_400_000;

/** Whole local calendar days from `iso`'s day to `now`'s (0 = same day, 1 = yesterday; negative = future). */
export function daysAgo(iso: string, now: Date = new Date()): number {
  const d = new Date(iso);
  const start = (x: Date) => new Date(x.getFullYear(), x.getMonth(), x.getDate()).getTime();
  // Rounded: a day across a daylight-saving change is 23 or 25 hours long.
  return Math.round((start(now) - start(d)) / DAY_MS);
}

/** "14:05" or "2:05 PM": the time of a message. */
export function formatTime(iso: string, locale?: string): string {
  return dateFormat(locale, { hour: 'numeric', minute: '2-digit' }).format(new Date(iso));
}

/** "Monday, November 30, 2026 at 2:05 PM": a message's time in full, for its tooltip. */
export function formatFullDateTime(iso: string, locale?: string): string {
  return dateFormat(locale, { dateStyle: 'full', timeStyle: 'short' }).format(new Date(iso));
}

/** Local calendar day, as a key for grouping and a separator's `dateTime` ("2026-11-30"). */
export function dayKey(iso: string): string {
  const d = new Date(iso);
  const pad = (n: number) => String(n).padStart(2, '0');
  return `${d.getFullYear()}-${pad(d.getMonth() + 1)}-${pad(d.getDate())}`;
}

/** "Today"/"Yesterday" in the reader's language, with a capital as a heading needs. */
function relativeDay(days: 0 | 1, locale: string | undefined): string {
  const word = new Intl.RelativeTimeFormat(locale, { numeric: 'auto' }).format(-days, 'day');
  return word.charAt(0).toLocaleUpperCase(locale) + word.slice(1);
}

/**
 * A day separator: "Today", "Yesterday", the weekday within the last week ("Wednesday"),
 * then the date ("Monday, November 16"), with the year when it is not this one.
 */
export function dayLabel(iso: string, now: Date = new Date(), locale?: string): string {
  const d = new Date(iso);
  const days = daysAgo(iso, now);
  if (days === 0 || days === 1) return relativeDay(days, locale);
  if (days > 1 && days < 7) return dateFormat(locale, { weekday: 'long' }).format(d);
  const year = d.getFullYear() === now.getFullYear() ? {} : { year: 'numeric' as const };
  return dateFormat(locale, { weekday: 'long', month: 'long', day: 'numeric', ...year }).format(d);
}

/** The room list's "when": the time today, then "Yesterday", a short weekday, a short date. */
export function listTime(iso: string, now: Date = new Date(), locale?: string): string {
  const d = new Date(iso);
  const days = daysAgo(iso, now);
  if (days <= 0) return formatTime(iso, locale);
  if (days === 1) return relativeDay(1, locale);
  if (days < 7) return dateFormat(locale, { weekday: 'short' }).format(d);
  const year = d.getFullYear() === now.getFullYear() ? {} : { year: '2-digit' as const };
  return dateFormat(locale, { month: 'short', day: 'numeric', ...year }).format(d);
}

/** Up to two initials from a display name ("Ada Lovelace" → "AL"). */
export function initials(name: string): string {
  const words = name
    .trim()
    .split(/[\s._-]+/u)
    .filter(Boolean);
  const letters =
    words.length > 1 ? [words[0]!, words.at(-1)!].map((w) => [...w][0]) : [...(words[0] ?? '?')].slice(0, 2);
  return letters.join('').toUpperCase();
}
