/**
 * Review of the pin-failure report endpoint's untrusted text. The free-text fields of a report (`app-bundle-id`,
 * `app-version`, `date-time`, ...) took any character: a CR/LF or an ESC reached `onPinFailure` as sent, and from
 * there the logs and alerts it feeds (a forged log line, a rewritten terminal). They are refused now (422), as any
 * other field of the wrong shape; every adapter answers it as problem+json, and no event is raised.
 */
import { describe, expect, it } from 'vitest';
import { createPinReportEndpoint, type PinFailureEvent } from '../../src/channel/report-endpoint.js';
import { ENDPOINT_ADAPTERS } from '../helpers/endpoint-apps.js';

const PIN = Buffer.alloc(32, 1).toString('base64');
const report = (extra: Record<string, unknown>) => ({
  'app-bundle-id': 'com.example.bank',
  'app-version': '6.2.0',
  'app-platform': 'IOS',
  'date-time': '2026-06-01T10:00:00Z',
  hostname: 'api.example.com',
  'known-pins': [`pin-sha256="${PIN}"`],
  'validation-result': 1,
  ...extra,
});

describe.each(ENDPOINT_ADAPTERS.map((a) => [a.name, a] as const))('%s', (_name, harness) => {
  it('a report with a control character in a text field: 422 payload_invalid, no event; a clean one still passes', async () => {
    const events: PinFailureEvent[] = [];
    const reports = createPinReportEndpoint({ onPinFailure: (e) => void events.push(e) });
    const app = await harness.start({ endpoints: reports });
    try {
      const forged = [
        { 'app-bundle-id': 'com.example.bank\n2026-06-01T10:00:01Z ERROR payment gateway down' },
        { 'app-version': '6.2.0\r\n' },
        { 'date-time': '2026-06-01T10:00:00Z\u001b[2J' },
        { 'app-platform': 'IOS\u0000' },
        { 'trustkit-version': '3.0.3\u0085' },
      ];
      for (const extra of forged) {
        const res = await fetch(`${app.url}/pinning/report`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(report(extra)) });
        expect(res.status, JSON.stringify(extra)).toBe(422);
        expect(res.headers.get('content-type')).toMatch(/^application\/problem\+json/);
        expect(((await res.json()) as { code: string }).code).toBe('payload_invalid');
      }
      expect(events).toEqual([]);
      const clean = await fetch(`${app.url}/pinning/report`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(report({ 'app-bundle-id': 'com.example.bank (beta) – é' })) });
      expect(clean.status).toBe(204);
      expect(events.map((e) => e.appId)).toEqual(['com.example.bank (beta) – é']);
    } finally {
      await app.close();
    }
  });
});
