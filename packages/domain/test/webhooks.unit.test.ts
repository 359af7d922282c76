import { Webhook } from 'standardwebhooks';
import { describe, expect, it } from 'vitest';
import { MAX_LISTED_METERS, payloadFor, type EventData } from '../src/events';
import {
  addressProblem,
  generateWebhookSecret,
  nextRetryDelayMs,
  signWebhook,
  webhookUrlProblem,
} from '../src/webhooks';

const strict = { allowHttp: false, allowPrivateNetworks: false };
const open = { allowHttp: true, allowPrivateNetworks: true };

describe('webhookUrlProblem', () => {
  it('accepts a public https URL and refuses http unless allowed', () => {
    expect(webhookUrlProblem('https://billing.example.com/hooks/meterops', strict)).toBeNull();
    expect(webhookUrlProblem('http://billing.example.com/hooks', strict)).toBe('must be an https:// URL');
    expect(webhookUrlProblem('http://billing.example.com/hooks', open)).toBeNull();
    expect(webhookUrlProblem('ftp://billing.example.com/', open)).toBe('must be an https:// URL');
    expect(webhookUrlProblem('https://user:pw@billing.example.com/', strict)).toBe(
      'must not contain a user name or password',
    );
  });

  it('refuses link-local and metadata addresses even where private networks are allowed', () => {
    for (const url of [
      'https://169.254.169.254/latest/meta-data/',
      'https://[fe80::1]/',
      'https://[::ffff:169.254.169.254]/',
      'https://[fd00:ec2::254]/',
    ]) {
      expect(webhookUrlProblem(url, open)).toBe(
        'must not point at a link-local or metadata address (such as 169.254.169.254)',
      );
    }
    expect(webhookUrlProblem('https://metadata.google.internal/computeMetadata/v1/', open)).toBe(
      'must not point at a cloud metadata service',
    );
  });

  it('refuses loopback and private networks unless allowed', () => {
    expect(webhookUrlProblem('https://127.0.0.1/', strict)).toBe(
      'must not point at a loopback network address',
    );
    expect(webhookUrlProblem('https://localhost:8443/', strict)).toBe(
      'must not point at this machine (loopback)',
    );
    expect(webhookUrlProblem('https://10.1.2.3/', strict)).toBe(
      'must not point at a private network address',
    );
    expect(webhookUrlProblem('https://[fd12::1]/', strict)).toBe(
      'must not point at a private network address',
    );
    expect(webhookUrlProblem('https://127.0.0.1/', open)).toBeNull();
    expect(addressProblem('192.168.1.10', open)).toBeNull();
    expect(addressProblem('8.8.8.8', strict)).toBeNull();
    expect(addressProblem('0.0.0.0', open)).toBe('must not point at a unspecified address');
  });
});

describe('nextRetryDelayMs', () => {
  it('follows the schedule within ±20 % and ends after the eighth retry', () => {
    expect(nextRetryDelayMs(1, undefined, () => 0.5)).toBe(30_000);
    expect(nextRetryDelayMs(1, undefined, () => 0)).toBe(24_000);
    expect(nextRetryDelayMs(8, undefined, () => 0.5)).toBe(12 * 3_600_000);
    expect(nextRetryDelayMs(9, undefined, () => 0.5)).toBeNull();
  });
});

describe('signWebhook', () => {
  it('produces signatures the standardwebhooks library accepts, one per secret during a rotation', () => {
    const current = generateWebhookSecret();
    const previous = generateWebhookSecret();
    const body = '{"id":"evt_1","type":"webhook.test","timestamp":"2026-11-20T00:00:00.000Z","data":{}}';
    const timestamp = Math.floor(Date.now() / 1000);
    const signature = signWebhook({ id: 'evt_1', timestamp, body, secrets: [current, previous] });
    expect(signature.split(' ')).toHaveLength(2);
    const headers = {
      'webhook-id': 'evt_1',
      'webhook-timestamp': String(timestamp),
      'webhook-signature': signature,
    };
    expect(new Webhook(current).verify(body, headers)).toEqual(JSON.parse(body));
    expect(new Webhook(previous).verify(body, headers)).toEqual(JSON.parse(body));
  });
});

describe('payloadFor', () => {
  const data: EventData<'day.finalized'> = {
    day: '2026-11-20',
    meterCount: 3,
    kwhTotal: '6.0000',
    meters: [
      { meterId: 'MTR-1', kwh: '1.0000', finalVersion: 1 },
      { meterId: 'MTR-2', kwh: '2.0000', finalVersion: 1 },
      { meterId: 'MTR-3', kwh: '3.0000', finalVersion: 2 },
    ],
    usagePath: '/api/v1/usage/daily?day=2026-11-20&status=final',
    jobRunId: null,
  };

  it('narrows day.finalized to the matched meters with their count and total', () => {
    expect(payloadFor('day.finalized', data, new Set(['MTR-1', 'MTR-3']))).toEqual({
      ...data,
      meterCount: 2,
      kwhTotal: '4.0000',
      meters: [data.meters?.[0], data.meters?.[2]],
    });
    expect(payloadFor('day.finalized', data, null)).toEqual(data);
  });

  it('gives counts and the link instead of a list above the limit', () => {
    const many = Array.from({ length: MAX_LISTED_METERS + 1 }, (_, index) => ({
      meterId: `MTR-${index}`,
      kwh: '0.0001',
      finalVersion: 1,
    }));
    const big = payloadFor('day.finalized', { ...data, meters: many, meterCount: many.length }, null);
    expect(big).toMatchObject({ meterCount: 1_001, kwhTotal: '0.1001', meters: null });
  });
});
