// An OpenID provider on 127.0.0.1 for provisio's sign-in tests: `oidc-provider` (pinned in
// package.json) with one public client, one user, and JWT access tokens for provisio's audience
// that carry the claims provisio checks (tid, scp). It listens on an ephemeral port and prints
// one JSON line on stdout, {"issuer": "http://127.0.0.1:PORT"}, once it answers.
//
// Environment:
//   AUDIENCE        the resource (and `aud`) of access tokens, e.g. api://provisio (required)
//   TENANT_ID       the `tid` of every token (required)
//   CLIENT_ID       the public client's id [provisio-test-client]
//   REDIRECT_URIS   comma-separated redirect URIs for the authorization code grant with PKCE
//                   (browser sign-in) [none: device code and refresh tokens only]
//   OIDC_USER, OIDC_PASSWORD  the account that can sign in [admin@contoso.test, correct horse]
//   DEVICE_INTERVAL seconds between polls of the token endpoint for a device code [1]
//   DEVICE_CODE_TTL seconds a device code is valid [600]
//
// Sign-in pages are plain HTML forms, so a test can sign in over HTTP without a browser:
//   GET  /interaction/:uid          the login form (prompt "login") or the consent form
//   POST /interaction/:uid/login    username, password
//   POST /interaction/:uid/confirm  grants what the client asked for
//   POST /interaction/:uid/abort    the user refuses (access_denied)
// The device flow's own pages (/device) come with oidc-provider; their "Abort" button denies too.
// A device code polled sooner than DEVICE_INTERVAL after the previous poll gets `slow_down`
// (RFC 8628, 3.5), which oidc-provider itself does not send.

import * as crypto from 'node:crypto';
import * as http from 'node:http';
import * as querystring from 'node:querystring';

import Provider, { errors } from 'oidc-provider';

const env = (name, fallback) => {
  const value = process.env[name];
  if (value !== undefined && value !== '') return value;
  if (fallback === undefined) {
    console.error(`provider.mjs: set ${name}`);
    process.exit(2);
  }
  return fallback;
};

const AUDIENCE = env('AUDIENCE');
const TENANT_ID = env('TENANT_ID');
const CLIENT_ID = env('CLIENT_ID', 'provisio-test-client');
const REDIRECT_URIS = env('REDIRECT_URIS', '').split(',').map((u) => u.trim()).filter(Boolean);
const USER = env('OIDC_USER', 'admin@contoso.test');
const PASSWORD = env('OIDC_PASSWORD', 'correct horse');
const DEVICE_INTERVAL = Number(env('DEVICE_INTERVAL', '1'));
const DEVICE_CODE_TTL = Number(env('DEVICE_CODE_TTL', '600'));

// The permissions provisio knows (src/auth/access.rs); a token's scp is the granted subset.
const PERMISSIONS = [
  'DeviceManagementConfiguration.Read.All',
  'DeviceManagementConfiguration.ReadWrite.All',
  'DeviceManagementManagedDevices.Read.All',
  'DeviceManagementManagedDevices.ReadWrite.All',
  'DeviceManagementManagedDevices.PrivilegedOperations.All',
  'DeviceManagementApps.Read.All',
  'DeviceManagementApps.ReadWrite.All',
];

// The one user: a stable object id, and the name audit events show.
const ACCOUNT = {
  accountId: crypto.createHash('sha256').update(USER).digest('hex').slice(0, 32),
  name: USER,
};

const { privateKey } = crypto.generateKeyPairSync('rsa', { modulusLength: 2048 });
const signingKey = { ...privateKey.export({ format: 'jwk' }), kid: crypto.randomUUID(), alg: 'RS256', use: 'sig' };

const server = http.createServer();
await new Promise((resolve) => server.listen(0, '127.0.0.1', resolve));
const issuer = `http://127.0.0.1:${server.address().port}`;

const grantTypes = ['urn:ietf:params:oauth:grant-type:device_code', 'refresh_token'];
if (REDIRECT_URIS.length) grantTypes.push('authorization_code');

const provider = new Provider(issuer, {
  clients: [{
    client_id: CLIENT_ID,
    client_name: 'provisio',
    token_endpoint_auth_method: 'none',
    grant_types: grantTypes,
    response_types: REDIRECT_URIS.length ? ['code'] : [],
    redirect_uris: REDIRECT_URIS,
    // Signing out of a browser app sends the user back to it.
    post_logout_redirect_uris: REDIRECT_URIS,
  }],
  jwks: { keys: [signingKey] },
  cookies: { keys: [crypto.randomBytes(32).toString('hex')] },
  scopes: ['openid', 'offline_access'],
  claims: { openid: ['sub'], profile: ['name', 'preferred_username'] },
  pkce: { required: () => true },
  features: {
    devInteractions: { enabled: false },
    deviceFlow: { enabled: true },
    revocation: { enabled: true },
    resourceIndicators: {
      enabled: true,
      // Requests that name no resource get provisio's, as Entra ID's scopes imply theirs.
      defaultResource: async () => AUDIENCE,
      useGrantedResource: async () => true,
      getResourceServerInfo: async (_ctx, resource) => {
        if (resource !== AUDIENCE) throw new errors.InvalidTarget();
        return {
          scope: PERMISSIONS.join(' '),
          audience: AUDIENCE,
          accessTokenTTL: 3600,
          accessTokenFormat: 'jwt',
          jwt: { sign: { alg: 'RS256' } },
        };
      },
    },
  },
  extraTokenClaims: async (_ctx, token) => {
    if (token.kind !== 'AccessToken' && token.kind !== 'ClientCredentials') return undefined;
    const scp = [...token.scopes].filter((s) => PERMISSIONS.includes(s)).join(' ');
    return { tid: TENANT_ID, scp, oid: token.accountId, preferred_username: USER, azp: CLIENT_ID };
  },
  findAccount: async (_ctx, sub) => (sub === ACCOUNT.accountId
    ? { accountId: sub, claims: async () => ({ sub, name: ACCOUNT.name, preferred_username: USER }) }
    : undefined),
  // Browser apps (the console) call the token endpoint across origins.
  clientBasedCORS: (_ctx, origin, client) => client.redirectUris.some((u) => new URL(u).origin === origin),
  interactions: { url: (_ctx, interaction) => `/interaction/${interaction.uid}` },
  renderError: async (ctx, out) => {
    ctx.type = 'html';
    ctx.body = `<!DOCTYPE html><title>Error</title><p id="error">${escape(out.error)}: ${escape(out.error_description || '')}</p>`;
  },
  ttl: {
    AccessToken: 3600,
    DeviceCode: DEVICE_CODE_TTL,
    Grant: 3600,
    IdToken: 3600,
    Interaction: 600,
    RefreshToken: 86400,
    Session: 3600,
    AuthorizationCode: 60,
  },
});
provider.proxy = false;

function escape(s) {
  return String(s).replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
}

function page(title, body) {
  return `<!DOCTYPE html><html><head><meta charset="utf-8"><title>${escape(title)}</title></head><body><h1>${escape(title)}</h1>${body}</body></html>`;
}

async function readBody(req) {
  const chunks = [];
  for await (const chunk of req) chunks.push(chunk);
  return Buffer.concat(chunks);
}

async function readForm(req) {
  return querystring.parse((await readBody(req)).toString('utf8'));
}

// The device flow's pages and its success page, plain enough to read in a test.
provider.use(async (ctx, next) => {
  const match = ctx.path.match(/^\/interaction\/([^/]+)(?:\/(login|confirm|abort))?$/);
  if (!match) return next();
  const [, uid, action] = match;
  const details = await provider.interactionDetails(ctx.req, ctx.res);
  if (details.uid !== uid) ctx.throw(400, 'interaction does not match the session');
  const { prompt, params } = details;
  if (!action && ctx.method === 'GET') {
    ctx.type = 'html';
    if (prompt.name === 'login') {
      ctx.body = page('Sign in', `<p id="client">${escape(params.client_id)}</p>
<form method="post" action="/interaction/${uid}/login">
<input type="text" name="username" autocomplete="username">
<input type="password" name="password" autocomplete="current-password">
<button type="submit" id="sign-in">Sign in</button></form>
<form method="post" action="/interaction/${uid}/abort"><button type="submit" id="cancel">Cancel</button></form>`);
    } else {
      const asked = [...new Set([
        ...(prompt.details.missingOIDCScope || []),
        ...Object.values(prompt.details.missingResourceScopes || {}).flat(),
      ])];
      ctx.body = page('Allow access', `<ul id="scopes">${asked.map((s) => `<li>${escape(s)}</li>`).join('')}</ul>
<form method="post" action="/interaction/${uid}/confirm"><button type="submit" id="allow">Allow</button></form>
<form method="post" action="/interaction/${uid}/abort"><button type="submit" id="deny">Deny</button></form>`);
    }
    return undefined;
  }
  if (ctx.method !== 'POST') ctx.throw(405);
  if (action === 'login') {
    const form = await readForm(ctx.req);
    if (form.username !== USER || form.password !== PASSWORD) {
      ctx.status = 401;
      ctx.type = 'html';
      ctx.body = page('Sign in', '<p id="error">Wrong user name or password.</p>');
      return undefined;
    }
    return provider.interactionFinished(ctx.req, ctx.res, {
      login: { accountId: ACCOUNT.accountId },
    }, { mergeWithLastSubmission: false });
  }
  if (action === 'confirm') {
    if (prompt.name !== 'consent') ctx.throw(400, 'nothing to consent to');
    const grant = details.grantId
      ? await provider.Grant.find(details.grantId)
      : new provider.Grant({ accountId: details.session.accountId, clientId: params.client_id });
    const { missingOIDCScope, missingOIDCClaims, missingResourceScopes } = prompt.details;
    if (missingOIDCScope) grant.addOIDCScope(missingOIDCScope.join(' '));
    if (missingOIDCClaims) grant.addOIDCClaims(missingOIDCClaims);
    for (const [indicator, scopes] of Object.entries(missingResourceScopes || {})) {
      grant.addResourceScope(indicator, scopes.join(' '));
    }
    return provider.interactionFinished(ctx.req, ctx.res, {
      consent: { grantId: await grant.save() },
    }, { mergeWithLastSubmission: true });
  }
  return provider.interactionFinished(ctx.req, ctx.res, {
    error: 'access_denied',
    error_description: 'The user declined to sign in.',
  }, { mergeWithLastSubmission: false });
});

// The interval clients are told to wait between polls, and `slow_down` for those that do not.
const lastPoll = new Map();
provider.use(async (ctx, next) => {
  if (ctx.method === 'POST' && ctx.path === '/token' && ctx.is('application/x-www-form-urlencoded')) {
    // Read here to see the device code; oidc-provider parses the same bytes again.
    const body = await readBody(ctx.req);
    ctx.req.body = body;
    const form = querystring.parse(body.toString('utf8'));
    if (form.grant_type === 'urn:ietf:params:oauth:grant-type:device_code' && form.device_code) {
      const now = Date.now();
      const last = lastPoll.get(form.device_code);
      lastPoll.set(form.device_code, now);
      if (last !== undefined && now - last < DEVICE_INTERVAL * 1000) {
        console.error('provider.mjs: slow_down');
        ctx.status = 400;
        ctx.body = { error: 'slow_down', error_description: 'poll less often' };
        return undefined;
      }
    }
  }
  await next();
  if (ctx.method === 'POST' && ctx.path === '/device/auth' && ctx.status === 200 && ctx.body) {
    ctx.body = { ...ctx.body, interval: DEVICE_INTERVAL };
  }
  return undefined;
});

server.on('request', provider.callback());
console.log(JSON.stringify({ issuer }));
