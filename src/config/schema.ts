import { z } from 'zod';

/**
 * qrid's whole configuration, with every default documented beside it. The YAML file uses
 * these names; environment variables (see load.ts) override the few that deployments set
 * per instance. Anything invalid stops start-up with a message naming the field.
 */

const url = z.url({ protocol: /^https?$/, error: 'must be an http(s) URL' });

export const TOKEN_ENDPOINT_AUTH_METHODS = ['client_secret_basic', 'client_secret_post', 'client_secret_jwt', 'private_key_jwt', 'none'] as const;
export type TokenEndpointAuthMethod = (typeof TOKEN_ENDPOINT_AUTH_METHODS)[number];

const PRIVATE_JWK_MEMBERS = ['d', 'p', 'q', 'dp', 'dq', 'qi', 'oth', 'k'];
/** A public key as a JWK: qrid must never be handed a client's private key. */
const publicJwk = z
  .looseObject({ kty: z.enum(['RSA', 'EC', 'OKP'], 'must be RSA, EC or OKP'), kid: z.string().min(1).optional() })
  .refine((jwk) => !PRIVATE_JWK_MEMBERS.some((member) => member in jwk), 'must be a public key (it has private key members)');

export const clientSchema = z
  .object({
    client_id: z.string().min(1).max(200).regex(/^[\w.:~-]+$/, 'may use letters, digits and . _ : ~ - only'),
    /** Absent for public clients (browser or native apps), which authenticate with PKCE alone. */
    client_secret: z.string().min(32, 'must be at least 32 characters').optional(),
    /** Name of an environment variable holding the secret, so it need not sit in the file. */
    client_secret_env: z.string().regex(/^[A-Z_][A-Z0-9_]*$/, 'must be an environment variable name').optional(),
    client_name: z.string().min(1).max(100),
    /** Exact redirect URIs; at least one, unless the client only uses the device grant. */
    redirect_uris: z.array(url).default([]),
    post_logout_redirect_uris: z.array(url).default([]),
    backchannel_logout_uri: url.optional(),
    /** First-party apps skip the consent page: the organisation already decided for its users. */
    first_party: z.boolean().default(false),
    /** Whether the client may ask for `offline_access` and receive refresh tokens. */
    refresh_tokens: z.boolean().default(true),
    /**
     * A resource server (an API) that may introspect access tokens issued to every client. Any
     * other client may introspect only the tokens issued to itself.
     */
    resource_server: z.boolean().default(false),
    /**
     * How the client authenticates at the token endpoint. Default: `client_secret_basic` for a
     * client with a secret, `none` (a public client: PKCE alone) without one. `private_key_jwt`
     * needs `jwks` or `jwks_uri`; the `client_secret_*` methods need a secret.
     */
    token_endpoint_auth_method: z.enum(TOKEN_ENDPOINT_AUTH_METHODS).optional(),
    /** The client's public keys, for `private_key_jwt`. */
    jwks: z.object({ keys: z.array(publicJwk).min(1, 'must list at least one key') }).strict().optional(),
    /** Where qrid fetches the client's public keys, for `private_key_jwt` (instead of `jwks`). */
    jwks_uri: url.optional(),
    /**
     * `required`: every authorization request must carry PKCE (S256). `optional` lets a
     * confidential client that cannot send it sign in without (docs/integrations.md says what
     * that gives up); public clients always need it.
     */
    pkce: z.enum(['required', 'optional']).default('required'),
    /**
     * The client may use the device authorization grant (RFC 8628): a TV, a terminal or a CLI
     * tool shows a QR and a code, and the person approves on their phone.
     */
    device_grant: z.boolean().default(false),
    /**
     * The client may ask a user's phone directly (OpenID Connect CIBA): `poll` (it polls the
     * token endpoint) or `ping` (qrid also calls `ciba_notification_endpoint` when decided). A
     * CIBA client must authenticate (a secret or keys).
     */
    ciba: z.enum(['poll', 'ping']).optional(),
    /** For `ciba: ping`: the client's https endpoint qrid notifies when a request is decided. */
    ciba_notification_endpoint: z.url({ protocol: /^https$/, error: 'must be an https URL' }).optional(),
    /** How the client's ID tokens are signed (both keys are in the JWKS). */
    id_token_signed_response_alg: z.enum(['RS256', 'ES256']).default('RS256'),
    /**
     * Ask "Sign out?" on every RP-initiated logout. By default the question is skipped when the
     * request carries a valid `id_token_hint` of the signed-in person from this client and a
     * registered `post_logout_redirect_uri`.
     */
    always_confirm_logout: z.boolean().default(false),
  })
  .strict();

export const configSchema = z
  .object({
    /** Public URL of qrid; the OIDC issuer. Default: http://localhost:<port>. */
    issuer: url.refine((u) => !u.includes('?') && !u.includes('#'), 'must not have a query or fragment').optional(),
    /** Port to listen on. */
    port: z.number().int().min(0).max(65535).default(3000),
    /** Address to listen on. */
    host: z.string().default('0.0.0.0'),
    /**
     * Development setup: demo relying party at /demo, cookie keys generated and kept in
     * `data_dir`. Default: true when started without a config file, false with one.
     */
    development: z.boolean().optional(),
    /** Trust X-Forwarded-* from a reverse proxy (TLS terminated in front of qrid). */
    proxy: z.boolean().default(false),
    /**
     * With `proxy`: how many reverse proxies you run in front of qrid, each appending the address
     * it saw to X-Forwarded-For. The client address is the entry the outermost of them added,
     * counted from the right; anything further left was written by the client and is ignored.
     */
    proxy_hops: z.number().int().min(1).max(10).default(1),
    /**
     * Seconds qrid keeps serving after SIGTERM, answering 503 on /readyz, before it stops
     * listening: long enough for the load balancer's health checks to take it out, so no
     * request is sent to a listener that is closing. 0 stops listening at once.
     */
    shutdown_delay_seconds: z.number().int().min(0).max(60).default(3),
    /** Where development secrets are kept between restarts. */
    data_dir: z.string().default('.qrid-data'),
    /**
     * Cookie signing keys, newest first; at least 32 characters each. Required outside
     * development (or QRID_COOKIE_KEYS, comma-separated). Shared by every instance.
     */
    cookie_keys: z.array(z.string().min(32, 'each key must be at least 32 characters')).min(1).optional(),
    store: z
      .object({
        /** `memory`: inside this process, lost on restart. `redis`: shared, for real deployments. */
        kind: z.enum(['memory', 'redis']).default('memory'),
        redis_url: z.string().default('redis://127.0.0.1:6379'),
        /** Prefix of every Redis key, so several deployments can share one Redis. */
        key_prefix: z.string().default('qrid:'),
        /**
         * Seconds each qrid process may keep users, devices and devices' passkey lists in memory
         * (Redis only). Every change drops them at once in every process (pub/sub); this bounds
         * how stale one can be if an invalidation message is lost. 0 turns the cache off.
         */
        cache_seconds: z.number().int().min(0).max(60).default(5),
        /** Redis Sentinel: the master's name and the sentinels (redis_url then gives only credentials, TLS, db). */
        sentinel: z
          .object({
            name: z.string().min(1),
            nodes: z.array(z.object({ host: z.string().min(1), port: z.number().int().min(1).max(65535) }).strict()).min(1),
            password: z.string().optional(),
          })
          .strict()
          .optional(),
        /** Redis Cluster: seed nodes (redis_url then gives only credentials and TLS). */
        cluster: z
          .object({ nodes: z.array(z.object({ host: z.string().min(1), port: z.number().int().min(1).max(65535) }).strict()).min(1) })
          .strict()
          .optional(),
      })
      .strict()
      .default({ kind: 'memory', redis_url: 'redis://127.0.0.1:6379', key_prefix: 'qrid:', cache_seconds: 5 }),
    clients: z.array(clientSchema).default([]),
    ttl: z
      .object({
        /** Seconds a sign-in may take from /auth to completion (the QR page's whole life). */
        interaction: z.number().int().min(60).max(3600).default(600),
        /** Seconds a qrid browser session lasts. */
        session: z.number().int().min(300).default(14 * 24 * 3600),
        access_token: z.number().int().min(60).default(3600),
        id_token: z.number().int().min(60).default(3600),
        refresh_token: z.number().int().min(300).default(14 * 24 * 3600),
        grant: z.number().int().min(300).default(14 * 24 * 3600),
        authorization_code: z.number().int().min(10).max(600).default(60),
        /**
         * Seconds a device grant's device code and user code live: how long a person has to
         * approve a TV or terminal. The user code's guessing odds grow with it (SECURITY.md).
         */
        device_code: z.number().int().min(10).max(1800).default(600),
      })
      .strict()
      .prefault({}),
    qr: z
      .object({
        /** Seconds one QR code (and its typed code) stays valid before the page rotates it. */
        handle_seconds: z.number().int().min(15).max(300).default(60),
        /**
         * Seconds a typed code (for people who cannot scan) stays valid, on its own clock: the QR
         * changes meanwhile, the code does not, so nobody loses a race while typing. Never longer
         * than the sign-in itself. Guessing stays out of reach at this length: see SECURITY.md.
         */
        typed_code_seconds: z.number().int().min(60).max(3600).default(600),
        /** Seconds the phone has to decide once it has opened a QR code. */
        decision_seconds: z.number().int().min(30).max(600).default(120),
        /** Rotations the page does by itself before asking the person for "more time". */
        auto_rotations: z.number().int().min(0).max(60).default(5),
      })
      .strict()
      .prefault({}),
    polling: z
      .object({
        /**
         * Seconds a device grant (RFC 8628) or CIBA client must wait between polls of the token
         * endpoint (the `interval` it is told). Polling a pending request sooner gets `slow_down`,
         * and the client's interval grows by 5 seconds.
         */
        interval_seconds: z.number().int().min(1).max(60).default(5),
      })
      .strict()
      .prefault({}),
    enrollment: z
      .object({
        /** Seconds an enrollment (invite or setup) link stays valid. */
        link_seconds: z.number().int().min(60).max(7 * 24 * 3600).default(15 * 60),
        /** Days a device session lasts without use. */
        device_session_days: z.number().int().min(1).max(400).default(180),
      })
      .strict()
      .prefault({}),
    passkeys: z
      .object({
        /**
         * Whether approving a QR needs a fresh passkey assertion with user verification (the
         * phone's biometrics or PIN): `required` (a device without a passkey cannot approve),
         * `preferred` (needed whenever the device has a passkey), `off` (never asked).
         */
        policy: z.enum(['required', 'preferred', 'off']).default('preferred'),
        /** Name shown by the phone when it creates the passkey. */
        rp_name: z.string().min(1).max(64).default('qrid'),
        /** Minutes a verification counts as recent for signing in another device by QR. */
        link_verification_minutes: z.number().int().min(1).max(30).default(5),
      })
      .strict()
      .prefault({}),
    phishing: z
      .object({
        /**
         * When the phone's network differs from the requesting browser's, the phone warns and
         * asks the person to pick the number the computer shows (number matching).
         * `subnet`: different /24 (IPv4) or /48 (IPv6) counts as different. `off`: never.
         */
        network_rule: z.enum(['subnet', 'off']).default('subnet'),
      })
      .strict()
      .prefault({}),
    push: z
      .object({
        /**
         * What a notification shows, on the lock screen too: `generic` ("A sign-in waits for
         * your approval") or `app` (also the app's name). Never who or where.
         */
        lock_screen: z.enum(['generic', 'app']).default('generic'),
        /**
         * Push services qrid sends to (a host or a parent domain): a browser's subscription must
         * point at one of them, so a device cannot make qrid send requests anywhere else.
         */
        endpoint_hosts: z
          .array(z.string().min(1))
          .default(['fcm.googleapis.com', 'push.services.mozilla.com', 'push.apple.com', 'notify.windows.com']),
        /** Who runs this qrid, for push services (RFC 8292 `sub`): a mailto: or https: URL. Default: the issuer if https, else mailto:qrid@localhost. */
        contact: z.string().regex(/^(mailto:|https:)/, 'must be a mailto: or https: URL').optional(),
        /**
         * "Send a notification to my phone instead" on the QR page: the person names their
         * account and approves on a phone that gets a push, typing the number the computer shows.
         * Off by default: SECURITY.md says what it adds to the risk.
         */
        sign_in: z.boolean().default(false),
      })
      .strict()
      .prefault({}),
    outgoing: z
      .object({
        /**
         * Hosts that back-channel logout and clients' `jwks_uri` may reach although they resolve to private or loopback
         * addresses (internal relying parties). oidc-provider refuses such addresses otherwise,
         * which protects against SSRF; list only hosts you run.
         */
        allow_private_hosts: z.array(z.string().min(1)).default([]),
      })
      .strict()
      .prefault({}),
    rate_limits: z
      .object({
        /** Typed-code attempts per client address per window before 429 (an IPv6 client counts by its /64). */
        typed_code_per_ip: z.number().int().min(1).default(10),
        /** Typed-code attempts per device per window, whatever address it comes from. */
        typed_code_per_device: z.number().int().min(1).default(10),
        /** Typed-code attempts by all of one account's devices together per window. */
        typed_code_per_account: z.number().int().min(1).default(20),
        /** Failed QR handle look-ups (unknown, expired, used) per IP per window before 429. */
        qr_failures_per_ip: z.number().int().min(1).default(20),
        /** Wrong typed codes from all IPs together per window: a cap on distributed guessing. */
        typed_code_failures_global: z.number().int().min(1).default(1000),
        /** Approval/deny POSTs per IP per window. */
        approval_per_ip: z.number().int().min(1).default(30),
        /** QR codes created (page loads and rotations) per IP per window. */
        qr_per_ip: z.number().int().min(1).default(120),
        /** Enrollment attempts per IP per window. */
        enrollment_per_ip: z.number().int().min(1).default(20),
        /** Token endpoint requests per IP per window (relying parties' servers). */
        token_per_ip: z.number().int().min(1).default(600),
        /**
         * Event streams and long-polls open at once (not per window) for one sign-in: its page
         * needs one; the rest cover a reload or a reconnect that overlaps the old connection.
         */
        open_streams_per_interaction: z.number().int().min(1).max(100).default(4),
        /** Event streams and long-polls open at once from one client address (per instance). */
        open_streams_per_ip: z.number().int().min(1).default(50),
        /** CIBA requests per client per window. */
        ciba_per_client: z.number().int().min(1).default(60),
        /** CIBA requests for one user per window, from all clients: nobody is buried in prompts. */
        ciba_per_account: z.number().int().min(1).default(5),
        /** "Send a notification to my phone" per named account per window. */
        push_sign_in_per_account: z.number().int().min(1).default(5),
        /** "Send a notification to my phone" per client address per window. */
        push_sign_in_per_ip: z.number().int().min(1).default(10),
        window_seconds: z.number().int().min(1).default(300),
      })
      .strict()
      .prefault({}),
    metrics: z
      .object({
        /**
         * `/metrics` then requires `Authorization: Bearer <token>` (or QRID_METRICS_TOKEN). Outside
         * development, metrics are served only with a token or on `listen`; with neither they are off.
         */
        token: z.string().min(16, 'must be at least 16 characters').optional(),
        /**
         * `host:port` of a listener of its own that serves `/metrics` and nothing else (for
         * example 127.0.0.1:9464, reachable by Prometheus but not through the public proxy). The
         * main port then does not serve metrics at all. A token, if set, is required there too.
         */
        listen: z
          .string()
          .regex(/^(\[[0-9A-Fa-f:.]+\]|[\w.-]+):\d{1,5}$/, 'must be host:port, e.g. 127.0.0.1:9464 or [::1]:9464')
          .optional(),
      })
      .strict()
      .prefault({}),
    log_level: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).default('info'),
  })
  .strict();

export type RawConfig = z.input<typeof configSchema>;
export type ParsedConfig = z.output<typeof configSchema>;
export type ClientConfig = z.output<typeof clientSchema>;

/** The resolved configuration every part of qrid receives. */
export interface Config extends Omit<ParsedConfig, 'issuer' | 'development' | 'cookie_keys'> {
  issuer: string;
  development: boolean;
  cookie_keys: string[];
}
