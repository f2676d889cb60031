-- SPDX-License-Identifier: Apache-2.0
-- Counts every response's status for wrk and prints one machine-readable line at the
-- end, so a benchmark of errors cannot pass unnoticed. Used alone for plain GETs:
--
--   wrk -t2 -c50 -d10s -s bench/status.lua http://127.0.0.1:PORT/healthz
--
-- and loaded by profile.lua and login.lua, which set the request up. The last line of
-- wrk's output is then:
--
--   BENCH requests=N seconds=S rps=R p50_ms=A p99_ms=B non2xx=K close=C
--         sockerr=E statuses=200:N,401:M
--
-- non2xx counts responses outside 200-299; close counts responses carrying
-- "Connection: close" (a lost keep-alive silently halves throughput); sockerr sums
-- wrk's connect, read, write and timeout errors.

local threads = {}

function setup(thread)
   table.insert(threads, thread)
end

-- Per-thread state (each wrk thread runs this script in its own Lua state); globals so
-- that done() can read them back with thread:get().
statuses = {}
closes = 0

function init(args)
   statuses = {}
   closes = 0
   if bench_init then
      bench_init(args)
   end
end

function response(status, headers, body)
   statuses[status] = (statuses[status] or 0) + 1
   local c = headers["Connection"] or headers["connection"]
   if c and c:lower() == "close" then
      closes = closes + 1
   end
end

function done(summary, latency, requests)
   local all, non2xx, close = {}, 0, 0
   for _, t in ipairs(threads) do
      for status, n in pairs(t:get("statuses") or {}) do
         all[status] = (all[status] or 0) + n
      end
      close = close + (t:get("closes") or 0)
   end
   local keys = {}
   for status, n in pairs(all) do
      table.insert(keys, status)
      if status < 200 or status > 299 then
         non2xx = non2xx + n
      end
   end
   table.sort(keys)
   local list = {}
   for _, status in ipairs(keys) do
      table.insert(list, string.format("%d:%d", status, all[status]))
   end
   local e = summary.errors
   local seconds = summary.duration / 1e6
   io.write(string.format(
      "BENCH requests=%d seconds=%.2f rps=%.1f p50_ms=%.3f p99_ms=%.3f non2xx=%d " ..
      "close=%d sockerr=%d statuses=%s\n",
      summary.requests, seconds, summary.requests / seconds,
      latency:percentile(50) / 1000, latency:percentile(99) / 1000, non2xx, close,
      e.connect + e.read + e.write + e.timeout,
      #list > 0 and table.concat(list, ",") or "none"))
end
