// A DPoP client built on panva's `dpop` library (npm), the way a user's
// client would be: it obtains a DPoP-bound access token from the provider
// (client credentials, a proof on the token request) and calls an API with
// proofs the library makes. Prints one JSON object with what it saw.
//
//   node dpop-client.js ISSUER RESOURCE API_URL
import { generateKeyPair, generateProof } from 'dpop';

const [issuer, resource, apiUrl] = process.argv.slice(2);
const keypair = await generateKeyPair('ES256');

const discovery = await (await fetch(`${issuer}/.well-known/openid-configuration`)).json();
const tokenEndpoint = discovery.token_endpoint;
const tokenResponse = await fetch(tokenEndpoint, {
  method: 'POST',
  headers: {
    'content-type': 'application/x-www-form-urlencoded',
    authorization: `Basic ${Buffer.from('machine:machine-secret').toString('base64')}`,
    dpop: await generateProof(keypair, tokenEndpoint, 'POST'),
  },
  body: new URLSearchParams({ grant_type: 'client_credentials', resource, scope: 'read:messages' }),
});
const token = await tokenResponse.json();
if (!tokenResponse.ok) {
  throw new Error(`token request failed: ${JSON.stringify(token)}`);
}

async function call(scheme, proof, url = apiUrl) {
  const headers = { authorization: `${scheme} ${token.access_token}` };
  if (proof) headers.dpop = proof;
  const response = await fetch(url, { headers });
  return {
    status: response.status,
    www_authenticate: response.headers.get('www-authenticate'),
    dpop_nonce: response.headers.get('dpop-nonce'),
  };
}

const out = { token_type: token.token_type, access_token: token.access_token };
let nonce;
let proof = await generateProof(keypair, apiUrl, 'GET', undefined, token.access_token);
out.first = await call('DPoP', proof);
if (out.first.status === 401 && out.first.dpop_nonce) {
  nonce = out.first.dpop_nonce;
  proof = await generateProof(keypair, apiUrl, 'GET', nonce, token.access_token);
  out.with_nonce = await call('DPoP', proof);
}
out.replayed = await call('DPoP', proof);
out.as_bearer = await call('Bearer');
out.other_method = await call('DPoP', await generateProof(keypair, apiUrl, 'POST', nonce, token.access_token));
const otherUrl = apiUrl.replace(/\/api\/messages$/, '/api/public');
out.other_url = await call('DPoP', await generateProof(keypair, otherUrl, 'GET', nonce, token.access_token));
out.fresh = await call('DPoP', await generateProof(keypair, apiUrl, 'GET', nonce, token.access_token));
process.stdout.write(`${JSON.stringify(out)}\n`);
