-- SPDX-License-Identifier: Apache-2.0
-- POST /v1/auth/refresh with rotating refresh tokens: each request presents a current
-- token and each answer's successor goes back in the pool, so every request is a real
-- rotation (the token row retired, its successor stored, the session touched, one
-- transaction) and none is a reuse. Status counting from status.lua.
--
--   wrk -t2 -c16 -d10s -s bench/refresh.lua http://HOST:PORT/v1/auth/refresh -- FILE 2
--
-- FILE holds refresh tokens of distinct sessions, one a line (bench/backends.sh gets them
-- from logins before the run); the second argument is wrk's thread count (-t). Thread i
-- of T takes the lines i, i + T, i + 2T, ...: it needs at least as many as it has
-- connections, since each connection has one token in flight. A request that finds the
-- pool empty (too few tokens) is an error: the script stops wrk with one.
local dir = debug.getinfo(1, "S").source:match("^@(.*/)") or "./"
dofile(dir .. "status.lua")

wrk.method = "POST"
wrk.headers["Content-Type"] = "application/json"

local count_threads = 0
local status_setup = setup

function setup(thread)
   thread:set("thread_index", count_threads)
   count_threads = count_threads + 1
   status_setup(thread)
end

-- Per-thread state: a queue of tokens not in flight.
local pool = {}
local head, tail = 1, 0

local function push(t)
   tail = tail + 1
   pool[tail] = t
end

function bench_init(args)
   local path = (args and args[1]) or os.getenv("BENCH_TOKENS_FILE")
   local t = tonumber((args and args[2]) or "") or 1
   if not path or path == "" then
      error("refresh.lua: no token file: pass it after -- or set BENCH_TOKENS_FILE")
   end
   local f, err = io.open(path, "r")
   if not f then
      error("refresh.lua: " .. err)
   end
   local i, n = thread_index or 0, 0
   for line in f:lines() do
      if line ~= "" then
         if n % t == i then
            push(line)
         end
         n = n + 1
      end
   end
   f:close()
   if tail < head then
      error("refresh.lua: no tokens for thread " .. i .. " in " .. path)
   end
end

function request()
   if tail < head then
      error("refresh.lua: the token pool is empty: more connections than tokens")
   end
   local t = pool[head]
   pool[head] = nil
   head = head + 1
   return wrk.format(nil, nil, nil, '{"refresh_token":"' .. t .. '"}')
end

local status_response = response

function response(status, headers, body)
   status_response(status, headers, body)
   local succ = body and body:match('"refresh_token"%s*:%s*"([^"]+)"')
   if succ then
      push(succ)
   end
end
