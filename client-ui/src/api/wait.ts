/**
 * A wait the server asked for, as people say it: "23 s", "56 minutes", "3 hours".
 * Rounded up, so the promised moment is never too early.
 */
export function describeWait(seconds: number): string {
  const s = Math.max(1, Math.ceil(seconds));
  // Seconds up to a minute and a half: a countdown reads better than "2 minutes" jumping to "89 s".
  if (s < 90) return `${s} s`;
  const minutes = Math.ceil(s / 60);
  if (minutes < 60) return minutes === 1 ? '1 minute' : `${minutes} minutes`;
  const hours = Math.ceil(minutes / 60);
  return hours === 1 ? '1 hour' : `${hours} hours`;
}

/** What the login and sign-up forms say on RATE_LIMITED. */
export function tooManyAttempts(retryAfterSec: number | undefined): string {
  return retryAfterSec === undefined
    ? 'Too many attempts. Wait a moment and try again.'
    : `Too many attempts. Try again in ${describeWait(retryAfterSec)}.`;
}
