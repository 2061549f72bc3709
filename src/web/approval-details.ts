import type { Context } from 'koa';

import type { Approval } from '../approvals/approval-record.js';
import { clientAddress } from './client-address.js';
import { approximateNetwork } from './describe-client.js';
import { localeOf } from '../i18n/locale.js';
import type { Services } from '../services.js';
import { describeRequester } from './describe-requester.js';

/**
 * What the phone shows before Approve: which app, which browser, from where (next to this
 * phone or on another network, and the address), how long ago, in the person's language.
 */
export async function approvalDetails(services: Services, ctx: Context, approval: Approval) {
  const locale = localeOf(ctx);
  const client = await services.provider.Client.find(approval.clientId);
  return {
    clientName: client?.clientName ?? approval.clientId,
    ...describeRequester(locale, approval.requesterUserAgent),
    ip: approval.requesterIp,
    network: approximateNetwork(approval.requesterIp),
    sameNetwork: approximateNetwork(approval.requesterIp) === approximateNetwork(clientAddress(ctx)),
    age: locale.ago(approval.createdAt),
    // A device grant: RFC 8628 §5.4's warning against codes someone else sent.
    deviceGrant: approval.kind === 'device-code',
    // CIBA: the text the app shows too, to compare.
    bindingMessage: approval.bindingMessage,
  };
}
