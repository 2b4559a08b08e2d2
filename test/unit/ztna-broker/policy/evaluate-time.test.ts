import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { evaluate, loadPolicy } from '../../../../ztna-broker/policy/index.ts';
import { facts, route, yamlDoc } from './fixtures.ts';

describe('evaluate: time windows across time zones', () => {
  const windowPolicy = (tw: Record<string, unknown>) =>
    loadPolicy(
      yamlDoc([route()], [{ id: 'tw', effect: 'allow', routes: ['*'], when: { groups: ['ops'], timeWindow: tw } }]),
    );
  const weekdays = ['mon', 'tue', 'wed', 'thu', 'fri'];
  const cases: Array<[string, Record<string, unknown>, string, boolean]> = [
    [
      'New York winter: 09:00 EST opens',
      { days: weekdays, from: '09:00', to: '17:00', tz: 'America/New_York' },
      '2025-01-06T14:00:00Z',
      true,
    ],
    [
      'New York winter: 08:59 EST closed',
      { days: weekdays, from: '09:00', to: '17:00', tz: 'America/New_York' },
      '2025-01-06T13:59:00Z',
      false,
    ],
    [
      'New York summer: 09:00 EDT opens',
      { days: weekdays, from: '09:00', to: '17:00', tz: 'America/New_York' },
      '2025-07-07T13:00:00Z',
      true,
    ],
    [
      'New York summer: 17:00 EDT closed (half-open)',
      { days: weekdays, from: '09:00', to: '17:00', tz: 'America/New_York' },
      '2025-07-07T21:00:00Z',
      false,
    ],
    [
      'New York: Friday evening local is Saturday UTC',
      { days: ['fri'], from: '18:00', to: '23:00', tz: 'America/New_York' },
      '2025-01-11T00:30:00Z',
      true,
    ],
    [
      'Tokyo: Monday morning local is Sunday UTC',
      { days: ['mon'], from: '07:00', to: '09:00', tz: 'Asia/Tokyo' },
      '2025-01-05T23:00:00Z',
      true,
    ],
    [
      'Tokyo: same instant is not Sunday locally',
      { days: ['sun'], from: '07:00', to: '09:00', tz: 'Asia/Tokyo' },
      '2025-01-05T23:00:00Z',
      false,
    ],
    [
      'Berlin overnight: Friday 22:00 opens',
      { days: ['fri'], from: '22:00', to: '06:00', tz: 'Europe/Berlin' },
      '2025-01-10T21:00:00Z',
      true,
    ],
    [
      'Berlin overnight: Friday 21:59 closed',
      { days: ['fri'], from: '22:00', to: '06:00', tz: 'Europe/Berlin' },
      '2025-01-10T20:59:00Z',
      false,
    ],
    [
      'Berlin overnight: Saturday 05:59 still open',
      { days: ['fri'], from: '22:00', to: '06:00', tz: 'Europe/Berlin' },
      '2025-01-11T04:59:00Z',
      true,
    ],
    [
      'Berlin overnight: Saturday 06:00 closed',
      { days: ['fri'], from: '22:00', to: '06:00', tz: 'Europe/Berlin' },
      '2025-01-11T05:00:00Z',
      false,
    ],
    [
      'Berlin overnight: Friday 00:30 belongs to Thursday',
      { days: ['fri'], from: '22:00', to: '06:00', tz: 'Europe/Berlin' },
      '2025-01-09T23:30:00Z',
      false,
    ],
    [
      'Kiritimati (+14) is a day ahead',
      { days: ['thu'], from: '00:00', to: '24:00', tz: 'Pacific/Kiritimati' },
      '2025-03-05T10:00:00Z',
      true,
    ],
    [
      'Pago Pago (-11) is a day behind',
      { days: ['tue'], from: '00:00', to: '24:00', tz: 'Pacific/Pago_Pago' },
      '2025-03-05T10:00:00Z',
      true,
    ],
    [
      'Kolkata half-hour offset',
      { days: ['wed'], from: '15:30', to: '15:31', tz: 'Asia/Kolkata' },
      '2025-03-05T10:00:30Z',
      true,
    ],
    [
      'DST gap: 02:00-03:00 never happens on spring-forward day (before)',
      { days: ['sun'], from: '02:00', to: '03:00', tz: 'America/New_York' },
      '2025-03-09T06:59:59Z',
      false,
    ],
    [
      'DST gap: 02:00-03:00 never happens on spring-forward day (after)',
      { days: ['sun'], from: '02:00', to: '03:00', tz: 'America/New_York' },
      '2025-03-09T07:00:00Z',
      false,
    ],
    [
      'DST overlap: 01:30 happens twice on fall-back day (second)',
      { days: ['sun'], from: '01:00', to: '02:00', tz: 'America/New_York' },
      '2025-11-02T06:30:00Z',
      true,
    ],
    ['default zone is UTC', { days: ['wed'], from: '09:00', to: '11:00' }, '2025-03-05T10:00:00Z', true],
  ];
  for (const [name, tw, at, open] of cases) {
    it(name, () => {
      const d = evaluate(windowPolicy(tw), facts({ now: Date.parse(at) }));
      assert.equal(d.allow, open, JSON.stringify(d.reasons));
      if (!open) assert.deepEqual(d.reasons, ['no-matching-allow-rule', 'outside-time-window']);
    });
  }
});
