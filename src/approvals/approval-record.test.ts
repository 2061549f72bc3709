import { describe, expect, it } from 'vitest';

import { type Approval, fromFields, toFields } from './approval-record.js';

const pending: Approval = {
  id: 'a1',
  kind: 'browser',
  uid: 'u1',
  deviceCode: '',
  targetAccountId: '',
  numberTyped: false,
  bindingMessage: '',
  clientId: 'c1',
  state: 'waiting',
  createdAt: 1_700_000_000_000,
  expiresAt: 1_700_000_600_000,
  requesterIp: '192.0.2.1',
  requesterUserAgent: 'UA',
  handleHash: 'h',
  handleExpiresAt: 1_700_000_060_000,
  previousHandleHash: '',
  previousHandleUntil: 0,
  previousHandleClaimed: false,
  handleUsed: false,
  round: 0,
  typedCodeHash: '',
  typedCodeExpiresAt: 0,
  deviceId: '',
  decideBy: 0,
  accountId: '',
  freshRequired: false,
  acrValues: [],
  matchNumber: 42,
  numberRequired: false,
  amr: [],
  acr: '',
  decidedAt: 0,
};

describe('approval records', () => {
  it('store a pending approval without its empty and zero fields, and read it back whole', () => {
    const fields = toFields(pending);
    expect(fields).toEqual({
      id: 'a1',
      kind: 'browser',
      uid: 'u1',
      clientId: 'c1',
      state: 'waiting',
      createdAt: '1700000000000',
      expiresAt: '1700000600000',
      requesterIp: '192.0.2.1',
      requesterUserAgent: 'UA',
      handleHash: 'h',
      handleExpiresAt: '1700000060000',
      matchNumber: '42',
    });
    expect(fromFields(fields)).toEqual(pending);
  });

  it('keep every field a decision sets', () => {
    const decided: Approval = { ...pending, state: 'approved', handleUsed: true, round: 1, deviceId: 'd1', decideBy: 5, accountId: 'acc', freshRequired: true, numberRequired: true, amr: ['hwk', 'user'], acr: 'urn:qrid:acr:device', decidedAt: 7 };
    expect(fromFields(toFields(decided))).toEqual(decided);
    expect(toFields(decided)).toMatchObject({ handleUsed: '1', round: '1', amr: 'hwk user', numberRequired: '1' });
  });
});
