-- SPDX-License-Identifier: Apache-2.0
-- POST /v1/auth/login with a JSON body, status counting from status.lua.
--
--   BENCH_USER=bench BENCH_PASSWORD=secret \
--     wrk -t2 -c8 -d10s -s bench/login.lua http://HOST:PORT/v1/auth/login
--   wrk -t2 -c8 -d10s -s bench/login.lua http://HOST:PORT/v1/auth/login -- bench secret
--
-- Every request is a full login: an Argon2id verification (about 10 ms of one core),
-- a new session row and a signed token pair. Use few connections: the server's hashing
-- pool has one worker per core, so more connections only lengthen its queue.
local dir = debug.getinfo(1, "S").source:match("^@(.*/)") or "./"
dofile(dir .. "status.lua")

local function json_string(s)
   return '"' .. s:gsub('[%c"\\]', function(c)
      return string.format("\\u%04x", c:byte())
   end) .. '"'
end

wrk.method = "POST"
wrk.headers["Content-Type"] = "application/json"

function bench_init(args)
   local user = (args and args[1]) or os.getenv("BENCH_USER") or "bench"
   local password = (args and args[2]) or os.getenv("BENCH_PASSWORD")
   if not password or password == "" then
      error("login.lua: no password: pass USER PASSWORD after -- or set BENCH_PASSWORD")
   end
   wrk.body = '{"username":' .. json_string(user) .. ',"password":' ..
      json_string(password) .. '}'
end
