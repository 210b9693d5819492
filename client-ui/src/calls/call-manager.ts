import {
  callConfigSchema,
  callSignalAckSchema,
  callSignalSchema,
  type CallSignal,
  type CallSignalType,
  type ErrorCode,
  type IceServer,
  type PublicUser,
} from '@chat/contracts';
import type { ChatSocket } from '../chat/chat-client.js';
import { MediaUnavailable, openLocalMedia, stopMedia } from './media.js';
import {
  endDataSchema,
  iceDataSchema,
  MAX_CANDIDATES_PER_SIGNAL,
  ringDataSchema,
  sdpDataSchema,
  type CallMedia,
  type EndReason,
} from './signal-data.js';

/** The states a call shows (docs/calls.md has the whole exchange). */
export type CallPhase = 'calling' | 'ringing' | 'connecting' | 'connected' | 'ended' | 'missed' | 'failed';
const FINAL_PHASES: ReadonlySet<CallPhase> = new Set(['ended', 'missed', 'failed']);

export interface CallState {
  callId: string;
  peer: { id: string; name: string };
  direction: 'outgoing' | 'incoming';
  media: CallMedia;
  phase: CallPhase;
  /** For ended, missed and failed: what happened, in words. */
  detail?: string;
  /** When the media first flowed (epoch ms), for the duration. */
  connectedAt?: number;
  micMuted: boolean;
  cameraOff: boolean;
  localStream?: MediaStream;
  remoteStream?: MediaStream;
}

/** Wiring of one call that the view never needs. */
interface Session {
  callId: string;
  peerId: string;
  pc?: RTCPeerConnection;
  /** The caller's offer, kept while the callee's device rings. */
  offer?: RTCSessionDescriptionInit;
  /** The callee chose to answer; the offer may still be on its way. */
  accepted: boolean;
  /** Candidates from the peer before its description was applied. */
  remoteCandidates: RTCIceCandidateInit[];
  /** Own candidates, held until our ring/answer is acked (so the peer knows the call first). */
  localCandidates: RTCIceCandidateInit[];
  canSendIce: boolean;
  iceTimer?: ReturnType<typeof setTimeout>;
  ringTimer?: ReturnType<typeof setTimeout>;
}

type SignalResult = { ok: true } | { ok: false; code: ErrorCode | 'TIMEOUT'; message: string };

/** Default until the server's callConfig arrives; the server's CALL_RING_TIMEOUT_MS wins. */
const DEFAULT_RING_TIMEOUT_MS = 30_000;
/** A callee whose caller vanished without a hangup stops ringing this long after the caller would. */
const CALLEE_RING_GRACE_MS = 5_000;
const SIGNAL_ACK_TIMEOUT_MS = 10_000;
/** Candidates come in bursts: gathered this long into one `ice` signal. */
const ICE_BATCH_MS = 50;

/**
 * One-to-one WebRTC calls over the chat socket (DESIGN.md §3.5). The server only relays
 * signals; this owns the call's state, its peer connection and the ring timeout (the
 * caller's client keeps the time: docs/calls.md). Media is peer to peer, so a Socket.IO
 * reconnect mid-call leaves it running: the same socket object carries on signalling.
 */
export class CallManager {
  private state: CallState | undefined;
  private session: Session | undefined;
  private socket: ChatSocket | undefined;
  private iceServers: IceServer[] = [];
  private ringTimeoutMs = DEFAULT_RING_TIMEOUT_MS;
  private readonly listeners = new Set<() => void>();

  constructor(private readonly me: PublicUser) {}

  subscribe = (listener: () => void): (() => void) => {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  };

  getSnapshot = (): CallState | undefined => this.state;

  /** Listen on the chat socket (its listeners outlive reconnects); returns it for the chat client. */
  attach = (socket: ChatSocket): ChatSocket => {
    this.socket = socket;
    socket.on('callSignal', (raw) => void this.guard(() => this.onSignal(raw)));
    socket.on('callConfig', (raw) => {
      const config = callConfigSchema.safeParse(raw);
      if (!config.success) return;
      this.iceServers = config.data.iceServers;
      this.ringTimeoutMs = config.data.ringTimeoutMs;
    });
    return socket;
  };

  /** Whether a call is under way (a new one cannot start). */
  get busy(): boolean {
    return this.state !== undefined && !FINAL_PHASES.has(this.state.phase);
  }

  call(peer: PublicUser, media: CallMedia): Promise<void> {
    return this.guard(() => this.startCall(peer, media));
  }

  /** Answer the ringing call on this device; the others stop ringing. */
  accept(): Promise<void> {
    return this.guard(() => this.answerRinging());
  }

  private async startCall(peer: PublicUser, media: CallMedia): Promise<void> {
    if (this.busy) return;
    this.dismiss();
    const session = this.newSession(crypto.randomUUID(), peer.id);
    this.set({
      ...this.fresh(session, { id: peer.id, name: peer.displayName }, media),
      direction: 'outgoing',
      phase: 'calling',
    });
    const stream = await this.openMedia(session, media);
    if (!stream) return;
    const ring = await this.signal(session, 'ring', { media });
    if (!this.isCurrent(session)) return;
    if (!ring.ok) return this.finish(session, 'failed', ringFailure(ring, peer.displayName));
    session.ringTimer = setTimeout(() => this.ringTimedOut(session), this.ringTimeoutMs);
    const pc = this.connect(session, stream);
    const offer = await pc.createOffer();
    await pc.setLocalDescription(offer);
    const sent = await this.signal(session, 'offer', { sdp: { type: 'offer', sdp: offer.sdp ?? '' } });
    if (!this.isCurrent(session)) return;
    if (!sent.ok) return this.fail(session, `The call could not be set up: ${sent.message}`);
    this.allowIce(session);
  }

  private async answerRinging(): Promise<void> {
    const session = this.session;
    if (!session || this.state?.phase !== 'ringing') return;
    clearTimeout(session.ringTimer);
    session.accepted = true;
    this.patch({ phase: 'connecting' });
    const stream = await this.openMedia(session, this.state.media);
    if (stream && session.offer) await this.answer(session);
  }

  decline(): void {
    const session = this.session;
    if (!session || this.state?.phase !== 'ringing') return;
    void this.signal(session, 'decline', { reason: 'hangup' });
    this.cleanup(session);
    this.set(undefined);
  }

  hangUp(): void {
    const session = this.session;
    if (!session || !this.busy) return;
    void this.signal(session, 'hangup', { reason: 'hangup' });
    this.finish(session, 'ended', 'Call ended');
  }

  toggleMute(): void {
    if (!this.state?.localStream) return;
    const micMuted = !this.state.micMuted;
    for (const track of this.state.localStream.getAudioTracks()) track.enabled = !micMuted;
    this.patch({ micMuted });
  }

  toggleCamera(): void {
    if (!this.state?.localStream) return;
    const cameraOff = !this.state.cameraOff;
    for (const track of this.state.localStream.getVideoTracks()) track.enabled = !cameraOff;
    this.patch({ cameraOff });
  }

  /** Close the summary of a finished call. */
  dismiss(): void {
    if (this.state && !this.busy) this.set(undefined);
  }

  /** Signing out or leaving: end any call. */
  close(): void {
    if (this.busy) this.hangUp();
    this.set(undefined);
  }

  // ---- signals from the peer ----

  private async onSignal(raw: unknown): Promise<void> {
    const parsed = callSignalSchema.safeParse(raw);
    if (!parsed.success) return;
    const signal = parsed.data;
    const session = this.session;
    if (signal.fromUserId === this.me.id) {
      // Our own answer or decline on another device: this one stops ringing.
      if (session?.callId === signal.callId && this.state?.phase === 'ringing') {
        this.cleanup(session);
        this.set(undefined);
      }
      return;
    }
    if (signal.type === 'ring') return this.onRing(signal);
    if (!session || session.callId !== signal.callId || session.peerId !== signal.fromUserId) return;
    const name = this.state?.peer.name ?? signal.fromName;
    switch (signal.type) {
      case 'offer': {
        const data = sdpDataSchema.safeParse(signal.data);
        if (!data.success || this.state?.direction !== 'incoming' || session.offer) return;
        session.offer = data.data.sdp;
        if (session.accepted && this.state.localStream) await this.answer(session);
        return;
      }
      case 'answer': {
        const data = sdpDataSchema.safeParse(signal.data);
        if (!data.success || this.state?.phase !== 'calling' || !session.pc) return;
        clearTimeout(session.ringTimer);
        this.patch({ phase: 'connecting' });
        await session.pc.setRemoteDescription(data.data.sdp);
        await this.applyRemoteCandidates(session);
        return;
      }
      case 'ice': {
        const data = iceDataSchema.safeParse(signal.data);
        if (!data.success) return;
        session.remoteCandidates.push(...data.data.candidates);
        if (session.pc?.remoteDescription) await this.applyRemoteCandidates(session);
        return;
      }
      case 'decline': {
        const reason = endDataSchema.safeParse(signal.data ?? {}).data?.reason;
        return this.finish(session, 'ended', DECLINED[reason ?? 'hangup'](name));
      }
      case 'hangup': {
        const reason = endDataSchema.safeParse(signal.data ?? {}).data?.reason;
        if (this.state?.phase === 'ringing' || reason === 'missed')
          return this.finish(session, 'missed', `Missed call from ${name}`);
        return this.finish(session, 'ended', reason === 'failed' ? 'The call failed' : `${name} hung up`);
      }
    }
  }

  private onRing(signal: CallSignal): void {
    const media = ringDataSchema.safeParse(signal.data);
    if (!media.success || this.session?.callId === signal.callId) return;
    if (this.busy) {
      void this.emit(signal.fromUserId, signal.callId, 'decline', { reason: 'busy' satisfies EndReason });
      return;
    }
    this.dismiss();
    const session = this.newSession(signal.callId, signal.fromUserId);
    const peer = { id: signal.fromUserId, name: signal.fromName };
    this.set({ ...this.fresh(session, peer, media.data.media), direction: 'incoming', phase: 'ringing' });
    // The caller ends the ring at its timeout; this covers a caller that vanished without a word.
    session.ringTimer = setTimeout(() => {
      if (this.isCurrent(session) && this.state?.phase === 'ringing') {
        this.finish(session, 'missed', `Missed call from ${peer.name}`);
      }
    }, this.ringTimeoutMs + CALLEE_RING_GRACE_MS);
  }

  // ---- the call's steps ----

  private async openMedia(session: Session, media: CallMedia): Promise<MediaStream | undefined> {
    try {
      const stream = await openLocalMedia(media);
      if (!this.isCurrent(session)) {
        stopMedia(stream);
        return undefined;
      }
      this.patch({ localStream: stream });
      return stream;
    } catch (err) {
      if (this.isCurrent(session)) {
        this.fail(
          session,
          err instanceof MediaUnavailable ? err.message : 'The camera or microphone could not be opened.',
        );
      }
      return undefined;
    }
  }

  /** Callee: apply the offer, answer it, then let candidates flow. */
  private async answer(session: Session): Promise<void> {
    const stream = this.state?.localStream;
    if (!stream || !session.offer || session.pc) return;
    const pc = this.connect(session, stream);
    await pc.setRemoteDescription(session.offer);
    await this.applyRemoteCandidates(session);
    const answer = await pc.createAnswer();
    await pc.setLocalDescription(answer);
    const sent = await this.signal(session, 'answer', { sdp: { type: 'answer', sdp: answer.sdp ?? '' } });
    if (!this.isCurrent(session)) return;
    if (!sent.ok) return this.fail(session, `The call could not be answered: ${sent.message}`);
    this.allowIce(session);
  }

  private connect(session: Session, stream: MediaStream): RTCPeerConnection {
    const pc = new RTCPeerConnection({ iceServers: this.iceServers });
    session.pc = pc;
    for (const track of stream.getTracks()) pc.addTrack(track, stream);
    pc.onicecandidate = (e) => {
      if (e.candidate) this.queueCandidate(session, e.candidate.toJSON());
    };
    pc.ontrack = (e) => {
      if (this.isCurrent(session)) this.patch({ remoteStream: e.streams[0] ?? new MediaStream([e.track]) });
    };
    pc.onconnectionstatechange = () => {
      if (!this.isCurrent(session)) return;
      if (pc.connectionState === 'connected' && this.state?.phase !== 'connected') {
        this.patch({ phase: 'connected', connectedAt: this.state?.connectedAt ?? Date.now() });
      }
      if (pc.connectionState === 'failed') {
        const lost = this.state?.connectedAt !== undefined;
        this.fail(
          session,
          lost
            ? 'The connection was lost.'
            : 'No connection could be made between you (on some networks a TURN server is needed).',
        );
      }
    };
    return pc;
  }

  private ringTimedOut(session: Session): void {
    if (!this.isCurrent(session) || this.state?.phase !== 'calling') return;
    void this.signal(session, 'hangup', { reason: 'missed' satisfies EndReason });
    this.finish(session, 'missed', `No answer from ${this.state.peer.name}`);
  }

  /**
   * End the call as failed and tell the peer. A callee that has not answered yet declines, so
   * that its other devices stop ringing too.
   */
  private fail(session: Session, detail: string): void {
    const unanswered = this.state?.direction === 'incoming' && !session.canSendIce;
    void this.signal(session, unanswered ? 'decline' : 'hangup', { reason: 'failed' satisfies EndReason });
    this.finish(session, 'failed', detail);
  }

  /** Run a step of the call; a browser API refusing (a bad SDP, a closed connection) fails the call, not the app. */
  private async guard(step: () => Promise<void>): Promise<void> {
    try {
      await step();
    } catch {
      const session = this.session;
      if (session && this.busy) this.fail(session, 'The call could not be set up.');
    }
  }

  private finish(session: Session, phase: 'ended' | 'missed' | 'failed', detail: string): void {
    if (!this.isCurrent(session) || !this.state || !this.busy) return;
    this.cleanup(session);
    const { localStream: _l, remoteStream: _r, ...rest } = this.state;
    this.set({ ...rest, phase, detail });
  }

  private cleanup(session: Session): void {
    clearTimeout(session.ringTimer);
    clearTimeout(session.iceTimer);
    session.pc?.close();
    if (this.isCurrent(session)) stopMedia(this.state?.localStream);
  }

  // ---- candidates ----

  private queueCandidate(session: Session, candidate: RTCIceCandidateInit): void {
    session.localCandidates.push(candidate);
    if (session.canSendIce && session.iceTimer === undefined) {
      session.iceTimer = setTimeout(() => this.sendCandidates(session), ICE_BATCH_MS);
    }
  }

  private allowIce(session: Session): void {
    session.canSendIce = true;
    this.sendCandidates(session);
  }

  private sendCandidates(session: Session): void {
    session.iceTimer = undefined;
    while (session.localCandidates.length > 0 && this.isCurrent(session)) {
      const candidates = session.localCandidates.splice(0, MAX_CANDIDATES_PER_SIGNAL);
      void this.signal(session, 'ice', { candidates });
    }
  }

  private async applyRemoteCandidates(session: Session): Promise<void> {
    const pc = session.pc;
    if (!pc?.remoteDescription) return;
    for (const candidate of session.remoteCandidates.splice(0)) {
      // A candidate the browser cannot use (another network family) is not the call's end.
      await pc.addIceCandidate(candidate).catch(() => undefined);
    }
  }

  // ---- plumbing ----

  private signal(session: Session, type: CallSignalType, data?: unknown): Promise<SignalResult> {
    return this.emit(session.peerId, session.callId, type, data);
  }

  private async emit(toUserId: string, callId: string, type: CallSignalType, data?: unknown): Promise<SignalResult> {
    if (!this.socket) return { ok: false, code: 'UNAVAILABLE', message: 'not connected' };
    try {
      const raw: unknown = await this.socket
        .timeout(SIGNAL_ACK_TIMEOUT_MS)
        .emitWithAck('callSignal', data === undefined ? { toUserId, callId, type } : { toUserId, callId, type, data });
      const ack = callSignalAckSchema.safeParse(raw);
      if (!ack.success) return { ok: false, code: 'INTERNAL', message: 'unexpected answer' };
      return ack.data.ok ? { ok: true } : { ok: false, code: ack.data.error.code, message: ack.data.error.message };
    } catch {
      return { ok: false, code: 'TIMEOUT', message: 'no answer from the server' };
    }
  }

  private newSession(callId: string, peerId: string): Session {
    const session: Session = {
      callId,
      peerId,
      accepted: false,
      remoteCandidates: [],
      localCandidates: [],
      canSendIce: false,
    };
    this.session = session;
    return session;
  }

  private fresh(session: Session, peer: CallState['peer'], media: CallMedia) {
    return { callId: session.callId, peer, media, micMuted: false, cameraOff: false };
  }

  private isCurrent(session: Session): boolean {
    return this.session === session;
  }

  private patch(change: Partial<CallState>): void {
    if (this.state) this.set({ ...this.state, ...change });
  }

  private set(next: CallState | undefined): void {
    this.state = next;
    for (const listener of this.listeners) listener();
  }
}

/** What the caller sees when the callee's device declines, by the reason it gave. */
const DECLINED: Record<EndReason, (name: string) => string> = {
  hangup: (name) => `${name} declined the call`,
  missed: (name) => `${name} declined the call`,
  busy: (name) => `${name} is in another call`,
  failed: (name) => `${name} could not answer (no camera or microphone)`,
};

function ringFailure(ack: Extract<SignalResult, { ok: false }>, name: string): string {
  switch (ack.code) {
    case 'NOT_FOUND':
      return `${name} is not online right now.`;
    case 'RATE_LIMITED':
      return 'Too many call attempts. Wait a moment and try again.';
    case 'TIMEOUT':
      return 'The chat server did not answer. Check your connection and try again.';
    default:
      return `The call could not be started: ${ack.message}`;
  }
}
