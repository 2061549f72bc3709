// A plain single-page app as its developers would write it with oidc-client-ts (a public
// client: authorization code + PKCE, refresh tokens, RP-initiated logout). settings.json comes
// from the test's server: the issuer, the client and the scope to ask for.
const settings = await (await fetch('/settings.json')).json();
const manager = new oidc.UserManager({
  authority: settings.issuer,
  client_id: settings.clientId,
  redirect_uri: `${location.origin}/callback.html`,
  post_logout_redirect_uri: `${location.origin}/index.html`,
  response_type: 'code',
  scope: settings.scope,
  ...(settings.prompt ? { prompt: settings.prompt } : {}),
  automaticSilentRenew: false,
  loadUserInfo: true,
});

window.app = {
  login: () => manager.signinRedirect({ nonce: crypto.randomUUID() }),
  renew: () => manager.signinSilent(),
  logout: () => manager.signoutRedirect(),
  user: () => manager.getUser(),
};

if (location.pathname === '/callback.html') {
  manager.signinRedirectCallback().then(
    () => location.replace('/index.html?signed_in=1'),
    (error) => (document.title = `error: ${error.message}`),
  );
}
document.body.dataset.ready = 'yes';
