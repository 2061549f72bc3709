import type Router from '@koa/router';
import type { Context } from 'koa';

import { enrollDevice } from '../accounts/enroll-device.js';
import { QridError } from '../errors/qrid-error.js';
import { readJson } from '../web/read-json.js';
import { approvalDetails } from '../web/approval-details.js';
import { numberChoices } from '../approvals/number-choices.js';
import type { Services } from '../services.js';
import { verifyDeviceJws } from './verify-device-jws.js';
import { clientAddress } from '../web/client-address.js';

/**
 * The companion API for native apps and terminals (tiqr/SQRL style): a device enrolls with an
 * ES256 public key and then inspects, approves or denies QR logins with signed requests.
 */
export function companionRoutes(services: Services, router: Router): void {
  router.post('/api/companion/enroll', enroll(services));
  router.post('/api/companion/approvals', decide(services));
}

function enroll(services: Services) {
  return async function companionEnroll(ctx: Context): Promise<void> {
    ctx.request.headers.accept = 'application/json';
    await services.limiter.hit('enroll', { address: clientAddress(ctx) }, services.config.rate_limits.enrollment_per_ip);
    const body = (await readJson(ctx)) as { token?: unknown; device_name?: unknown; public_key?: unknown };
    const token = typeof body?.token === 'string' && /^[\w-]{22}$/.test(body.token) ? body.token : undefined;
    if (!token) throw new QridError(400, 'invalid_request', { params: { reason: 'token must be the enrollment link token' } });
    const key = body.public_key as Record<string, unknown> | undefined;
    if (!key || key.kty !== 'EC' || key.crv !== 'P-256' || typeof key.x !== 'string' || typeof key.y !== 'string' || 'd' in key) {
      throw new QridError(400, 'invalid_public_key');
    }
    const name = typeof body.device_name === 'string' ? body.device_name : 'Companion';
    const publicKeyJwk = JSON.stringify({ kty: 'EC', crv: 'P-256', x: key.x, y: key.y });
    const { user, device } = await enrollDevice(services, { token, deviceName: name, ip: clientAddress(ctx), publicKeyJwk });
    ctx.status = 201;
    ctx.body = { device_id: device.id, username: user.username, issuer: services.config.issuer };
  };
}

function decide(services: Services) {
  return async function companionDecide(ctx: Context): Promise<void> {
    ctx.request.headers.accept = 'application/json';
    const body = (await readJson(ctx)) as { jws?: unknown };
    const request = await verifyDeviceJws(services, body?.jws);
    const approver = { device: request.device, user: request.user };
    const ip = clientAddress(ctx);
    if (request.action === 'inspect') {
      await services.limiter.hit('approval', { address: ip }, services.config.rate_limits.approval_per_ip);
      const approval = await services.decisions.claim({ handle: request.handle }, approver, 'device-key', ip);
      ctx.body = {
        state: approval.state,
        ...(await approvalDetails(services, ctx, approval)),
        number_required: approval.numberRequired,
        ...(approval.numberRequired ? { choices: numberChoices(approval) } : {}),
      };
      return;
    }
    const approval = await services.decisions.decide({
      target: { handle: request.handle },
      approver,
      decision: request.action === 'approve' ? 'approve' : 'deny',
      proof: { kind: 'device-key' },
      ip,
      ...(request.number === undefined ? {} : { pickedNumber: request.number }),
    });
    ctx.body = { state: approval.state };
  };
}
