--[[
  Creates a crawl, or returns the existing one untouched (idempotent start); with ARGV[3]
  `restart`, starts an existing one over in the same atomic step.

  KEYS[1]  state hash       <prefix>:{<crawlId>}:state
  KEYS[2]  event stream     <prefix>:{<crawlId>}:events
  KEYS[3]  operations hash  <prefix>:{<crawlId>}:ops
  KEYS[4]  channel          <prefix>:{<crawlId>}

  ARGV[1]  epoch          a fresh random token, used only if the crawl is (re)created
  ARGV[2]  idleTtlSeconds lifetime without events
  ARGV[3]  mode           `start`, or `restart`: a new epoch, seq 0, zeroed counters, empty
                          history, no operation ids, status running, whatever the status was
  ARGV[4]  publish command  PUBLISH, or SPUBLISH on a cluster
  ARGV[5]  restart id     made once per restart() call: a restart whose reply was lost and that
                          the client re-sent finds its own id and restarts nothing again

  ARGV[6]  epoch          '', or for a restart the epoch it is meant for: a crawl in another epoch
                          (restarted by someone else since) is returned untouched

  A restart of a crawl that is already as new (running, seq 0, never claimed by a heartbeat)
  changes nothing: a job's failed attempt and its next one may both restart it.

  Returns  the state hash as a flat array of field, value pairs (HGETALL)

  A new crawl deletes any history and operation ids left from a previous one whose state was
  lost (evicted or deleted by hand): seq restarts at 1 under the new epoch, and stream ids must
  start over too. A restart tells the crawl's subscribers in every process (`restarted`), which
  read the new state and resync; the state is never missing in between.
]]
local rcall = redis.call
local state = KEYS[1]
local existed = rcall('EXISTS', state) == 1
local restart = ARGV[3] == 'restart'
if restart and existed then
  local current = rcall('HMGET', state, 'restartId', 'status', 'seq', 'beatAt', 'epoch')
  local asNew = current[2] == 'running' and current[3] == '0' and not current[4]
  local otherEpoch = ARGV[6] ~= '' and ARGV[6] ~= current[5]
  if current[1] == ARGV[5] or asNew or otherEpoch then return rcall('HGETALL', state) end
end

if not existed or restart then
  local time = rcall('TIME')
  local now = string.format('%d', time[1] * 1000 + math.floor(time[2] / 1000))
  rcall('DEL', state, KEYS[2], KEYS[3])
  rcall('HSET', state,
    'status', 'running', 'epoch', ARGV[1], 'seq', 0,
    'discovered', 0, 'processed', 0, 'failed', 0, 'hbytes', 0,
    'startedAt', now, 'updatedAt', now)
  if restart then rcall('HSET', state, 'restartId', ARGV[5]) end
  rcall('EXPIRE', state, ARGV[2])
  -- Not a JSON array: subscribers read it as "read the state again".
  if existed then rcall(ARGV[4], KEYS[4], 'restarted') end
end

return rcall('HGETALL', state)
