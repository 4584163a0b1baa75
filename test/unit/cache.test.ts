/** What a build removes of the cache's staging area when it ends (src/buildpack/cache.ts): its own dirs and a dead build's, never a running one's. */
import { describe, expect, it } from 'vitest';
import { STALE_STAGING_MS, stagingToClean } from '../../src/buildpack/cache.js';

describe('stagingToClean', () => {
  it('its own staging dirs, and those a build that died left over an hour ago; another build’s running meanwhile stays', () => {
    const now = 1_800_000_000_000;
    const mine = `tmp-${now - 5000}-aaaa1111`;
    const running = `tmp-${now - 60_000}-bbbb2222`;
    const dead = `tmp-${now - STALE_STAGING_MS - 1}-cccc3333`;
    expect(stagingToClean([mine, running, dead, 'not-ours'], (n) => n === mine, now)).toEqual([mine, dead]);
  });
});
