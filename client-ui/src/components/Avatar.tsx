import { initials } from '../format.js';

/** Calm hues; a user keeps the same one everywhere (picked from a hash of their id). */
const HUES = [210, 250, 280, 330, 15, 35, 150, 175, 195];

function hueFor(seed: string): number {
  let h = 0;
  for (const ch of seed) h = (h * 31 + ch.charCodeAt(0)) >>> 0;
  return HUES[h % HUES.length]!;
}

interface AvatarProps {
  name: string;
  seed: string;
  size?: 'sm' | 'md' | 'lg';
}

/** Initials on a colour; decorative (the name is always shown or labelled next to it). */
export function Avatar({ name, seed, size = 'md' }: AvatarProps) {
  return (
    <span className={`avatar avatar--${size} avatar--hue-${hueFor(seed)}`} aria-hidden="true">
      {initials(name)}
    </span>
  );
}
