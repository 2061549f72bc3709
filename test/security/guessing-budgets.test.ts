import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { BrowserClient, field } from '../support/browser-client.js';
import { enrolledPhone, PHONE_UA } from '../support/phone.js';
import { type RunningQrid, startQrid } from '../support/start-qrid.js';

/**
 * Security suite, item 24 (see SECURITY.md): typed-code guesses are limited per address, per
 * device and per account, so a device that moves to another address keeps its spent budget;
 * and every per-address limit counts an IPv6 client by its /64, which one subscriber holds.
 */
describe('security: guessing budgets follow the device, the account and the IPv6 /64', () => {
  let qrid: RunningQrid;
  const limits = { typed_code_per_ip: 100, typed_code_per_device: 4, typed_code_per_account: 6, qr_failures_per_ip: 3 };

  beforeAll(async () => {
    qrid = await startQrid({ proxy: true, rate_limits: limits });
  });
  afterAll(async () => {
    await qrid.close();
  });

  const typeCode = async (phone: BrowserClient, ip: string) => {
    phone.headers['X-Forwarded-For'] = ip;
    const csrf = field((await phone.get('/phone')).text, 'csrf');
    return (await phone.postForm('/code', { csrf, code: 'ZZZZ-ZZZZ' })).status;
  };

  it('[24] a device that changes address keeps its typed-code budget; a second device of the same account shares the account\'s', async () => {
    const { phone } = await enrolledPhone(qrid, { username: 'mover' });
    const statuses: number[] = [];
    for (let i = 0; i < limits.typed_code_per_device + 1; i += 1) statuses.push(await typeCode(phone, `198.51.100.${i + 1}`));
    expect(statuses).toEqual([400, 400, 400, 400, 429]);

    const { phone: second } = await enrolledPhone(qrid, { username: 'mover' });
    const more: number[] = [];
    for (let i = 0; i < 3; i += 1) more.push(await typeCode(second, `203.0.113.${i + 1}`));
    // The first device's four counted tries left the account two of its six.
    expect(more).toEqual([400, 400, 429]);

    // Another account is untouched.
    const { phone: other } = await enrolledPhone(qrid, { username: 'bystander' });
    expect(await typeCode(other, '192.0.2.50')).toBe(400);
  });

  it('[24] per-address limits count an IPv6 client by its /64: new addresses in the same /64 share one budget', async () => {
    const { phone } = await enrolledPhone(qrid, { username: 'six' });
    const guesser = new BrowserClient(qrid.issuer, PHONE_UA);
    for (const [name, c] of phone.cookies) guesser.cookies.set(name, c);
    const guess = async (ip: string, i: number) => {
      const handle = `${'y'.repeat(21)}.${Buffer.from(`v6-guess-${i}`.padEnd(16, 'x')).toString('base64url')}`;
      return (await guesser.get(`/q/${handle}`, { 'X-Forwarded-For': ip })).status;
    };
    const statuses: number[] = [];
    for (let i = 0; i < limits.qr_failures_per_ip + 2; i += 1) statuses.push(await guess(`2001:db8:1:2:${(i + 1).toString(16)}::${i + 7}`, i));
    expect(statuses).toEqual([404, 404, 404, 429, 429]);
    // Another /64 has its own budget.
    expect(await guess('2001:db8:1:3::1', 99)).toBe(404);
  });
});
