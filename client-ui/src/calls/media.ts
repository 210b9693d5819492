import type { CallMedia } from './signal-data.js';

/** A failure to open the camera or microphone, in words the user can act on. */
export class MediaUnavailable extends Error {}

/** Microphone, and camera for a video call; the browser asks the user the first time. */
export async function openLocalMedia(media: CallMedia): Promise<MediaStream> {
  if (!navigator.mediaDevices?.getUserMedia) {
    throw new MediaUnavailable('Calls need a secure page (https) and a browser with camera access.');
  }
  try {
    return await navigator.mediaDevices.getUserMedia({ audio: true, video: media === 'video' });
  } catch (err) {
    const name = err instanceof DOMException ? err.name : '';
    const what = media === 'video' ? 'camera and microphone' : 'microphone';
    if (name === 'NotAllowedError' || name === 'SecurityError') {
      throw new MediaUnavailable(`Permission to use the ${what} was denied. Allow it in the browser and try again.`);
    }
    if (name === 'NotFoundError' || name === 'OverconstrainedError') {
      throw new MediaUnavailable(`No ${what} found on this device.`);
    }
    if (name === 'NotReadableError' || name === 'AbortError') {
      throw new MediaUnavailable(`The ${what} is in use by another application.`);
    }
    throw new MediaUnavailable(`The ${what} could not be opened.`);
  }
}

export function stopMedia(stream: MediaStream | undefined): void {
  for (const track of stream?.getTracks() ?? []) track.stop();
}
