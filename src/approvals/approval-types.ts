import type { Approval, ApprovalKind } from './approval-record.js';

/** The approval engine's vocabulary: what callers pass in and get back. */
export interface ApprovalTimings {
  handleSeconds: number;
  decisionSeconds: number;
  /** How long a typed code stays valid (never past the interaction). */
  typedCodeSeconds: number;
}

export interface IssuedQr {
  handle: string;
  /** A typed code made with this QR (only when asked for: most people scan and never need one). */
  typedCode?: string;
  typedCodeExpiresAt?: number;
  handleExpiresAt: number;
}

/**
 * What a new QR does with the typed code: `none` withdraws any (the page shows none), `keep`
 * keeps a live one (the page shows it already) or makes one if there is none, `new` replaces it
 * (a page opened again cannot show the old one: only its hash is kept).
 */
export type TypedCodeChoice = 'none' | 'keep' | 'new';

export interface QrOptions {
  typedCode?: TypedCodeChoice;
}

export interface Decision {
  decision: 'approve' | 'deny';
  deviceId: string;
  accountId: string;
  amr: string[];
  acr: string;
  ip: string;
  /** The number the person picked on the phone, when number matching applies. */
  pickedNumber?: number;
}

/** Decides whether the phone's network differs enough from the browser's to need number matching. */
export type NetworkRule = (requesterIp: string, deviceIp: string) => boolean;

export type ApprovalEventListener = (event: string, approval: Approval) => void;

export interface StartInput {
  /** Default `browser`. */
  kind?: ApprovalKind;
  uid: string;
  /** Kind `device-code`: the device code's id. */
  deviceCode?: string;
  /** When the requester asked, if before now (a device code's issue time). */
  requestedAt?: number;
  /** Addressed to this user's devices only (CIBA). */
  targetAccountId?: string;
  /** Kind `ciba`: shown on the phone. */
  bindingMessage?: string;
  clientId: string;
  expiresAt: number;
  ip: string;
  userAgent: string;
  freshRequired?: boolean;
  /** Step-up: the authentication contexts the app asked for (provider/assurance.ts). */
  acrValues?: string[];
}

/** A QR about to be issued: what the store keeps (hashes, the number) and what the page shows. */
export interface FreshQr {
  handleHash: string;
  /** Number matching's number: new with every QR. */
  matchNumber: number;
  qr: IssuedQr;
}

/** A typed code about to be issued: its hash for the store, its text for the page. */
export interface FreshTypedCode {
  hash: string;
  text: string;
  expiresAt: number;
}

