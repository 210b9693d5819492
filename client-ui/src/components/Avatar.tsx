import type { CSSProperties } from 'react';
import { initials } from '../format.js';

/** Calm, well-separated hues; a user keeps the same one everywhere. */
const HUES = [350, 25, 45, 140, 175, 205, 235, 275, 320];

/**
 * FNV-1a with a final mix: ids made moments apart (MongoDB ObjectIds differ only in their
 * last bytes) still land on unrelated hues.
 */
function hueFor(seed: string): number {
  let h = 0x811c9dc5;
  for (const ch of seed) h = Math.imul(h ^ ch.charCodeAt(0), 0x01000193);
  h ^= h >>> 15;
  h = Math.imul(h, 0x85ebca6b);
  h ^= h >>> 13;
  return HUES[(h >>> 0) % HUES.length]!;
}

interface AvatarProps {
  name: string;
  seed: string;
  size?: 'sm' | 'md' | 'lg';
}

/**
 * Initials on a colour; decorative (the name is always shown or labelled next to it). The hue
 * goes in as a CSS custom property, set through the CSSOM, which the gateway's CSP allows.
 */
export function Avatar({ name, seed, size = 'md' }: AvatarProps) {
  const style = { '--hue': hueFor(seed) } as CSSProperties;
  return (
    <span className={`avatar avatar--${size}`} style={style} aria-hidden="true">
      {initials(name)}
    </span>
  );
}
