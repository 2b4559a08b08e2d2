/**
 * Home, just-in-time access requests/approvals and the admin session list on the broker host.
 *
 * Rules enforced:
 * - All of these need an active (MFA-complete) broker session bound to the presented
 *   certificate; every POST carries the CSRF token and passes the same-origin check.
 * - JIT: anyone may request; only approver groups see and decide pending requests, and never
 *   their own (jit/service.ts enforces dual control, the page only hides the buttons).
 * - Sessions: only admin groups list and kill sessions; a kill is audited and closes the
 *   session's live WebSockets on every node (broker.session.killed).
 */
import { AppError } from '../../platform/errors.ts';
import { isAdmin, routeOrigin } from '../context.ts';
import { accessPage, approvalsPage, homePage, sessionsPage } from '../pages/views.ts';
import { readForm } from '../web/request.ts';
import { checkCsrf, requireSession, type RequestCtx } from './common.ts';

export async function home(c: RequestCtx): Promise<void> {
  const s = await requireSession(c);
  if (s === null) return;
  const routes = [...c.b.policy().routes.values()].map((r) => ({ href: `${routeOrigin(c.b, r.host)}/`, label: `${r.id} (${r.host})` }));
  c.b.pages.send(c.req, c.res, 200, homePage({ session: s, routes, isAdmin: isAdmin(c.b, s.user), isApprover: c.b.jit.isApprover(s.user) }));
}

export async function accessForm(c: RequestCtx, notice?: string, error?: string): Promise<void> {
  const s = await requireSession(c);
  if (s === null) return;
  const routes = [...c.b.policy().routes.keys()];
  const mine = await c.b.jit.mine(s.user);
  c.b.pages.send(c.req, c.res, error ? 400 : 200, accessPage({ csrf: s.csrf, routes, mine, ...(notice ? { notice } : {}), ...(error ? { error } : {}) }));
}

export async function accessRequest(c: RequestCtx): Promise<void> {
  const s = await requireSession(c);
  if (s === null) return;
  const form = await readForm(c.req);
  checkCsrf(c, s, form.get('csrf'));
  const start = Number(form.get('startMinutes') ?? '0');
  const duration = Number(form.get('durationMinutes') ?? '');
  if (!Number.isFinite(start) || start < 0 || !Number.isFinite(duration) || duration <= 0) throw new AppError('ERR_BAD_INPUT', 'invalid time window');
  const notBefore = c.b.now() + Math.floor(start * 60_000);
  const req = await c.b.jit.request(s.user, { routeId: form.get('route') ?? '', notBefore, notAfter: notBefore + Math.floor(duration * 60_000), reason: form.get('reason') ?? '' });
  await accessForm(c, `Request ${req.id} is waiting for another approver.`);
}

export async function approvals(c: RequestCtx, notice?: string): Promise<void> {
  const s = await requireSession(c);
  if (s === null) return;
  if (!c.b.jit.isApprover(s.user)) throw new AppError('ERR_FORBIDDEN', 'not an approver');
  const pending = await c.b.jit.pending();
  c.b.pages.send(c.req, c.res, 200, approvalsPage({ csrf: s.csrf, pending, selfSub: s.user.sub, ...(notice ? { notice } : {}) }));
}

export async function decide(c: RequestCtx): Promise<void> {
  const s = await requireSession(c);
  if (s === null) return;
  const form = await readForm(c.req);
  checkCsrf(c, s, form.get('csrf'));
  const decision = form.get('decision');
  if (decision !== 'approve' && decision !== 'reject') throw new AppError('ERR_BAD_INPUT', 'decision must be approve or reject');
  const r = await c.b.jit.decide(s.user, form.get('id') ?? '', decision);
  await approvals(c, `Request ${r.id} ${r.status}.`);
}

export async function sessionsAdmin(c: RequestCtx): Promise<void> {
  const s = await requireSession(c);
  if (s === null) return;
  if (!isAdmin(c.b, s.user)) throw new AppError('ERR_FORBIDDEN', 'not an administrator');
  c.b.pages.send(c.req, c.res, 200, sessionsPage({ csrf: s.csrf, sessions: await c.b.sessions.list() }));
}

export async function killSession(c: RequestCtx): Promise<void> {
  const s = await requireSession(c);
  if (s === null) return;
  const form = await readForm(c.req);
  checkCsrf(c, s, form.get('csrf'));
  if (!isAdmin(c.b, s.user)) throw new AppError('ERR_FORBIDDEN', 'not an administrator');
  const id = form.get('id') ?? '';
  if (!(await c.b.sessions.end(id, `user:${s.user.email}`, 'killed'))) throw new AppError('ERR_NOT_FOUND', 'no such session');
  c.b.assertions.forgetSession(id);
  c.b.pages.redirect(c.req, c.res, id === s.id ? '/logout' : '/admin/sessions');
}
