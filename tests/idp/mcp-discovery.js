// The protected-resource discovery of the MCP TypeScript SDK
// (@modelcontextprotocol/sdk, npm), run the way an MCP client runs it
// against a server that refused it: the resource_metadata URL from the
// challenge, the RFC 9728 document, the authorization server it names and
// that server's metadata, and the resource the client would ask a token for.
// Prints one JSON object with what it saw.
//
//   node mcp-discovery.js SERVER_URL
import {
  discoverOAuthProtectedResourceMetadata,
  discoverOAuthServerInfo,
  extractWWWAuthenticateParams,
  selectResourceURL,
} from '@modelcontextprotocol/sdk/client/auth.js';

const [serverUrl] = process.argv.slice(2);

const refused = await fetch(`${serverUrl}/messages`);
const { resourceMetadataUrl } = extractWWWAuthenticateParams(refused);
const info = await discoverOAuthServerInfo(serverUrl, { resourceMetadataUrl });
// Without the header: the SDK's path-aware discovery from the server URL alone.
const pathAware = await discoverOAuthProtectedResourceMetadata(serverUrl);
const resource = await selectResourceURL(serverUrl, {}, info.resourceMetadata);

console.log(
  JSON.stringify({
    status: refused.status,
    resource_metadata_url: resourceMetadataUrl?.href ?? null,
    resource_metadata: info.resourceMetadata ?? null,
    path_aware: pathAware,
    authorization_server_url: info.authorizationServerUrl,
    authorization_server_issuer: info.authorizationServerMetadata?.issuer ?? null,
    token_endpoint: info.authorizationServerMetadata?.token_endpoint ?? null,
    resource: resource?.href ?? null,
  }),
);
