"""The Lua scripts of the Redis crawl state (see :mod:`workers.state.redis_state`).

Every multi-key update of the frontier, the host leases and the crawls is one script,
so it is atomic. Scripts take per-host and per-crawl key names as stems (from
:class:`workers.state.redis_keys.Keys`, e.g. ``Keys.frontier("")``) and append the host or the
crawl id; a prefix in braces keeps them in one Redis Cluster slot. Times (``now``,
``due``, ``expiry``, ``next_at``) are the callers' clock, passed in.

The frontier scripts (ADD, MARK, CLAIM, SYNC) share the functions of ``FRONTIER`` and
start their ARGV with the key names of ``RedisState._globals``; the lease scripts
(LEASE, RENEW, RELEASE) share ``LEASES`` and end their ARGV with
``RedisState._lease_args``.
"""

# Put `host` in `ready` at max(earliest due, host_next), or take it out if it has no work.
SCHEDULE = """
local function schedule(ready, fstem, nstem, host)
  local first = redis.call('ZRANGE', fstem .. host, 0, 0, 'WITHSCORES')
  if #first == 0 then
    redis.call('ZREM', ready, host)
    return
  end
  local at = first[2]
  local nxt = redis.call('GET', nstem .. host)
  if nxt and tonumber(nxt) > tonumber(at) then at = nxt end
  redis.call('ZADD', ready, at, host)
end
"""

# KEYS crawls, crawl_seq | ARGV digest, seeds, started, crawl-key stem
BEGIN = """
local open = redis.call('HGET', KEYS[1], ARGV[1])
if open then return {tonumber(open), 1} end
local id = redis.call('INCR', KEYS[2])
redis.call('HSET', ARGV[4] .. id, 'seeds', ARGV[2], 'digest', ARGV[1], 'started', ARGV[3])
redis.call('HSET', KEYS[1], ARGV[1], id)
return {id, 0}
"""

# KEYS crawl, crawls | ARGV id, now
FINISH = """
if redis.call('HEXISTS', KEYS[1], 'started') == 0 then return 0 end
redis.call('HSET', KEYS[1], 'finished', ARGV[2])
local digest = redis.call('HGET', KEYS[1], 'digest')
if digest and redis.call('HGET', KEYS[2], digest) == ARGV[1] then
  redis.call('HDEL', KEYS[2], digest)
end
return 1
"""

# Queueing and marking URLs, shared by the one-URL scripts and the batched SYNC script.
# `g` holds the key names: ARGV[1..12] of each of those scripts (see RedisState._globals).
FRONTIER = (
    SCHEDULE
    + """
local function globals(argv)
  return {ready = argv[1], leased = argv[2], fhosts = argv[3], fstem = argv[4],
          nstem = argv[5], cstem = argv[6], crawl = argv[7], urls = argv[8],
          queued = argv[9], counts = argv[10], pages = argv[11], lstem = argv[12]}
end

-- A URL's record in the seen set: "status TAB item-json [TAB note]"; its frontier
-- member: "crawl_id:seq:field", seq in 8 hex digits (the item is stored once, in the record).
local function split_record(raw)
  local t1 = string.find(raw, '\t', 1, true)
  local t2 = string.find(raw, '\t', t1 + 1, true)
  local item = t2 and string.sub(raw, t1 + 1, t2 - 1) or string.sub(raw, t1 + 1)
  return string.sub(raw, 1, t1 - 1), item
end

local function add_url(g, crawl_id, field, record, member, seq, is_page, host, due)
  local crawl = g.crawl .. crawl_id
  if redis.call('HSETNX', crawl .. g.urls, field, record) == 0 then return 0 end
  local top = redis.call('HGET', crawl, 'max_seq')
  if not top or tonumber(seq) > tonumber(top) then
    redis.call('HSET', crawl, 'max_seq', seq)
  end
  redis.call('HINCRBY', crawl .. g.counts, 'queued', 1)
  if is_page == '1' then redis.call('HINCRBY', crawl .. g.pages, host, 1) end
  redis.call('ZADD', g.fstem .. host, due, member)
  redis.call('SADD', g.fhosts, host)
  if not redis.call('ZSCORE', g.leased, host) then schedule(g.ready, g.fstem, g.nstem, host) end
  return 1
end

local function mark(g, crawl_id, field, status, has_note, note, now)
  local crawl = g.crawl .. crawl_id
  local raw = redis.call('HGET', crawl .. g.urls, field)
  if not raw then return 0 end
  local old, item = split_record(raw)
  local fields = cjson.decode(item)
  local host = fields[3]
  local rec = status .. '\t' .. item
  if has_note == '1' then rec = rec .. '\t' .. note end
  redis.call('HSET', crawl .. g.urls, field, rec)
  if old ~= status then
    local counts = crawl .. g.counts
    if redis.call('HINCRBY', counts, old, -1) <= 0 then redis.call('HDEL', counts, old) end
    redis.call('HINCRBY', counts, status, 1)
  end
  local frontier = g.fstem .. host
  local member = crawl_id .. ':' .. string.format('%08x', fields[10]) .. ':' .. field
  if status == 'queued' then
    redis.call('ZADD', frontier, 'NX', now, member)
    redis.call('SADD', g.fhosts, host)
  else
    redis.call('ZREM', frontier, member)
    redis.call('HDEL', g.cstem .. host, member)
    if redis.call('EXISTS', frontier) == 0 then redis.call('SREM', g.fhosts, host) end
  end
  if not redis.call('ZSCORE', g.leased, host) then schedule(g.ready, g.fstem, g.nstem, host) end
  return 1
end

-- Claim up to `wanted` due items of `host` not claimed by `worker` or another holder of
-- the host; each comes with the id of the worker that claimed it before ('' if none: a
-- first attempt; else a worker that no longer holds the host, i.e. died with it) and
-- its item. A member whose record is gone (its crawl expired) leaves the frontier.
local function claim(g, host, worker, now, wanted)
  local frontier, claims = g.fstem .. host, g.cstem .. host
  local out = {}
  local got = 0
  local offset = 0
  while got < wanted do
    local batch = redis.call('ZRANGEBYSCORE', frontier, '-inf', now, 'LIMIT', offset, wanted)
    if #batch == 0 then break end
    for _, member in ipairs(batch) do
      local owner = redis.call('HGET', claims, member)
      if owner and owner ~= worker and redis.call('HEXISTS', g.lstem .. host, owner) == 1 then
        owner = worker  -- in flight at another holder: skip it
      end
      if owner ~= worker then
        local sep = string.find(member, ':', 1, true)
        local crawl = g.crawl .. string.sub(member, 1, sep - 1)
        local raw = redis.call('HGET', crawl .. g.urls, string.sub(member, -16))
        if raw then
          local _, item = split_record(raw)
          redis.call('HSET', claims, member, worker)
          out[#out + 1] = member
          out[#out + 1] = owner or ''
          out[#out + 1] = item
          got = got + 1
          if got >= wanted then break end
        else
          redis.call('ZREM', frontier, member)
          redis.call('HDEL', claims, member)
          offset = offset - 1
        end
      end
    end
    offset = offset + #batch
  end
  return out
end
"""
)

# ARGV globals (12) | crawl_id, field, record, member, seq, is_page, host, due
ADD = FRONTIER + "return add_url(globals(ARGV), unpack(ARGV, 13, 20))\n"

# ARGV globals (12) | crawl_id, field, status, has_note, note, now
MARK = FRONTIER + "return mark(globals(ARGV), unpack(ARGV, 13, 18))\n"

# ARGV globals (12) | host, worker, now, wanted | host's claims to drop: n, members...
CLAIM = (
    FRONTIER
    + """
local g = globals(ARGV)
local n = tonumber(ARGV[17])
for i = 18, 17 + n do
  if redis.call('HGET', g.cstem .. ARGV[13], ARGV[i]) == ARGV[14] then
    redis.call('HDEL', g.cstem .. ARGV[13], ARGV[i])
  end
end
return claim(g, ARGV[13], ARGV[14], ARGV[15], tonumber(ARGV[16]))
"""
)

# One round trip per batch of a host turn: what the turn found and finished, then more
# work. ARGV globals (12) | host, worker, now, wanted, #adds, #marks, #payloads,
# adds (8 each, as ADD), marks (5 each: crawl_id, field, status, has_note, note),
# payloads (3 each: digests key, digest, JSON). Adds come before marks: a URL leaves the
# frontier only after what it links to is queued.
SYNC = (
    FRONTIER
    + """
local g = globals(ARGV)
local host, worker, now, wanted = ARGV[13], ARGV[14], ARGV[15], tonumber(ARGV[16])
local nadd, nmark, npay = tonumber(ARGV[17]), tonumber(ARGV[18]), tonumber(ARGV[19])
local i = 20
local added = {}
for _ = 1, nadd do
  added[#added + 1] = add_url(g, unpack(ARGV, i, i + 7))
  i = i + 8
end
for _ = 1, nmark do
  mark(g, ARGV[i], ARGV[i + 1], ARGV[i + 2], ARGV[i + 3], ARGV[i + 4], now)
  i = i + 5
end
for _ = 1, npay do
  redis.call('HSETNX', ARGV[i], ARGV[i + 1], ARGV[i + 2])
  i = i + 3
end
return {added, claim(g, host, worker, now, wanted)}
"""
)

# Host leases. A host is held by one worker, or, when its politeness allows parallel
# requests, by up to `cap` workers at once (`joinable` lists those with room). Each holder's
# expiry is in lease:{host}; `leased` scores a host by its earliest one.
# L: ready, leased, joinable, frontier/host_next/lease/solo/robots stems, cap (_lease_args)
LEASES = (
    SCHEDULE
    + """
local function leases(argv, at)
  return {ready = argv[at], leased = argv[at + 1], joinable = argv[at + 2],
          fstem = argv[at + 3], nstem = argv[at + 4], lstem = argv[at + 5],
          sstem = argv[at + 6], rstem = argv[at + 7], cap = tonumber(argv[at + 8])}
end

local function cap_of(L, host)
  if redis.call('EXISTS', L.sstem .. host) == 1 then return 1 end
  return L.cap
end

-- after a host's holders changed: fix its place in leased, joinable and ready
local function settle(L, host, now)
  local lease = L.lstem .. host
  local expiries = redis.call('HVALS', lease)
  if #expiries == 0 then
    redis.call('DEL', lease)
    redis.call('ZREM', L.leased, host)
    redis.call('ZREM', L.joinable, host)
    schedule(L.ready, L.fstem, L.nstem, host)
    return
  end
  local earliest = tonumber(expiries[1])
  for _, e in ipairs(expiries) do earliest = math.min(earliest, tonumber(e)) end
  redis.call('ZADD', L.leased, earliest, host)
  if #expiries < cap_of(L, host) then
    redis.call('ZADD', L.joinable, 'NX', now, host)
  else
    redis.call('ZREM', L.joinable, host)
  end
end
"""
)

# ARGV now, expiry, worker | L (9)
LEASE = (
    LEASES
    + """
local now, expiry, worker = tonumber(ARGV[1]), ARGV[2], ARGV[3]
local L = leases(ARGV, 4)
for _, host in ipairs(redis.call('ZRANGEBYSCORE', L.leased, '-inf', now)) do
  local lease = L.lstem .. host
  local held = redis.call('HGETALL', lease)
  for i = 1, #held, 2 do
    if tonumber(held[i + 1]) <= now then redis.call('HDEL', lease, held[i]) end
  end
  settle(L, host, now)
end
while true do  -- an unleased host, the one that waited longest
  local pick = redis.call('ZRANGEBYSCORE', L.ready, '-inf', now, 'LIMIT', 0, 1)
  if #pick == 0 then break end
  local host = pick[1]
  redis.call('ZREM', L.ready, host)
  if redis.call('EXISTS', L.fstem .. host) == 1 then
    redis.call('HSET', L.lstem .. host, worker, expiry)
    settle(L, host, now)
    return host
  end
end
for _, host in ipairs(redis.call('ZRANGE', L.joinable, 0, 99)) do  -- else share one
  local lease = L.lstem .. host
  local due = redis.call('ZRANGEBYSCORE', L.fstem .. host, '-inf', now, 'LIMIT', 0, 1)
  -- shared once its robots.txt is known: one holder fetches it, the others read it
  if #due > 0 and redis.call('HLEN', lease) < cap_of(L, host)
      and redis.call('EXISTS', L.rstem .. host) == 1 then
    redis.call('HSET', lease, worker, expiry)
    settle(L, host, now)
    return host
  end
end
return false
"""
)

# ARGV worker, expiry, now, host | L (9)
RENEW = (
    LEASES
    + """
local L = leases(ARGV, 5)
local held = redis.call('HGET', L.lstem .. ARGV[4], ARGV[1])
if not held or tonumber(held) <= tonumber(ARGV[3]) then return 0 end
redis.call('HSET', L.lstem .. ARGV[4], ARGV[1], ARGV[2])
settle(L, ARGV[4], tonumber(ARGV[3]))
return 1
"""
)

# ARGV worker, next_at, host, now, host_next ttl | L (9)
RELEASE = (
    LEASES
    + """
local L = leases(ARGV, 6)
local host = ARGV[3]
if redis.call('HDEL', L.lstem .. host, ARGV[1]) == 0 then return 0 end
redis.call('SET', L.nstem .. host, ARGV[2], 'EX', ARGV[5])
settle(L, host, tonumber(ARGV[4]))
return 1
"""
)
