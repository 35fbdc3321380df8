-- wrk script for tests/bench/load/run.sh.
--
--   wrk -s webhook.lua URL -- sms PREFIX   POST /sms/twilio, replaying PREFIX.<thread>.req
--                                          (gen_requests.py: SIGNATURE<TAB>BODY a line)
--   wrk -s webhook.lua URL -- get PATH     GET PATH (e.g. /healthz)
--
-- Both modes build each request in Lua and read each response, so the client
-- does the same work per request whatever it targets. done() prints one line
-- for run.sh to read:
--   RESULT requests= duration_s= rps= p50_ms= p90_ms= p99_ms= p999_ms= max_ms=
--          ok= non200= no_message= sent= wrapped= errors=connect/read/write/timeout
-- `no_message` counts 200s to a text that carry no <Message> (every text in the
-- mix should be answered: one means the benchmark is broken). `sent` counts
-- requests written; `wrapped` > 0 means a thread ran out of prepared requests
-- and replayed MessageSids, which the server answers from its dedupe record
-- instead of doing the real work: the run must then be made with more requests.

local threads = {}
local next_id = 0

function setup(thread)
  thread:set("id", next_id)
  next_id = next_id + 1
  table.insert(threads, thread)
end

local mode, data, pos, get_request, host
ok, non200, no_message, sent, wrapped = 0, 0, 0, 0, 0
first_error = ""

function init(args)
  mode = args[1]
  host = wrk.headers["Host"]
  if not host then
    host = wrk.host:find(":") and ("[" .. wrk.host .. "]") or wrk.host
    if wrk.port then host = host .. ":" .. wrk.port end
    wrk.headers["Host"] = host
  end
  if mode == "sms" then
    local path = args[2] .. "." .. id .. ".req"
    local f = assert(io.open(path, "rb"))
    data = f:read("*a")  -- one read: threads start at once, not after a long parse
    f:close()
    assert(#data > 0, path .. " is empty")
    pos = 1
  elseif mode == "get" then
    get_request = wrk.format("GET", args[2] or "/healthz")
  else
    error("webhook.lua: mode must be sms or get, not " .. tostring(mode))
  end
end

local prefix = "POST /sms/twilio HTTP/1.1\r\nHost: "
local form = "\r\nContent-Type: application/x-www-form-urlencoded\r\nX-Twilio-Signature: "

function request()
  sent = sent + 1
  if mode == "get" then return get_request end
  local nl = data:find("\n", pos, true)
  if not nl then
    wrapped = wrapped + 1
    pos = 1
    nl = data:find("\n", pos, true)
  end
  local tab = data:find("\t", pos, true)
  local signature = data:sub(pos, tab - 1)
  local body = data:sub(tab + 1, nl - 1)
  pos = nl + 1
  return prefix .. host .. form .. signature .. "\r\nContent-Length: " .. #body .. "\r\n\r\n" .. body
end

function response(status, headers, body)
  if status ~= 200 then
    non200 = non200 + 1
    if first_error == "" then first_error = status .. " " .. (body or ""):sub(1, 200) end
  else
    ok = ok + 1
    if mode == "sms" and not body:find("<Message>", 1, true) then
      no_message = no_message + 1
      if first_error == "" then first_error = "200 without <Message>: " .. body:sub(1, 200) end
    end
  end
end

function done(summary, latency, requests)
  local t = { ok = 0, non200 = 0, no_message = 0, sent = 0, wrapped = 0 }
  local errors = {}
  for _, thread in ipairs(threads) do
    for k in pairs(t) do t[k] = t[k] + thread:get(k) end
    local e = thread:get("first_error")
    if e ~= "" then table.insert(errors, e) end
  end
  local ms = function(us) return string.format("%.3f", us / 1000) end
  local e = summary.errors
  io.write(string.format(
    "RESULT requests=%d duration_s=%.3f rps=%.1f p50_ms=%s p90_ms=%s p99_ms=%s p999_ms=%s max_ms=%s " ..
    "ok=%d non200=%d no_message=%d sent=%d wrapped=%d errors=%d/%d/%d/%d\n",
    summary.requests, summary.duration / 1e6, summary.requests / (summary.duration / 1e6),
    ms(latency:percentile(50)), ms(latency:percentile(90)), ms(latency:percentile(99)),
    ms(latency:percentile(99.9)), ms(latency.max),
    t.ok, t.non200, t.no_message, t.sent, t.wrapped,
    e.connect, e.read, e.write, e.timeout))
  for _, msg in ipairs(errors) do
    io.write("FIRST_ERROR " .. msg:gsub("[\r\n]", " ") .. "\n")
  end
end
