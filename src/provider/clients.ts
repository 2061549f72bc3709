import type { ClientMetadata } from 'oidc-provider';

import { authMethodOf } from '../config/client-rules.js';
import type { ClientConfig } from '../config/schema.js';
import { CIBA_GRANT, DEVICE_CODE_GRANT } from './token-polling.js';

/** Config-file clients as oidc-provider client metadata: code flow only. */
export function toClientMetadata(client: ClientConfig): ClientMetadata {
  const metadata: ClientMetadata = {
    client_id: client.client_id,
    client_name: client.client_name,
    redirect_uris: client.redirect_uris,
    post_logout_redirect_uris: client.post_logout_redirect_uris,
    // A client with no redirect URI uses the device grant alone: no browser redirects at all.
    response_types: client.redirect_uris.length ? ['code'] : [],
    grant_types: [
      ...(client.redirect_uris.length ? ['authorization_code'] : []),
      ...(client.refresh_tokens ? ['refresh_token'] : []),
      ...(client.device_grant ? [DEVICE_CODE_GRANT] : []),
      ...(client.ciba ? [CIBA_GRANT] : []),
    ],
    id_token_signed_response_alg: client.id_token_signed_response_alg,
    token_endpoint_auth_method: authMethodOf(client),
    // RPs get auth_time in every ID token, so they can apply their own freshness rules.
    require_auth_time: true,
  };
  if (client.client_secret) metadata.client_secret = client.client_secret;
  if (client.jwks) metadata.jwks = client.jwks as unknown as ClientMetadata['jwks'];
  if (client.jwks_uri) metadata.jwks_uri = client.jwks_uri;
  if (client.ciba) metadata.backchannel_token_delivery_mode = client.ciba;
  if (client.ciba_notification_endpoint) metadata.backchannel_client_notification_endpoint = client.ciba_notification_endpoint;
  if (client.backchannel_logout_uri) {
    metadata.backchannel_logout_uri = client.backchannel_logout_uri;
    metadata.backchannel_logout_session_required = true;
  }
  return metadata;
}
