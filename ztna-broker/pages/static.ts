/**
 * Static assets of the broker pages (served from the broker itself so the CSP needs no inline
 * script or style).
 *
 * Rules enforced:
 * - The WebAuthn script only talks to the broker's own origin (fetch same-origin, CSRF token
 *   from the page's meta tag in a header) and only navigates to the `next` URL the broker
 *   returned (which the broker validated as a return-to).
 * - Options and credentials cross the wire as WebAuthn JSON (base64url), per WebAuthn L3
 *   parseCreationOptionsFromJSON/toJSON, with a manual fallback for older browsers.
 */
export const STYLE_CSS = `body{font-family:system-ui,sans-serif;margin:0;color:#1b1f23;background:#f6f8fa}
header{background:#24292f;color:#fff;padding:.6rem 1rem}main{max-width:46rem;margin:1.5rem auto;background:#fff;padding:1.2rem 1.6rem;border:1px solid #d0d7de;border-radius:6px}
h1{font-size:1.4rem}code,.mono{font-family:ui-monospace,monospace;word-break:break-all}ul.reasons li{font-family:ui-monospace,monospace}
form{margin:.8rem 0}input,select,button{font-size:1rem;padding:.3rem .5rem;margin:.2rem 0}table{border-collapse:collapse}td,th{border:1px solid #d0d7de;padding:.2rem .5rem;text-align:left}
.error{color:#b42318}.muted{color:#57606a}
`;

export const WEBAUTHN_JS = `(() => {
  'use strict';
  const meta = document.querySelector('meta[name="gatehouse-csrf"]');
  const csrf = meta ? meta.getAttribute('content') : '';
  const fromB64u = (s) => { s = s.replace(/-/g, '+').replace(/_/g, '/'); while (s.length % 4) s += '='; const b = atob(s); const u = new Uint8Array(b.length); for (let i = 0; i < b.length; i++) u[i] = b.charCodeAt(i); return u.buffer; };
  const toB64u = (buf) => { const u = new Uint8Array(buf); let s = ''; for (const c of u) s += String.fromCharCode(c); return btoa(s).replace(/\\+/g, '-').replace(/\\//g, '_').replace(/=+$/, ''); };
  async function post(path, body) {
    const r = await fetch(path, { method: 'POST', credentials: 'same-origin', headers: { 'content-type': 'application/json', 'x-gatehouse-csrf': csrf }, body: JSON.stringify(body) });
    const j = await r.json().catch(() => ({}));
    if (!r.ok) throw new Error(j.error || ('HTTP ' + r.status));
    return j;
  }
  function creation(o) {
    if (PublicKeyCredential.parseCreationOptionsFromJSON) return PublicKeyCredential.parseCreationOptionsFromJSON(o);
    return Object.assign({}, o, { challenge: fromB64u(o.challenge), user: Object.assign({}, o.user, { id: fromB64u(o.user.id) }),
      excludeCredentials: (o.excludeCredentials || []).map((c) => Object.assign({}, c, { id: fromB64u(c.id) })) });
  }
  function request(o) {
    if (PublicKeyCredential.parseRequestOptionsFromJSON) return PublicKeyCredential.parseRequestOptionsFromJSON(o);
    return Object.assign({}, o, { challenge: fromB64u(o.challenge), allowCredentials: (o.allowCredentials || []).map((c) => Object.assign({}, c, { id: fromB64u(c.id) })) });
  }
  function json(c) {
    if (typeof c.toJSON === 'function') return c.toJSON();
    const r = c.response; const out = { id: c.id, rawId: toB64u(c.rawId), type: c.type, clientExtensionResults: c.getClientExtensionResults(), response: { clientDataJSON: toB64u(r.clientDataJSON) } };
    if (r.attestationObject) { out.response.attestationObject = toB64u(r.attestationObject); out.response.transports = r.getTransports ? r.getTransports() : []; }
    if (r.authenticatorData) { out.response.authenticatorData = toB64u(r.authenticatorData); out.response.signature = toB64u(r.signature); if (r.userHandle) out.response.userHandle = toB64u(r.userHandle); }
    return out;
  }
  async function run(kind) {
    const status = document.getElementById('webauthn-status');
    try {
      if (status) status.textContent = 'Waiting for your security key...';
      const opts = await post('/mfa/webauthn/' + kind + '-options', {});
      const cred = kind === 'register' ? await navigator.credentials.create({ publicKey: creation(opts) }) : await navigator.credentials.get({ publicKey: request(opts) });
      const res = await post('/mfa/webauthn/' + kind, json(cred));
      if (status) status.textContent = 'Done.';
      window.location.assign(res.next);
    } catch (e) {
      if (status) status.textContent = 'Security key failed: ' + (e && e.message ? e.message : e);
    }
  }
  for (const b of document.querySelectorAll('button[data-webauthn]')) b.addEventListener('click', () => run(b.getAttribute('data-webauthn')));
})();
`;
