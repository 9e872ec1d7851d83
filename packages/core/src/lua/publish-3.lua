--[[
  Appends one event or a batch to a running crawl, atomically: check status, count, assign seq,
  append to history, publish. A terminal input (last of its batch) closes the crawl: the status
  check makes exactly one caller win, and every key of the crawl gets the final TTL.

  Payloads arrive as JSON fragments that the caller validated and serialized; they are spliced
  into the envelope verbatim, never decoded, so cjson cannot turn [] into {} or round numbers.

  KEYS[1]  state hash     <prefix>:{<crawlId>}:state
  KEYS[2]  event stream   <prefix>:{<crawlId>}:events
  KEYS[3]  channel        <prefix>:{<crawlId>}  (same hash tag, so one slot on a cluster)

  ARGV[1]  crawlId         validated: letters, digits and _ - . : only (safe inside JSON)
  ARGV[2]  idleTtlSeconds  refreshed on every event while running
  ARGV[3]  ttlSeconds      set on every key after the terminal event
  ARGV[4]  historyLimit    XADD MAXLEN ~
  ARGV[5]  publish command PUBLISH, or SPUBLISH on a cluster
  ARGV[6…] per input, five values: type, +discovered, +processed, +failed, payload fragment
           (the fragment is `"urls":[…]`, `"delta":{…}`, `"stats":{…}` or `"error":{…}`)

  Returns  { 1, envelopeJson, … } on success
           { -1 } the crawl does not exist (never started, cleaned up, expired): nothing written
           { -2 } the crawl is closed (completed or failed): nothing written
]]
local rcall = redis.call
local state, events, channel = KEYS[1], KEYS[2], KEYS[3]
local crawlId, idleTtl, ttl, historyLimit, publishCommand =
  ARGV[1], ARGV[2], ARGV[3], ARGV[4], ARGV[5]

local status = rcall('HGET', state, 'status')
if not status then return { -1 } end
if status ~= 'running' then return { -2 } end

local epoch = rcall('HGET', state, 'epoch')
local time = rcall('TIME')
local now = string.format('%d', time[1] * 1000 + math.floor(time[2] / 1000))
local counters = { 'discovered', 'processed', 'failed' }

local result = { 1 }
local terminal, terminalStatus = nil, nil
for i = 6, #ARGV, 5 do
  local inputType = ARGV[i]
  for c = 1, 3 do
    local amount = ARGV[i + c]
    if amount ~= '0' then rcall('HINCRBY', state, counters[c], amount) end
  end
  local seq = string.format('%d', rcall('HINCRBY', state, 'seq', 1))
  local totals = rcall('HMGET', state, 'discovered', 'processed', 'failed')
  local envelope = '{"v":1,"epoch":"' .. epoch .. '","seq":' .. seq ..
    ',"crawlId":"' .. crawlId .. '","ts":' .. now .. ',"type":"' .. inputType ..
    '","totals":{"discovered":' .. totals[1] .. ',"processed":' .. totals[2] ..
    ',"failed":' .. totals[3] .. '},' .. ARGV[i + 4] .. '}'
  rcall('XADD', events, 'MAXLEN', '~', historyLimit, seq .. '-0', 'e', envelope)
  result[#result + 1] = envelope
  if inputType == 'complete' then terminal, terminalStatus = envelope, 'completed' end
  if inputType == 'error' then terminal, terminalStatus = envelope, 'failed' end
end

-- One message per call: a JSON array of the new envelopes, in seq order.
rcall(publishCommand, channel, '[' .. table.concat(result, ',', 2) .. ']')

if terminal then
  rcall('HSET', state, 'status', terminalStatus, 'terminal', terminal, 'updatedAt', now)
  rcall('EXPIRE', state, ttl)
  rcall('EXPIRE', events, ttl)
else
  rcall('HSET', state, 'updatedAt', now)
  rcall('EXPIRE', state, idleTtl)
  rcall('EXPIRE', events, idleTtl)
end
return result
