import type { DefaultContext, DefaultState, Middleware } from 'koa';
import type { KoaContextWithOIDC } from 'oidc-provider';

/**
 * Middleware that runs inside oidc-provider (`provider.use`, its documented way to add
 * middleware). oidc-provider sets `ctx.oidc` once it has matched one of its routes, so it is
 * there after `await next()` for the provider's own routes and absent otherwise: the type says
 * so, and no middleware needs a cast to read it.
 */
export type ProviderMiddleware = Middleware<DefaultState, DefaultContext & Partial<Pick<KoaContextWithOIDC, 'oidc'>>>;
