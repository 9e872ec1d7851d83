--[[
  Creates a crawl, or returns the existing one untouched (idempotent start).

  KEYS[1]  state hash       <prefix>:{<crawlId>}:state
  KEYS[2]  event stream     <prefix>:{<crawlId>}:events
  KEYS[3]  operations hash  <prefix>:{<crawlId>}:ops

  ARGV[1]  epoch          a fresh random token, used only if the crawl is new
  ARGV[2]  idleTtlSeconds lifetime without events

  Returns  the state hash as a flat array of field, value pairs (HGETALL)

  A new crawl deletes any history and operation ids left from a previous one whose state was
  lost (evicted or deleted by hand): seq restarts at 1 under the new epoch, and stream ids must
  start over too.
]]
local rcall = redis.call
local state = KEYS[1]

if rcall('EXISTS', state) == 0 then
  local time = rcall('TIME')
  local now = string.format('%d', time[1] * 1000 + math.floor(time[2] / 1000))
  rcall('DEL', KEYS[2], KEYS[3])
  rcall('HSET', state,
    'status', 'running', 'epoch', ARGV[1], 'seq', 0,
    'discovered', 0, 'processed', 0, 'failed', 0, 'hbytes', 0,
    'startedAt', now, 'updatedAt', now)
  rcall('EXPIRE', state, ARGV[2])
end

return rcall('HGETALL', state)
