--[[
  Deletes a crawl now and tells its subscribers in every process.

  KEYS[1]  state hash       <prefix>:{<crawlId>}:state
  KEYS[2]  event stream     <prefix>:{<crawlId>}:events
  KEYS[3]  operations hash  <prefix>:{<crawlId>}:ops
  KEYS[4]  channel          <prefix>:{<crawlId>}

  ARGV[1]  publish command PUBLISH, or SPUBLISH on a cluster

  Returns  1 if the crawl existed, 0 if not (nothing published then)
]]
local rcall = redis.call
if rcall('EXISTS', KEYS[1]) == 0 then
  rcall('DEL', KEYS[2], KEYS[3])
  return 0
end
rcall('DEL', KEYS[1], KEYS[2], KEYS[3])
-- Not a JSON array: subscribers read it as "this crawl is gone".
rcall(ARGV[1], KEYS[4], 'removed')
return 1
