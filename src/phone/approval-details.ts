import type { Approval } from '../approvals/approval-record.js';
import { approximateNetwork, describeUserAgent } from '../http/describe-client.js';
import type { Services } from '../services.js';

/** What the phone shows before Approve: which app, which browser, from where, how long ago. */
export async function approvalDetails(services: Services, approval: Approval) {
  const client = await services.provider.Client.find(approval.clientId);
  const { browser, os } = describeUserAgent(approval.requesterUserAgent);
  const ageSeconds = Math.max(0, Math.round((Date.now() - approval.createdAt) / 1000));
  return {
    clientName: client?.clientName ?? approval.clientId,
    browser,
    os,
    ip: approval.requesterIp,
    network: approximateNetwork(approval.requesterIp),
    age: describeAge(ageSeconds),
  };
}

function describeAge(seconds: number): string {
  if (seconds < 5) return 'just now';
  if (seconds < 60) return `${seconds} seconds ago`;
  const minutes = Math.round(seconds / 60);
  return minutes === 1 ? '1 minute ago' : `${minutes} minutes ago`;
}
