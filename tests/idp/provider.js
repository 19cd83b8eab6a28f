// The OpenID Provider the remote-key and DPoP tests run: panva's oidc-provider on
// 127.0.0.1 with a free port. It prints one JSON line when ready:
//   {"issuer":"http://127.0.0.1:PORT","kids":[...]}
// and then answers one JSON line per command read on stdin:
//   {"cmd":"rotate","kty":"RSA"|"EC"}  a new key of that type signs from now on,
//                                      the old ones stay published
//   {"cmd":"retire"}                   only the newest key of each type stays
// The ready line also holds `apiClientKey`: the PEM private key of the
// `api-jwt` client, which authenticates with `private_key_jwt`.
// Test-only: fixed client secrets, development login forms, keys in memory.
import crypto from 'node:crypto';
import http from 'node:http';
import readline from 'node:readline';

import Provider, { errors } from 'oidc-provider';

export const API_RS256 = 'https://api.tokenkind.test/rs256';
export const API_ES256 = 'https://api.tokenkind.test/es256';
// Opaque access tokens: the API learns about them by introspection (RFC 7662).
export const API_OPAQUE = 'https://api.tokenkind.test/opaque';
const SCOPES = 'read:messages write:messages';

function newKey(kty) {
  const { privateKey } = kty === 'EC'
    ? crypto.generateKeyPairSync('ec', { namedCurve: 'P-256' })
    : crypto.generateKeyPairSync('rsa', { modulusLength: 2048 });
  const jwk = privateKey.export({ format: 'jwk' });
  return { ...jwk, kid: `${kty.toLowerCase()}-${crypto.randomBytes(6).toString('hex')}`, use: 'sig', alg: kty === 'EC' ? 'ES256' : 'RS256' };
}

function resourceServer(resource) {
  if (resource === API_OPAQUE) {
    return { scope: SCOPES, audience: resource, accessTokenFormat: 'opaque', accessTokenTTL: 300 };
  }
  const alg = { [API_RS256]: 'RS256', [API_ES256]: 'ES256' }[resource];
  if (!alg) throw new errors.InvalidTarget();
  return { scope: SCOPES, audience: resource, accessTokenFormat: 'jwt', accessTokenTTL: 300, jwt: { sign: { alg } } };
}

// The `api-jwt` client's key pair: its public key is registered, its private key goes to the tests.
const apiClientKey = crypto.generateKeyPairSync('ec', { namedCurve: 'P-256' });
const apiClientJwk = { ...apiClientKey.publicKey.export({ format: 'jwk' }), kid: 'api-jwt-key', use: 'sig', alg: 'ES256' };

function configuration(keys) {
  return {
    clients: [
      // The API itself, to introspect tokens: with a secret, with a signed JWT,
      // and asking for signed introspection answers (RFC 9701).
      {
        client_id: 'api',
        client_secret: 'api-secret',
        grant_types: [],
        response_types: [],
        redirect_uris: [],
      },
      {
        client_id: 'api-jwt',
        token_endpoint_auth_method: 'private_key_jwt',
        token_endpoint_auth_signing_alg: 'ES256',
        jwks: { keys: [apiClientJwk] },
        grant_types: [],
        response_types: [],
        redirect_uris: [],
      },
      {
        client_id: 'api-signed',
        client_secret: 'api-signed-secret',
        introspection_signed_response_alg: 'RS256',
        grant_types: [],
        response_types: [],
        redirect_uris: [],
      },
      {
        client_id: 'machine',
        client_secret: 'machine-secret',
        grant_types: ['client_credentials'],
        response_types: [],
        redirect_uris: [],
      },
      {
        client_id: 'mtls-machine',
        client_secret: 'mtls-machine-secret',
        grant_types: ['client_credentials'],
        response_types: [],
        redirect_uris: [],
        tls_client_certificate_bound_access_tokens: true,
      },
      {
        client_id: 'web-app',
        client_secret: 'web-app-secret',
        grant_types: ['authorization_code'],
        response_types: ['code'],
        redirect_uris: ['http://127.0.0.1/callback'],
        id_token_signed_response_alg: 'RS256',
      },
      // The login_client example: a loopback redirect URI, whose port may
      // vary for a native client (RFC 8252 §7.3).
      {
        client_id: 'login-client',
        client_secret: 'login-client-secret',
        application_type: 'native',
        grant_types: ['authorization_code'],
        response_types: ['code'],
        redirect_uris: ['http://127.0.0.1/callback'],
      },
    ],
    jwks: { keys },
    cookies: { keys: ['tokenkind-test-cookie-key'] },
    features: {
      devInteractions: { enabled: true },
      clientCredentials: { enabled: true },
      introspection: { enabled: true },
      jwtIntrospection: { enabled: true },
      revocation: { enabled: true },
      // A token requested with a DPoP proof is bound to its key (`cnf.jkt`).
      dPoP: { enabled: true },
      // Certificate-bound tokens (`cnf["x5t#S256"]`). Test-only: the client
      // certificate comes in a header, as from a TLS-terminating proxy.
      mTLS: {
        enabled: true,
        certificateBoundAccessTokens: true,
        getCertificate: (ctx) => {
          const pem = ctx.get('x-client-certificate');
          return pem ? decodeURIComponent(pem) : undefined;
        },
      },
      resourceIndicators: {
        enabled: true,
        defaultResource: (_ctx, _client, oneOf) => oneOf,
        useGrantedResource: () => false,
        getResourceServerInfo: (_ctx, resource) => resourceServer(resource),
      },
    },
    pkce: { required: () => true },
  };
}

const keys = [newKey('RSA'), newKey('EC')];
const server = http.createServer();
let provider;

function rebuild(issuer) {
  const next = new Provider(issuer, configuration(keys));
  next.on('server_error', (_ctx, err) => process.stderr.write(`server_error: ${err.stack}\n`));
  provider = next;
}

server.on('request', (req, res) => provider.callback()(req, res));
server.listen(0, '127.0.0.1', () => {
  const issuer = `http://127.0.0.1:${server.address().port}`;
  rebuild(issuer);
  const say = (o) => process.stdout.write(`${JSON.stringify(o)}\n`);
  say({
    issuer,
    kids: keys.map((k) => k.kid),
    apiClientKey: apiClientKey.privateKey.export({ format: 'pem', type: 'pkcs8' }),
  });
  readline.createInterface({ input: process.stdin }).on('line', (line) => {
    try {
      const cmd = JSON.parse(line);
      if (cmd.cmd === 'rotate') {
        keys.unshift(newKey(cmd.kty));
      } else if (cmd.cmd === 'retire') {
        const seen = new Set();
        for (let i = 0; i < keys.length; i += 1) {
          if (seen.has(keys[i].kty)) { keys.splice(i, 1); i -= 1; } else { seen.add(keys[i].kty); }
        }
      } else {
        throw new Error(`unknown command ${cmd.cmd}`);
      }
      rebuild(issuer);
      say({ issuer, kids: keys.map((k) => k.kid) });
    } catch (err) {
      say({ error: String(err) });
    }
  }).on('close', () => process.exit(0));
});
