/** Call controls' icons (decorative: each control carries its own label). */
import { Icon } from '../components/icons.js';

const HANDSET = 'M5 4h4l2 5-2.5 1.5a11 11 0 0 0 5 5L15 13l5 2v4a2 2 0 0 1-2 2A16 16 0 0 1 3 6a2 2 0 0 1 2-2';

export const PhoneIcon = () => (
  <Icon>
    <path d={HANDSET} />
  </Icon>
);

export const VideoIcon = () => (
  <Icon>
    <rect x="2" y="6" width="14" height="12" rx="2" />
    <path d="M16 10l6-3v10l-6-3z" />
  </Icon>
);

export const VideoOffIcon = () => (
  <Icon>
    <path d="M16 16v1a1 1 0 0 1-1 1H3a1 1 0 0 1-1-1V7a1 1 0 0 1 1-1h2m5 0h5a1 1 0 0 1 1 1v3.34l1 1L22 7v10" />
    <path d="M2 2l20 20" />
  </Icon>
);

export const MicIcon = () => (
  <Icon>
    <rect x="9" y="2" width="6" height="12" rx="3" />
    <path d="M5 10v1a7 7 0 0 0 14 0v-1M12 18v4" />
  </Icon>
);

export const MicOffIcon = () => (
  <Icon>
    <path d="M2 2l20 20M9 9v2a3 3 0 0 0 5.12 2.12M15 9.34V5a3 3 0 0 0-5.94-.6" />
    <path d="M17 16.95A7 7 0 0 1 5 11v-1m14 0v1a7 7 0 0 1-.11 1.23M12 18v4" />
  </Icon>
);

/** The phone handset laid down. */
export const HangUpIcon = () => (
  <Icon>
    <path transform="rotate(135 12 12)" d={HANDSET} />
  </Icon>
);
