-- SPDX-License-Identifier: Apache-2.0
-- POST /oauth2/token, grant_type=client_credentials, client_secret_basic; status
-- counting from status.lua.
--
--   BENCH_CLIENT_ID=ID BENCH_CLIENT_SECRET=SECRET \
--     wrk -t2 -c50 -d10s --latency -s bench/token.lua http://HOST:PORT/oauth2/token
--   wrk -t2 -c50 -d10s --latency -s bench/token.lua http://HOST:PORT/oauth2/token -- ID SECRET
--
-- The client must be confidential, allowed the client_credentials grant and registered
-- with client_secret_basic (the default of `tessera client add NAME --grants
-- client_credentials`). Every request authenticates the client (a SHA-256 of the
-- secret), builds the claims and signs a new access token: no refresh token, no session
-- row. Anything but 200 is counted as non2xx by status.lua.
local dir = debug.getinfo(1, "S").source:match("^@(.*/)") or "./"
dofile(dir .. "status.lua")

local b64chars = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/"

local function base64(s)
   local out = {}
   for i = 1, #s, 3 do
      local a, b, c = s:byte(i, i + 2)
      local v = a * 65536 + (b or 0) * 256 + (c or 0)
      local n = b == nil and 2 or (c == nil and 3 or 4)
      for k = 1, 4 do
         local idx = math.floor(v / 2 ^ (6 * (4 - k))) % 64
         out[#out + 1] = k <= n and b64chars:sub(idx + 1, idx + 1) or "="
      end
   end
   return table.concat(out)
end

-- application/x-www-form-urlencoded, as RFC 6749 section 2.3.1 wants for the id and
-- secret before they are joined with ":" (a no-op for generated ids and secrets).
local function form_encode(s)
   return (s:gsub("[^%w%-%._~]", function(ch)
      if ch == " " then
         return "+"
      end
      return string.format("%%%02X", ch:byte())
   end))
end

wrk.method = "POST"
wrk.headers["Content-Type"] = "application/x-www-form-urlencoded"
wrk.body = "grant_type=client_credentials"

function bench_init(args)
   local id = (args and args[1]) or os.getenv("BENCH_CLIENT_ID")
   local secret = (args and args[2]) or os.getenv("BENCH_CLIENT_SECRET")
   if not id or id == "" or not secret or secret == "" then
      error("token.lua: no client: pass ID SECRET after -- or set BENCH_CLIENT_ID " ..
            "and BENCH_CLIENT_SECRET")
   end
   wrk.headers["Authorization"] = "Basic " ..
      base64(form_encode(id) .. ":" .. form_encode(secret))
end
