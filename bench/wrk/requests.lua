-- wrk script for the benchmark: GET one path, optionally rotating bearer tokens.
-- Arguments after `--`: <path> [<file with one token per line>].
-- With a file of one token, every request reuses it; with 10,000, each request carries the
-- next distinct token. `done` prints one JSON line that bench/tools/load.py parses.

local path, tokens, count, next_index

function init(args)
  path = args[1]
  tokens = {}
  if args[2] then
    for line in io.lines(args[2]) do
      tokens[#tokens + 1] = line
    end
  end
  count = #tokens
  next_index = 0
end

function request()
  if count == 0 then
    return wrk.format("GET", path)
  end
  next_index = next_index % count + 1
  return wrk.format("GET", path, { ["Authorization"] = "Bearer " .. tokens[next_index] })
end

function done(summary, latency, requests)
  local e = summary.errors
  io.write(string.format(
    '{"requests":%d,"duration_us":%d,"non2xx":%d,"socket_errors":%d,"p50_us":%d,"p99_us":%d}\n',
    summary.requests, summary.duration, e.status, e.connect + e.read + e.write + e.timeout,
    latency:percentile(50), latency:percentile(99)))
end
