--[[
  Appends one call's events (one input or a batch) to a running crawl, atomically and at most
  once per operation id: check the status and the totals, assign seqs, append to history, trim
  history to its bounds, publish. A terminal input (last of its batch) closes the crawl: the
  status check makes exactly one caller win, and every key of the crawl gets the final TTL.

  A call repeated under the same operation id (a command the client re-sent after a lost reply,
  a worker's retry) writes nothing and gets the envelopes of the call that applied it. An id is
  remembered while the stream holds the last entry of its call, which names it (field `o`).

  Each envelope's tag chains the previous envelope's tag (the epoch before the first), the
  call's random tag and the envelope's place in the call: after Redis came back with older data,
  an event at a seq a subscriber already holds, even the same call re-sent, carries another tag
  unless everything before it is the same too.

  Payloads arrive as JSON fragments that the caller validated and serialized; they are spliced
  into the envelope verbatim, never decoded, so cjson cannot turn [] into {} or round numbers.

  KEYS[1]  state hash       <prefix>:{<crawlId>}:state
  KEYS[2]  event stream     <prefix>:{<crawlId>}:events
  KEYS[3]  operations hash  <prefix>:{<crawlId>}:ops   operation id -> "<firstSeq>-<lastSeq>"
  KEYS[4]  channel          <prefix>:{<crawlId>}  (same hash tag, so one slot on a cluster)

  ARGV[1]  crawlId          validated: letters, digits and _ - . : only (safe inside JSON)
  ARGV[2]  idleTtlSeconds   refreshed on every event while running
  ARGV[3]  ttlSeconds       set on every key after the terminal event
  ARGV[4]  historyLimit     most entries the stream keeps
  ARGV[5]  historyMaxBytes  most bytes of envelope JSON the stream keeps (the newest entry stays)
  ARGV[6]  publish command  PUBLISH, or SPUBLISH on a cluster
  ARGV[7]  operation id     the same for every attempt of one call
  ARGV[8]  call tag         random per call, [a-z0-9] only
  ARGV[9]  staleAfterMs     0, or the stall check: apply only if a worker claimed the crawl
                            (an event or a heartbeat, `beatAt`) and since then no publish and no
                            heartbeat came for this many ms, else write nothing
  ARGV[10] phase            the phase of the call's last detail that names one, or '' (kept in
                            the state, so that a snapshot tells a late viewer the phase)
  ARGV[11] epoch            '', or the epoch the caller works on: another epoch (the crawl was
                            restarted since) answers { -6 }, writing nothing
  ARGV[12…] per input, five values: type, +discovered, +processed, +failed, payload fragment
           (the fragment is `"urls":[…]`, `"delta":{…}` or `"delta":{…},"detail":{…}`,
           `"stats":{…}` or `"error":{…}`)

  Returns  { 1, envelopeJson, … } the call's envelopes, in seq order (for a repeated operation
           id: those of the call that applied it which the stream still holds; nothing written)
           { -1 } the crawl does not exist (never started, cleaned up, expired): nothing written
           { -2 } the crawl is closed (completed or failed): nothing written
           { -3, counter } a total would pass 2^53 - 1: nothing written
           { -4 } the operation id was applied, but history no longer holds its envelopes
           { -5 } the stall check found the crawl alive (or not claimed): nothing written
           { -6 } the crawl was restarted: it is in another epoch than ARGV[11]; nothing written
]]
local rcall = redis.call
local format = string.format
local state, events, operations, channel = KEYS[1], KEYS[2], KEYS[3], KEYS[4]
local crawlId, publishCommand, operationId, tag = ARGV[1], ARGV[6], ARGV[7], ARGV[8]
local historyLimit, historyMaxBytes = tonumber(ARGV[4]), tonumber(ARGV[5])

local current = rcall('HMGET', state,
  'status', 'epoch', 'seq', 'discovered', 'processed', 'failed', 'hbytes', 'tag',
  'updatedAt', 'beatAt')
local status = current[1]
if not status then return { -1 } end

local applied = rcall('HGET', operations, operationId)
if applied then
  local first, last = string.match(applied, '^(%d+)-(%d+)$')
  local entries = rcall('XRANGE', events, first .. '-0', last .. '-0')
  if #entries == 0 then return { -4 } end
  local held = {}
  for n, entry in ipairs(entries) do held[n] = entry[2][2] end
  return { 1, '[' .. table.concat(held, ',') .. ']' }
end
if status ~= 'running' then return { -2 } end
if ARGV[11] ~= '' and ARGV[11] ~= current[2] then return { -6 } end

local time = rcall('TIME')
local nowMs = time[1] * 1000 + math.floor(time[2] / 1000)
local staleAfterMs = tonumber(ARGV[9])
if staleAfterMs > 0 then
  -- A crawl no worker has claimed (no event, no heartbeat) waits for one however long: a
  -- queued job, or the next attempt of a failed one.
  local beatAt = tonumber(current[10]) or 0
  if beatAt == 0 and tonumber(current[3]) == 0 then return { -5 } end
  local aliveAt = math.max(tonumber(current[9]) or 0, beatAt)
  if nowMs - aliveAt < staleAfterMs then return { -5 } end
end

-- All or nothing: refuse the call before any write if a total would stop being exact.
local MAX_TOTAL = 9007199254740991
local counters = { 'discovered', 'processed', 'failed' }
local totals = { tonumber(current[4]), tonumber(current[5]), tonumber(current[6]) }
local check = { totals[1], totals[2], totals[3] }
local argc = #ARGV
local amounts = {}
for i = 12, argc, 5 do
  for c = 1, 3 do
    local amount = tonumber(ARGV[i + c])
    if amount > MAX_TOTAL - check[c] then return { -3, counters[c] } end
    check[c] = check[c] + amount
    amounts[i + c] = amount
  end
end

local now = format('%d', nowMs)
local head = '{"v":1,"epoch":"' .. current[2] .. '","seq":'
local middle = ',"crawlId":"' .. crawlId .. '","ts":' .. now .. ',"tag":"'
local seq = tonumber(current[3])
local firstSeq = seq + 1
-- One SHA1 per call: the tag before the call and the call's tag give a 48-bit base, and the
-- envelope at place k of the call is tagged base + k (mod 2^48, as 12 hex digits). Each tag so
-- derives from the previous envelope's tag, the call's tag and the envelope's place, as a
-- chain of one SHA1 per envelope did.
local base = tonumber(string.sub(redis.sha1hex((current[8] or current[2]) .. ':' .. tag), 1, 12), 16)
local TAG_SPACE = 281474976710656
local previousTag
-- Bytes the stream holds before this call; none if it is gone (evicted, deleted) or empty.
local heldBefore = rcall('XLEN', events)
local bytes = 0
if heldBefore > 0 then bytes = math.max(tonumber(current[7]) or 0, 0) end
local result = {}
local terminal, terminalStatus = nil, nil
local text = { format('%d', totals[1]), format('%d', totals[2]), format('%d', totals[3]) }
local place = 0
for i = 12, argc, 5 do
  for c = 1, 3 do
    local amount = amounts[i + c]
    if amount ~= 0 then
      totals[c] = totals[c] + amount
      text[c] = format('%d', totals[c])
    end
  end
  seq = seq + 1
  place = place + 1
  local seqText = format('%d', seq)
  previousTag = format('%012x', (base + place) % TAG_SPACE)
  local inputType = ARGV[i]
  local envelope = head .. seqText .. middle .. previousTag .. '","type":"' .. inputType ..
    '","totals":{"discovered":' .. text[1] .. ',"processed":' .. text[2] ..
    ',"failed":' .. text[3] .. '},' .. ARGV[i + 4] .. '}'
  if i + 5 > argc then
    rcall('XADD', events, seqText .. '-0', 'e', envelope, 'o', operationId)
  else
    rcall('XADD', events, seqText .. '-0', 'e', envelope)
  end
  bytes = bytes + #envelope
  result[place] = envelope
  if inputType == 'complete' then terminal, terminalStatus = envelope, 'completed' end
  if inputType == 'error' then terminal, terminalStatus = envelope, 'failed' end
end
rcall('HSET', operations, operationId, format('%d-%d', firstSeq, seq))

-- One message per call: a JSON array of the new envelopes, in seq order; also the reply.
local message = '[' .. table.concat(result, ',') .. ']'
rcall(publishCommand, channel, message)

-- Trim history to historyLimit entries and historyMaxBytes, oldest first, forgetting the
-- operation ids whose last entry goes. The newest entry always stays.
local held = heldBefore + place
if held > historyLimit or bytes > historyMaxBytes then
  local from, count, keepFrom = '-', math.max(held - historyLimit, 1) + 1, nil
  local forgotten = {}
  while not keepFrom do
    local entries = rcall('XRANGE', events, from, '+', 'COUNT', format('%d', count))
    if #entries == 0 then break end
    for _, entry in ipairs(entries) do
      if held == 1 then
        -- Only the newest entry is left: its size is the stream's, whatever was counted before.
        keepFrom, bytes = entry[1], #entry[2][2]
        break
      end
      if held <= historyLimit and bytes <= historyMaxBytes then
        keepFrom = entry[1]
        break
      end
      local fields = entry[2]
      held = held - 1
      bytes = bytes - #fields[2]
      if fields[4] then
        forgotten[#forgotten + 1] = fields[4]
        -- One HDEL per 1,000 ids: unpack() is bounded by the Lua stack.
        if #forgotten == 1000 then
          rcall('HDEL', operations, unpack(forgotten))
          forgotten = {}
        end
      end
      from = '(' .. entry[1]
    end
    count = count * 2
  end
  if #forgotten > 0 then rcall('HDEL', operations, unpack(forgotten)) end
  if keepFrom then rcall('XTRIM', events, 'MINID', keepFrom) end
end

-- Numbers as %d text: a Lua number passed to a command may be written in exponent form.
local lifetime = ARGV[2]
if terminal then
  rcall('HSET', state, 'seq', format('%d', seq), 'discovered', text[1], 'processed', text[2],
    'failed', text[3], 'hbytes', format('%d', math.max(bytes, 0)), 'tag', previousTag,
    'updatedAt', now, 'status', terminalStatus, 'terminal', terminal)
  lifetime = ARGV[3]
else
  rcall('HSET', state, 'seq', format('%d', seq), 'discovered', text[1], 'processed', text[2],
    'failed', text[3], 'hbytes', format('%d', math.max(bytes, 0)), 'tag', previousTag,
    'updatedAt', now)
end
if ARGV[10] ~= '' then rcall('HSET', state, 'phase', ARGV[10]) end
rcall('EXPIRE', state, lifetime)
rcall('EXPIRE', events, lifetime)
rcall('EXPIRE', operations, lifetime)
return { 1, message }
