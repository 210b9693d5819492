/**
 * Compose-file interpolation as the Compose Specification defines it: `$$` is a literal `$`;
 * `${VAR}` and `$VAR`; `${VAR:-default}` / `${VAR-default}` (unset or empty / unset only);
 * `${VAR:?error}` / `${VAR?error}` stop with the error.
 */
export class InterpolationError extends Error {}

const TOKEN = /\$(\$|\{([A-Za-z_][A-Za-z0-9_]*)(?:(:?[-?])([^}]*))?\}|([A-Za-z_][A-Za-z0-9_]*))/g;

export function interpolate(value: string, env: Record<string, string | undefined>): string {
  return value.replace(TOKEN, (whole, body: string, name?: string, op?: string, arg?: string, bare?: string) => {
    if (body === '$') return '$';
    const key = name ?? bare!;
    const v = env[key];
    const missing = op?.startsWith(':') ? v === undefined || v === '' : v === undefined;
    if (op === ':-' || op === '-') return missing ? arg! : v!;
    if (op === ':?' || op === '?') {
      if (missing) throw new InterpolationError(`${key} ${arg}`);
      return v!;
    }
    return v ?? '';
  });
}

/** The variable names a compose value refers to (`$$` escapes excluded). */
export function referencedVariables(value: string): string[] {
  return [...value.matchAll(TOKEN)].filter((m) => m[1] !== '$').map((m) => (m[2] ?? m[5])!);
}

/** `${VAR:?…}` references: variables compose refuses to run without. */
export function requiredVariables(value: string): string[] {
  return [...value.matchAll(TOKEN)].filter((m) => m[3] === ':?' || m[3] === '?').map((m) => m[2]!);
}
