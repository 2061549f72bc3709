import type { KoaContextWithOIDC } from 'oidc-provider';

import { localeOf } from '../i18n/locale.js';
import type { Views } from '../web/views.js';

/**
 * oidc-provider's device-flow pages in qrid's templates: where a person types a device's user
 * code (with RFC 8628 §5.4's warning against codes received from someone else), the step that
 * hands the code on (it submits itself: the approval screen that follows is where the person
 * decides), and the "done" page.
 */
export function devicePages(views: Views) {
  return {
    async userCodeInput(ctx: KoaContextWithOIDC, _form: string, _out?: unknown, err?: unknown) {
      const { t } = localeOf(ctx);
      // A code that did not work, a cancelled sign-in, anything else. oidc-provider does not
      // export these error classes; its own default page (`userCodeInputSource` in
      // lib/helpers/defaults.js) tells them apart by `userCode` and these names, and so does this
      // one. test/device-grant/device-flow.test.ts fails if a name changes (no code sent; a
      // denial).
      const error = err as { userCode?: string; name?: string } | undefined;
      const message = !error
        ? undefined
        : error.userCode || error.name === 'NoCodeError'
          ? t('device.code.error.code')
          : error.name === 'AbortedError'
            ? t('device.code.error.aborted')
            : t('device.code.error.other');
      if (message) ctx.status = 400;
      views.render(ctx, 'device-code.njk', {
        action: ctx.oidc.urlFor('code_verification'),
        // The form secret oidc-provider's own form carries (it sets it for this page).
        xsrf: (ctx.oidc.session?.state as { secret?: string } | undefined)?.secret ?? '',
        code: typeof error?.userCode === 'string' ? error.userCode.slice(0, 20) : '',
        error: message,
      });
    },
    async userCodeConfirm(ctx: KoaContextWithOIDC, form: string) {
      // `form` is oidc-provider's markup: hidden inputs only (its secret, the code, confirm=yes).
      views.render(ctx, 'device-continue.njk', { form });
    },
    async deviceSuccess(ctx: KoaContextWithOIDC) {
      views.render(ctx, 'device-done.njk', { clientName: ctx.oidc.client?.clientName ?? ctx.oidc.client?.clientId });
    },
  };
}
