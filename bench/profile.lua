-- SPDX-License-Identifier: Apache-2.0
-- GET /v1/auth/profile with a Bearer token, status counting from status.lua.
--
--   TESSERA_TOKEN=eyJ... wrk -t2 -c50 -d10s -s bench/profile.lua http://HOST:PORT/v1/auth/profile
--   wrk -t2 -c50 -d10s -s bench/profile.lua http://HOST:PORT/v1/auth/profile -- eyJ...
--
-- The wrk argument wins over the environment variable. The same token is sent on
-- every request (the common case the verified-token cache is for).
local dir = debug.getinfo(1, "S").source:match("^@(.*/)") or "./"
dofile(dir .. "status.lua")

local function token(args)
   local t = (args and args[1]) or os.getenv("TESSERA_TOKEN")
   if not t or t == "" then
      error("profile.lua: no token: pass it after -- or set TESSERA_TOKEN")
   end
   return t
end

wrk.method = "GET"

function bench_init(args)
   wrk.headers["Authorization"] = "Bearer " .. token(args)
end
