/**
 * Identity shared by every instance (docs/protocol.md, "Identity", across processes): each id's holder instance
 * and the hash of its resume token live in Redis, changed only by the Lua scripts below, so a claim, a resume, a
 * release and a sweep are each atomic however many instances race.
 */
import { createHash } from 'node:crypto';
import type { Redis } from 'ioredis';
import { idKey, INSTANCES, PREFIX, usersKey } from './keys.js';

/** Only a hash leaves the process: a Redis dump must not hand out resume tokens. */
export function tokenHash(token: string): string {
  return createHash('sha256').update(token).digest('base64url');
}

// KEYS: id key, users:<me>. ARGV: me, new token hash, resume hash ('' for none), user key.
const CLAIM = `
local h = redis.call('HMGET', KEYS[1], 'inst', 'tok')
if not h[1] then
  redis.call('HSET', KEYS[1], 'inst', ARGV[1], 'tok', ARGV[2])
  redis.call('SADD', KEYS[2], ARGV[4])
  return {'claimed'}
end
if ARGV[3] == '' then return {'taken', h[1]} end
if ARGV[3] ~= h[2] then return {'bad', h[1]} end
redis.call('HSET', KEYS[1], 'inst', ARGV[1], 'tok', ARGV[2])
redis.call('SADD', KEYS[2], ARGV[4])
return {'resumed', h[1]}
`;

// KEYS: id key, users:<me>. ARGV: me, user key. 1 when the id was still this instance's.
const RELEASE = `
redis.call('SREM', KEYS[2], ARGV[2])
if redis.call('HGET', KEYS[1], 'inst') == ARGV[1] then
  redis.call('DEL', KEYS[1])
  return 1
end
return 0
`;

// KEYS: id key. ARGV: me, new token hash.
const ROTATE = `
if redis.call('HGET', KEYS[1], 'inst') == ARGV[1] then redis.call('HSET', KEYS[1], 'tok', ARGV[2]) end
return 0
`;

// After (re)connecting: make Redis say what this instance holds. KEYS: users:<me>, instances.
// ARGV: me, prefix, then user key and token hash pairs. Returns the keys another instance took meanwhile.
const REASSERT = `
local mine = {}
for i = 3, #ARGV, 2 do mine[ARGV[i]] = ARGV[i + 1] end
for _, k in ipairs(redis.call('SMEMBERS', KEYS[1])) do
  if not mine[k] then
    local idk = ARGV[2] .. 'id:' .. k
    if redis.call('HGET', idk, 'inst') == ARGV[1] then redis.call('DEL', idk) end
    redis.call('SREM', KEYS[1], k)
  end
end
local lost = {}
for k, tok in pairs(mine) do
  local idk = ARGV[2] .. 'id:' .. k
  local inst = redis.call('HGET', idk, 'inst')
  if (not inst) or inst == ARGV[1] then
    redis.call('HSET', idk, 'inst', ARGV[1], 'tok', tok)
    redis.call('SADD', KEYS[1], k)
  else
    table.insert(lost, k)
  end
end
redis.call('SADD', KEYS[2], ARGV[1])
return lost
`;

// Frees the ids of instances whose liveness key is gone; ids resumed elsewhere meanwhile stay with their new holder.
// KEYS: instances. ARGV: prefix, then dead instance ids. Returns how many ids were freed.
const SWEEP = `
local freed = 0
for i = 2, #ARGV do
  local d = ARGV[i]
  if redis.call('EXISTS', ARGV[1] .. 'inst:' .. d) == 0 then
    local uk = ARGV[1] .. 'users:' .. d
    for _, k in ipairs(redis.call('SMEMBERS', uk)) do
      local idk = ARGV[1] .. 'id:' .. k
      if redis.call('HGET', idk, 'inst') == d then
        redis.call('DEL', idk)
        freed = freed + 1
      end
    end
    redis.call('DEL', uk)
    redis.call('SREM', KEYS[1], d)
  end
end
return freed
`;

export type ClaimVerdict = { kind: 'claimed' } | { kind: 'resumed' | 'taken' | 'bad'; holder: string };

interface Scripted {
  tdClaim(idk: string, users: string, me: string, tok: string, resume: string, key: string): Promise<string[]>;
  tdRelease(idk: string, users: string, me: string, key: string): Promise<number>;
  tdRotate(idk: string, me: string, tok: string): Promise<number>;
  tdReassert(users: string, instances: string, me: string, prefix: string, ...pairs: string[]): Promise<string[]>;
  tdSweep(instances: string, prefix: string, ...dead: string[]): Promise<number>;
}

export class SharedIds {
  private readonly r: Redis & Scripted;

  constructor(
    redis: Redis,
    private readonly me: string,
  ) {
    redis.defineCommand('tdClaim', { numberOfKeys: 2, lua: CLAIM });
    redis.defineCommand('tdRelease', { numberOfKeys: 2, lua: RELEASE });
    redis.defineCommand('tdRotate', { numberOfKeys: 1, lua: ROTATE });
    redis.defineCommand('tdReassert', { numberOfKeys: 2, lua: REASSERT });
    redis.defineCommand('tdSweep', { numberOfKeys: 1, lua: SWEEP });
    this.r = redis as Redis & Scripted;
  }

  async claim(key: string, token: string, resume: string | undefined): Promise<ClaimVerdict> {
    const [kind, holder] = await this.r.tdClaim(idKey(key), usersKey(this.me), this.me, tokenHash(token), resume === undefined ? '' : tokenHash(resume), key);
    if (kind === 'claimed') return { kind };
    return { kind: kind as 'resumed' | 'taken' | 'bad', holder: holder ?? '' };
  }

  async release(key: string): Promise<boolean> {
    return (await this.r.tdRelease(idKey(key), usersKey(this.me), this.me, key)) === 1;
  }

  async rotate(key: string, token: string): Promise<void> {
    await this.r.tdRotate(idKey(key), this.me, tokenHash(token));
  }

  /** @returns keys another instance holds now (this instance must let them go). */
  reassert(held: Iterable<{ key: string; token: string }>): Promise<string[]> {
    const pairs: string[] = [];
    for (const u of held) pairs.push(u.key, tokenHash(u.token));
    return this.r.tdReassert(usersKey(this.me), INSTANCES, this.me, PREFIX, ...pairs);
  }

  sweep(dead: string[]): Promise<number> {
    return dead.length === 0 ? Promise.resolve(0) : this.r.tdSweep(INSTANCES, PREFIX, ...dead);
  }
}
