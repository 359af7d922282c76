import { describe, expect, it } from 'vitest';
import {
  buildRedriveMessages,
  MAX_HEADER_IDS,
  REDRIVE_OF_HEADER,
  REDRIVEN_BY_HEADER,
  redriveOfHeader,
  slicesForPublishing,
  type RedriveSource,
} from '../src/redrive';

const reading = (id: number, meterId: string, item: unknown, itemIndex = 0): RedriveSource => ({
  id,
  itemIndex,
  meterId,
  messageKey: meterId,
  payload: JSON.stringify({ meterId, reading: item }),
  payloadBytes: null,
});

const item = (intervalStart: string, kwh: number) => ({ intervalStart, kwh });

describe('buildRedriveMessages', () => {
  it('groups the readings of one meter into one contract message keyed by the meter, items as sent', () => {
    const messages = buildRedriveMessages(
      [
        reading(3, 'M-1', item('2026-11-22T00:15:00Z', 0.5), 2),
        reading(1, 'M-1', { intervalStart: '2026-11-22T00:00:00Z', kwh: 0.25, extra: 'kept' }),
        reading(2, 'M-2', item('2026-11-22T00:00:00Z', 1)),
      ],
      { actor: 'cli:ops' },
    );
    expect(messages).toEqual([
      {
        key: 'M-1',
        value: JSON.stringify({
          meterId: 'M-1',
          readings: [
            { intervalStart: '2026-11-22T00:00:00Z', kwh: 0.25, extra: 'kept' },
            item('2026-11-22T00:15:00Z', 0.5),
          ],
        }),
        headers: { [REDRIVE_OF_HEADER]: '1,3', [REDRIVEN_BY_HEADER]: 'cli:ops' },
        rejectIds: [1, 3],
      },
      {
        key: 'M-2',
        value: JSON.stringify({ meterId: 'M-2', readings: [item('2026-11-22T00:00:00Z', 1)] }),
        headers: { [REDRIVE_OF_HEADER]: '2', [REDRIVEN_BY_HEADER]: 'cli:ops' },
        rejectIds: [2],
      },
    ]);
  });

  it('puts a second reading of the same interval in a later message, so the newer value wins', () => {
    const messages = buildRedriveMessages(
      [
        reading(1, 'M-1', item('2026-11-22T00:15:00Z', 0.1)),
        // The same instant written with an offset.
        reading(2, 'M-1', item('2026-11-22T01:15:00+01:00', 0.2)),
        reading(3, 'M-1', item('2026-11-22T00:30:00Z', 0.3)),
      ],
      { actor: 'u' },
    );
    expect(messages.map((message) => message.rejectIds)).toEqual([[1], [2, 3]]);
  });

  it('splits a meter at the contract limit of items per message', () => {
    const rejects = Array.from({ length: 5 }, (_, index) =>
      reading(index + 1, 'M-1', item(`2026-11-22T0${index}:00:00Z`, index)),
    );
    const messages = buildRedriveMessages(rejects, { actor: 'u', maxReadingsPerMessage: 2 });
    expect(messages.map((message) => message.rejectIds)).toEqual([[1, 2], [3, 4], [5]]);
    for (const message of messages) {
      const value = JSON.parse(String(message.value)) as { readings: unknown[] };
      expect(value.readings).toHaveLength(message.rejectIds.length);
    }
  });

  it('sends a whole-message reject byte for byte with its original key', () => {
    const bytes = Buffer.from([0x7b, 0xff, 0x00, 0x7d]);
    const [withBytes, withText] = buildRedriveMessages(
      [
        {
          id: 7,
          itemIndex: -1,
          meterId: null,
          messageKey: 'K-1',
          payload: '{\uFFFD\uFFFD}',
          payloadBytes: bytes,
        },
        { id: 8, itemIndex: -1, meterId: 'M-3', messageKey: null, payload: 'not json', payloadBytes: null },
      ],
      { actor: 'u' },
    );
    expect(Buffer.isBuffer(withBytes?.value) && withBytes.value.equals(bytes)).toBe(true);
    expect(withBytes?.key).toBe('K-1');
    expect(withText).toMatchObject({ key: 'M-3', value: 'not json', rejectIds: [8] });
  });

  it('falls back to the whole-message rule for a reading payload that is not the worker shape', () => {
    const [message] = buildRedriveMessages(
      [{ id: 4, itemIndex: 2, meterId: 'M-1', messageKey: 'M-1', payload: '[1,2]', payloadBytes: null }],
      { actor: 'u' },
    );
    expect(message).toMatchObject({ key: 'M-1', value: '[1,2]', rejectIds: [4] });
  });
});

describe('redriveOfHeader', () => {
  it('lists every id up to the bound, then says how many more', () => {
    expect(redriveOfHeader([5, 9])).toBe('5,9');
    const ids = Array.from({ length: MAX_HEADER_IDS + 3 }, (_, index) => index + 1);
    const header = redriveOfHeader(ids);
    expect(header.split(',')).toHaveLength(MAX_HEADER_IDS + 1);
    expect(header.endsWith(`,${MAX_HEADER_IDS},+3 more`)).toBe(true);
  });
});

describe('slicesForPublishing', () => {
  it('keeps each publish under the byte bound, a larger message alone, and the order', () => {
    const message = (size: number) => ({ value: 'x'.repeat(size) });
    const slices = slicesForPublishing([message(4), message(4), message(3), message(12), message(1)], 10);
    expect(slices.map((slice) => slice.map((entry) => entry.value.length))).toEqual([[4, 4], [3], [12], [1]]);
  });
});
