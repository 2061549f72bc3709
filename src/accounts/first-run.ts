import { qrTerminal } from '../web/qr-image.js';
import type { Services } from '../services.js';

/**
 * On an empty store, a one-time setup link that enrolls the first administrator. Printed to
 * the terminal (with a QR for the phone); valid for the enrollment link lifetime.
 */
export async function setupLinkIfEmpty(services: Pick<Services, 'users' | 'enrollments' | 'config'>): Promise<string | undefined> {
  if ((await services.users.count()) > 0) return undefined;
  const { token } = await services.enrollments.create('setup');
  return `${services.config.issuer}/enroll/${token}`;
}

export async function printSetupLink(url: string, write: (text: string) => void): Promise<void> {
  write(
    [
      '',
      'qrid has no users yet. Open this one-time setup link on your phone to create the first administrator:',
      '',
      `  ${url}`,
      '',
      await qrTerminal(url),
    ].join('\n'),
  );
}
