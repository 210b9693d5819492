/** Longest stored file name, in characters (attachmentSchema.name). */
export const FILE_NAME_MAX = 255;

/**
 * The name a file is stored and offered under: the last path segment only (`/` and `\`),
 * control and bidi-override characters dropped, whitespace collapsed, leading dots removed (no
 * hidden or `..` names), at most 255 characters (an extension is kept when it can be);
 * `file` when nothing is left.
 */
export function sanitizeFileName(raw: string): string {
  const base = raw.split(/[/\\]/).pop() ?? '';
  const clean = base
    // eslint-disable-next-line no-control-regex
    .replace(/[\u0000-\u001F\u007F-\u009F\u200E\u200F\u202A-\u202E\u2066-\u2069]/g, '')
    .replace(/\s+/g, ' ')
    .trim()
    .replace(/^\.+/, '')
    .trim();
  if (clean === '') return 'file';
  const chars = [...clean];
  if (chars.length <= FILE_NAME_MAX) return clean;
  const dot = clean.lastIndexOf('.');
  const ext = dot > 0 ? [...clean.slice(dot)] : [];
  const keep = ext.length > 0 && ext.length <= 16 ? ext : [];
  return chars.slice(0, FILE_NAME_MAX - keep.length).join('') + keep.join('');
}
