import type { Approval } from './approval-record.js';
import type { Fields } from '../store/store.js';

/** The approval engine's vocabulary: what callers pass in and get back. */
export interface ApprovalTimings {
  handleSeconds: number;
  decisionSeconds: number;
}

export interface IssuedQr {
  handle: string;
  /** Only when the page asked for one (`withTypedCode`): most people scan and never need it. */
  typedCode?: string;
  handleExpiresAt: number;
}

/** How a QR is issued: with a typed code for a person who cannot scan, or without (the default). */
export interface QrOptions {
  withTypedCode?: boolean;
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

/** What the caller read already this request from `recordKeys` / `handleRecordKeys`, in that order (undefined: missing). */
export interface PrefetchedApproval {
  records: (Fields | undefined)[];
}

/** Decides whether the phone's network differs enough from the browser's to need number matching. */
export type NetworkRule = (requesterIp: string, deviceIp: string) => boolean;

export type ApprovalEventListener = (event: string, approval: Approval) => void;

export interface StartInput {
  uid: string;
  clientId: string;
  expiresAt: number;
  ip: string;
  userAgent: string;
  freshRequired?: boolean;
}

/** A QR about to be issued: what the store keeps (hashes, the number) and what the page shows. */
export interface FreshQr {
  handleHash: string;
  /** '' when no typed code was asked for. */
  typedCodeHash: string;
  /** Number matching's number: new with every QR. */
  matchNumber: number;
  qr: IssuedQr;
}

