--[[
  A worker's sign of life: stamps the running crawl's `beatAt` (which also claims the crawl for
  the stall check) and renews its idle TTL. Writes nothing to a crawl that is closed, gone, or
  in another epoch than the worker's (a late worker cannot resurrect one).

  KEYS[1]  state hash       <prefix>:{<crawlId>}:state
  KEYS[2]  event stream     <prefix>:{<crawlId>}:events
  KEYS[3]  operations hash  <prefix>:{<crawlId>}:ops

  ARGV[1]  idleTtlSeconds lifetime without events
  ARGV[2]  epoch          '', or the epoch the worker works on (another one answers 0)

  Returns  1 running (stamped), 0 closed or another epoch (nothing written), -1 gone
]]
local rcall = redis.call
local current = rcall('HMGET', KEYS[1], 'status', 'epoch')
local status = current[1]
if not status then return -1 end
if status ~= 'running' then return 0 end
if ARGV[2] ~= '' and ARGV[2] ~= current[2] then return 0 end
local time = rcall('TIME')
rcall('HSET', KEYS[1], 'beatAt', string.format('%d', time[1] * 1000 + math.floor(time[2] / 1000)))
rcall('EXPIRE', KEYS[1], ARGV[1])
rcall('EXPIRE', KEYS[2], ARGV[1])
rcall('EXPIRE', KEYS[3], ARGV[1])
return 1
