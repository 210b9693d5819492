import { describe, expect, it } from 'vitest';
import { dayKey, dayLabel, formatFullDateTime, listTime } from '../src/format.js';

// Local times, so the expectations hold in any time zone the tests run in.
const at = (month: number, day: number, hour = 12, year = 2026) =>
  new Date(year, month - 1, day, hour, 5).toISOString();
const NOW = new Date(2026, 10, 30, 9, 0); // Monday, November 30, 2026, 09:00

describe('dayLabel (day separators)', () => {
  it('says Today and Yesterday by local calendar day, in the given language', () => {
    expect(dayLabel(at(11, 30, 0), NOW, 'en-US')).toBe('Today');
    expect(dayLabel(at(11, 29, 23), NOW, 'en-US')).toBe('Yesterday');
    expect(dayLabel(at(11, 29, 0), NOW, 'de-DE')).toBe('Gestern');
  });

  it('names the weekday within the last week', () => {
    expect(dayLabel(at(11, 28), NOW, 'en-US')).toBe('Saturday');
    expect(dayLabel(at(11, 24), NOW, 'en-US')).toBe('Tuesday');
    expect(dayLabel(at(11, 24), NOW, 'fr-FR')).toBe('mardi');
  });

  it('gives the full date beyond a week, with the year only when it is not this one', () => {
    expect(dayLabel(at(11, 23), NOW, 'en-US')).toBe('Monday, November 23');
    expect(dayLabel(at(1, 2), NOW, 'en-US')).toBe('Friday, January 2');
    expect(dayLabel(at(12, 31, 12, 2025), NOW, 'en-US')).toBe('Wednesday, December 31, 2025');
    expect(dayLabel(at(12, 31, 12, 2025), NOW, 'de-DE')).toBe('Mittwoch, 31. Dezember 2025');
  });

  it('is a full date for a time in the future (a skewed clock), not "Today"', () => {
    expect(dayLabel(at(12, 2), NOW, 'en-US')).toBe('Wednesday, December 2');
  });
});

describe('formatFullDateTime (a message time on hover or focus)', () => {
  it('has the weekday, date, year and time', () => {
    expect(formatFullDateTime(at(11, 24, 14), 'en-US')).toMatch(/^Tuesday, November 24, 2026 at 2:05\sPM$/);
    expect(formatFullDateTime(at(11, 24, 14), 'en-GB')).toMatch(/^Tuesday,? 24 November 2026 at 14:05$/);
  });
});

describe('listTime (the room list)', () => {
  it('is a time today, then Yesterday, a short weekday and a short date', () => {
    expect(listTime(at(11, 30, 8), NOW, 'en-GB')).toMatch(/^0?8:05$/);
    expect(listTime(at(11, 29), NOW, 'en-US')).toBe('Yesterday');
    expect(listTime(at(11, 26), NOW, 'en-US')).toBe('Thu');
    expect(listTime(at(10, 3), NOW, 'en-US')).toBe('Oct 3');
    expect(listTime(at(10, 3, 12, 2024), NOW, 'en-US')).toBe('Oct 3, 24');
  });
});

describe('dayKey', () => {
  it('is the local calendar day, zero-padded for a dateTime attribute', () => {
    expect(dayKey(at(3, 7, 0))).toBe('2026-03-07');
    expect(dayKey(at(3, 7, 23))).toBe('2026-03-07');
  });
});
