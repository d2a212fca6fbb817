-- wrk script of `bench/run --hot-path`: POST one small task to a path with one bearer token.
-- Arguments after `--`: <path> <file whose first line is the token>. `done` prints the same JSON
-- line as requests.lua.

local path, token
local body = '{"title":"benchmark write","description":"written by wrk"}'

function init(args)
  path = args[1]
  for line in io.lines(args[2]) do
    token = line
    break
  end
end

function request()
  return wrk.format("POST", path, {
    ["Authorization"] = "Bearer " .. token,
    ["Content-Type"] = "application/json",
  }, body)
end

function done(summary, latency, requests)
  local e = summary.errors
  io.write(string.format(
    '{"requests":%d,"duration_us":%d,"non2xx":%d,"socket_errors":%d,"p50_us":%d,"p99_us":%d}\n',
    summary.requests, summary.duration, e.status, e.connect + e.read + e.write + e.timeout,
    latency:percentile(50), latency:percentile(99)))
end
