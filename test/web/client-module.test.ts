import { describe, expect, it } from 'vitest';
import { pageState, STATE_LABELS } from '../../src/web/client/tdcrowd-client.js';

describe('the client module: what the page says', () => {
  it('says what is true: the relay, the network, or the show', () => {
    expect(pageState('connecting', true, true)).toBe('connecting');
    expect(pageState('live', true, true)).toBe('live');
    expect(pageState('live', false, true)).toBe('waiting');
    expect(pageState('live', false, false)).toBe('waiting');
    expect(pageState('live', true, false)).toBe('idle');
    expect(pageState('reconnecting', false, true)).toBe('reconnecting');
    expect(pageState('unreachable', true, true)).toBe('unreachable');
    expect(pageState('offline', true, true)).toBe('offline');
    expect(STATE_LABELS.unreachable).toBe('relay unreachable — retrying');
    expect(STATE_LABELS.waiting).toBe('connected · waiting for the show');
    expect(STATE_LABELS.offline).toBe('offline — retrying');
  });
});
