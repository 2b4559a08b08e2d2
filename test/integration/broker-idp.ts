/**
 * A real OpenID Provider for the broker tests: panva's oidc-provider, in process, over HTTPS on
 * loopback, with a custom login interaction that emits `amr`/`acr` per account (RFC 8176).
 *
 * Rules: accounts are fixed (sub, email, email_verified, groups, amr); the login page is a plain
 * form (a browser fills it, the Node client posts it); login and consent finish in one step with
 * an explicit Grant for exactly the requested scopes; dev interactions are off.
 */
import { createServer, type Server } from 'node:https';
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import Provider from 'oidc-provider';

export interface IdpAccount {
  email: string;
  emailVerified?: boolean;
  groups: string[];
  amr: string[];
  acr?: string;
}

export interface TestIdp {
  issuer: string;
  port: number;
  server: Server;
  accounts: Record<string, IdpAccount>;
  close(): Promise<void>;
}

async function readForm(req: IncomingMessage): Promise<URLSearchParams> {
  const chunks: Buffer[] = [];
  for await (const c of req) chunks.push(c as Buffer);
  return new URLSearchParams(Buffer.concat(chunks).toString('utf8'));
}

function page(res: ServerResponse, html: string): void {
  res.writeHead(200, { 'content-type': 'text/html; charset=utf-8' });
  res.end(`<!doctype html><html><body>${html}</body></html>`);
}

export async function startIdp(o: { host: string; port: number; key: string; cert: string; redirectUri: string; clientId: string; clientSecret: string; accounts: Record<string, IdpAccount> }): Promise<TestIdp> {
  const issuer = `https://${o.host}:${o.port}`;
  const provider = new Provider(issuer, {
    clients: [{ client_id: o.clientId, client_secret: o.clientSecret, redirect_uris: [o.redirectUri], response_types: ['code'], grant_types: ['authorization_code'], token_endpoint_auth_method: 'client_secret_basic' }],
    claims: { openid: ['sub', 'amr', 'acr', 'auth_time'], email: ['email', 'email_verified'], groups: ['groups'], profile: ['name'] },
    acrValues: ['urn:test:pwd', 'urn:test:mfa'],
    scopes: ['openid', 'email', 'profile', 'groups'],
    findAccount: async (_ctx: unknown, id: string) => {
      const a = o.accounts[id];
      if (!a) return undefined;
      return { accountId: id, claims: async () => ({ sub: id, email: a.email, email_verified: a.emailVerified ?? true, groups: a.groups, name: id }) };
    },
    interactions: { url: (_ctx: unknown, interaction: { uid: string }) => `/interaction/${interaction.uid}` },
    features: { devInteractions: { enabled: false } },
    cookies: { keys: ['gatehouse-test-idp-cookie-key-0123456789'] },
    conformIdTokenClaims: false,
  });
  provider.on('server_error', (_ctx: unknown, err: Error) => console.error('idp server_error', err));
  const callback = provider.callback();

  const server = createServer({ key: o.key, cert: o.cert }, (req, res) => {
    const m = /^\/interaction\/([A-Za-z0-9_-]+)(\/login)?$/.exec((req.url ?? '').split('?')[0] ?? '');
    if (!m) return void callback(req, res);
    void (async () => {
      const details = await provider.interactionDetails(req, res);
      if (req.method === 'GET') {
        return page(res, `<h1>Test IdP</h1><form method="post" action="/interaction/${details.uid}/login"><input id="login" name="login"><button id="signin" type="submit">Sign in</button></form>`);
      }
      const accountId = (await readForm(req)).get('login') ?? '';
      const account = o.accounts[accountId];
      if (!account) return page(res, '<p id="error">unknown account</p>');
      const grant = new provider.Grant({ accountId, clientId: details.params.client_id });
      grant.addOIDCScope(String(details.params.scope));
      const grantId = await grant.save();
      await provider.interactionFinished(req, res, { login: { accountId, amr: account.amr, ...(account.acr ? { acr: account.acr } : {}) }, consent: { grantId } }, { mergeWithLastSubmission: false });
    })().catch((e: Error) => {
      res.writeHead(500, { 'content-type': 'text/plain' });
      res.end(`interaction failed: ${e.message}`);
    });
  });
  await new Promise<void>((r) => server.listen(o.port, '127.0.0.1', () => r()));
  return {
    issuer,
    port: (server.address() as AddressInfo).port,
    server,
    accounts: o.accounts,
    close: () =>
      new Promise<void>((r) => {
        server.closeAllConnections();
        server.close(() => r());
      }),
  };
}
