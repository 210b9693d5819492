import { useSyncExternalStore } from 'react';
import type { CallManager, CallState } from './call-manager.js';

/** The current call (or none), re-rendering on every change. */
export function useCallState(calls: CallManager): CallState | undefined {
  return useSyncExternalStore(calls.subscribe, calls.getSnapshot);
}
