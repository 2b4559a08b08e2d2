/**
 * The broker's pages: denial, home, MFA, TOTP enrolment, access requests, approvals, sessions.
 *
 * Rules enforced:
 * - Pure functions from data to HTML text; every value escaped by h`` (html.ts).
 * - A denial always says why: the stable reason codes from the gate/policy, plus a next step.
 * - Every form that changes state carries the session's CSRF token and posts to the broker.
 * - A TOTP secret is shown only on the enrolment page, only while unconfirmed.
 */
import type { JitRequest } from '../jit/store.ts';
import type { SessionRecord } from '../sessions/types.ts';
import { reasonText } from '../errors.ts';
import { h, layout, raw, type Html } from './html.ts';

export interface Link {
  href: string;
  label: string;
}


const hidden = (csrf: string): Html => h`<input type="hidden" name="csrf" value="${csrf}">`;
const links = (ls: readonly Link[]): Html => h`<p>${ls.map((l) => h`<a href="${l.href}">${l.label}</a> `)}</p>`;

export function deniedPage(p: { title: string; reasons: readonly string[]; ruleId?: string | null; links?: readonly Link[] }): string {
  const body = h`<p>Access was refused for the following reason${p.reasons.length === 1 ? '' : 's'}:</p>
<ul class="reasons">${p.reasons.map((r) => h`<li><code>${r}</code>${reasonText(r) ? h` — ${reasonText(r)}` : raw('')}</li>`)}</ul>
${p.ruleId ? h`<p class="muted">Rule: <code>${p.ruleId}</code></p>` : raw('')}${links(p.links ?? [])}`;
  return layout(p.title, body);
}

export function homePage(p: { session: SessionRecord; routes: readonly Link[]; isAdmin: boolean; isApprover: boolean }): string {
  const s = p.session;
  const body = h`<p>Signed in as <strong>${s.user.email}</strong> (groups: ${s.user.groups.join(', ') || 'none'}), second factor: ${s.mfa?.method ?? 'none'}.</p>
<h2>Consoles</h2><ul>${p.routes.map((r) => h`<li><a href="${r.href}">${r.label}</a></li>`)}</ul>
<p><a href="/access">Request just-in-time access</a>${p.isApprover ? h` · <a href="/access/approvals">Approve requests</a>` : raw('')}${p.isAdmin ? h` · <a href="/admin/sessions">Sessions</a>` : raw('')} · <a href="/mfa/manage">Security keys</a></p>
<form method="post" action="/logout">${hidden(s.csrf)}<button type="submit">Sign out</button></form>`;
  return layout('Gatehouse', body);
}

export interface MfaView {
  csrf: string;
  email: string;
  totp: 'none' | 'pending' | 'confirmed';
  webauthn: boolean;
  methods: readonly string[];
  canEnrol: boolean;
  stepUp: boolean;
  error?: string;
}

export function mfaPage(v: MfaView): string {
  const parts: Html[] = [];
  if (v.error) parts.push(h`<p class="error" id="mfa-error">${v.error}</p>`);
  parts.push(h`<p>${v.stepUp ? 'This console needs a fresh second factor.' : 'Complete sign-in with your second factor.'} (${v.email})</p>`);
  if (v.methods.includes('totp') && v.totp === 'confirmed') {
    parts.push(h`<form method="post" action="/mfa/totp">${hidden(v.csrf)}<label>Authenticator code <input name="code" id="totp-code" inputmode="numeric" autocomplete="one-time-code" pattern="[0-9]*" required></label> <button type="submit" id="totp-submit">Verify</button></form>`);
  }
  if (v.methods.includes('webauthn') && v.webauthn) {
    parts.push(h`<p><button type="button" data-webauthn="authenticate" id="webauthn-authenticate">Use security key</button></p>`);
  }
  if (v.canEnrol && v.methods.includes('totp') && v.totp !== 'confirmed') parts.push(h`<p><a href="/mfa/totp/enrol" id="totp-enrol">Set up an authenticator app</a></p>`);
  if (v.canEnrol && v.methods.includes('webauthn') && !v.webauthn) {
    parts.push(h`<p><button type="button" data-webauthn="register" id="webauthn-register">Register a security key</button></p>`);
  }
  if (parts.length === (v.error ? 2 : 1)) parts.push(h`<p class="error">No second factor is available for this account; ask an administrator.</p>`);
  parts.push(h`<p id="webauthn-status" class="muted" role="status"></p><script src="/.gatehouse/static/webauthn.js"></script>`);
  return layout('Second factor', h`${parts}`, { csrf: v.csrf });
}

export function totpEnrolPage(p: { csrf: string; secret: string; uri: string; error?: string }): string {
  const body = h`${p.error ? h`<p class="error">${p.error}</p>` : raw('')}
<p>Add this account to your authenticator app, then enter the code it shows.</p>
<p>Secret: <code id="totp-secret">${p.secret}</code></p><p class="mono muted" id="totp-uri">${p.uri}</p>
<form method="post" action="/mfa/totp">${hidden(p.csrf)}<label>Code <input name="code" id="totp-code" inputmode="numeric" required></label> <button type="submit" id="totp-submit">Confirm</button></form>`;
  return layout('Set up authenticator', body, { csrf: p.csrf });
}

export function manageKeysPage(p: { csrf: string; totp: string; keys: number }): string {
  const body = h`<p>Authenticator app: ${p.totp}. Security keys: ${p.keys}.</p>
<p><button type="button" data-webauthn="register" id="webauthn-register">Register another security key</button></p>
<p id="webauthn-status" class="muted" role="status"></p><script src="/.gatehouse/static/webauthn.js"></script><p><a href="/">Back</a></p>`;
  return layout('Second factors', body, { csrf: p.csrf });
}

const when = (ms: number) => new Date(ms).toISOString().replace('.000Z', 'Z');

function requestRow(r: JitRequest, action?: Html): Html {
  return h`<tr><td><code>${r.routeId}</code></td><td>${r.requesterEmail}</td><td>${when(r.notBefore)} – ${when(r.notAfter)}</td><td>${r.reason}</td><td>${r.status}</td>${action ? h`<td>${action}</td>` : raw('')}</tr>`;
}

export function accessPage(p: { csrf: string; routes: readonly string[]; mine: readonly JitRequest[]; notice?: string; error?: string }): string {
  const body = h`${p.error ? h`<p class="error">${p.error}</p>` : raw('')}${p.notice ? h`<p id="notice">${p.notice}</p>` : raw('')}
<form method="post" action="/access/request">${hidden(p.csrf)}
<label>Console <select name="route">${p.routes.map((r) => h`<option value="${r}">${r}</option>`)}</select></label><br>
<label>Minutes from now <input name="startMinutes" value="0" inputmode="numeric"></label>
<label>Duration (minutes) <input name="durationMinutes" value="60" inputmode="numeric"></label><br>
<label>Reason <input name="reason" required maxlength="500"></label> <button type="submit">Request</button></form>
<h2>Your requests</h2><table><tr><th>Console</th><th>Who</th><th>Window</th><th>Reason</th><th>Status</th></tr>${p.mine.map((r) => requestRow(r))}</table>
<p><a href="/">Back</a></p>`;
  return layout('Request access', body);
}

export function approvalsPage(p: { csrf: string; pending: readonly JitRequest[]; selfSub: string; notice?: string }): string {
  const decide = (r: JitRequest) =>
    r.requesterSub === p.selfSub
      ? h`<span class="muted">your own request</span>`
      : h`<form method="post" action="/access/decide">${hidden(p.csrf)}<input type="hidden" name="id" value="${r.id}"><button name="decision" value="approve">Approve</button> <button name="decision" value="reject">Reject</button></form>`;
  const body = h`${p.notice ? h`<p id="notice">${p.notice}</p>` : raw('')}<table><tr><th>Console</th><th>Who</th><th>Window</th><th>Reason</th><th>Status</th><th></th></tr>${p.pending.map((r) => requestRow(r, decide(r)))}</table><p><a href="/">Back</a></p>`;
  return layout('Pending access requests', body);
}

export function sessionsPage(p: { csrf: string; sessions: readonly SessionRecord[] }): string {
  const row = (s: SessionRecord) =>
    h`<tr><td><code>${s.id}</code></td><td>${s.user.email}</td><td>${s.stage}</td><td>${s.mfa?.method ?? ''}</td><td>${when(s.createdAt)}</td><td><code>${s.cert.serial}</code></td><td><form method="post" action="/admin/sessions/kill">${hidden(p.csrf)}<input type="hidden" name="id" value="${s.id}"><button>Kill</button></form></td></tr>`;
  const body = h`<table><tr><th>Session</th><th>User</th><th>Stage</th><th>MFA</th><th>Started</th><th>Cert serial</th><th></th></tr>${p.sessions.map(row)}</table><p><a href="/">Back</a></p>`;
  return layout('Sessions', body);
}

export function signedOutPage(): string {
  return layout('Signed out', h`<p>You are signed out.</p><p><a href="/login">Sign in again</a></p>`);
}
