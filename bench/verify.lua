-- SPDX-License-Identifier: Apache-2.0
-- GET /v1/auth/verify as nginx auth_request sends it: the client's Bearer token and
-- the original request in X-Original-Method / X-Original-URI. The same token on every
-- request (the case the verified-token cache is for).
--
--   wrk -t2 -c50 -d10s -s bench/verify.lua http://HOST:PORT/v1/auth/verify -- eyJ...
local dir = debug.getinfo(1, "S").source:match("^@(.*/)") or "./"
dofile(dir .. "status.lua")

wrk.method = "GET"

function bench_init(args)
   local t = (args and args[1]) or os.getenv("TESSERA_TOKEN")
   if not t or t == "" then
      error("verify.lua: no token: pass it after -- or set TESSERA_TOKEN")
   end
   wrk.headers["Authorization"] = "Bearer " .. t
   wrk.headers["X-Original-Method"] = "GET"
   wrk.headers["X-Original-URI"] = "/v1/skills?page=1"
end
