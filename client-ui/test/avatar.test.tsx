import { cleanup, render } from '@testing-library/react';
import { afterEach, describe, expect, it } from 'vitest';
import { Avatar } from '../src/components/Avatar.js';

afterEach(cleanup);

const hueOf = (seed: string) => {
  const { container } = render(<Avatar name="Ada Lovelace" seed={seed} />);
  const span = container.querySelector('span')!;
  return { hue: span.style.getPropertyValue('--hue'), text: span.textContent };
};

describe('Avatar', () => {
  it('shows initials and keeps one hue per user', () => {
    const a = hueOf('6925531c2b1e5c2b2a1f3e11');
    expect(a.text).toBe('AL');
    expect(hueOf('6925531c2b1e5c2b2a1f3e11').hue).toBe(a.hue);
  });

  it('ids made moments apart (consecutive ObjectIds) do not get neighbouring colours', () => {
    const hues = Array.from({ length: 12 }, (_, i) =>
      Number(hueOf(`6925531c2b1e5c2b2a1f3e${(16 + i).toString(16)}`).hue),
    );
    expect(new Set(hues).size).toBeGreaterThanOrEqual(5);
    const close = hues.slice(1).filter((h, i) => Math.min(Math.abs(h - hues[i]!), 360 - Math.abs(h - hues[i]!)) <= 40);
    expect(close.length).toBeLessThan(hues.length / 2);
  });
});
