import { randomFillSync } from 'node:crypto';

const CROCKFORD = '0123456789abcdefghjkmnpqrstvwxyz';

/** Random bytes drawn 4 KB at a time: one call per 256 ids instead of one per id (an import makes one per new row). */
const pool = Buffer.alloc(4096);
let used = pool.length;

/** The time part of the last id, and its millisecond: ids made in the same millisecond share it. */
let lastTime = -1;
let lastPrefix = '';

/**
 * A ULID: 48 bits of milliseconds then 80 random bits, Crockford base32 (lower case). Ids sort by
 * creation time, so "newest first" is a key order, not a sort.
 */
export function newUlid(now: number = Date.now()): string {
  if (now !== lastTime) {
    let time = '';
    let t = now;
    for (let i = 0; i < 10; i++) {
      time = CROCKFORD[t % 32] + time;
      t = Math.floor(t / 32);
    }
    lastTime = now;
    lastPrefix = time;
  }
  if (used + 16 > pool.length) {
    randomFillSync(pool);
    used = 0;
  }
  let random = '';
  // 256 is a multiple of 32: every character is equally likely.
  for (let i = used; i < used + 16; i++) random += CROCKFORD[pool[i]! % 32];
  used += 16;
  return lastPrefix + random;
}
