-- SPDX-License-Identifier: Apache-2.0
-- GET /v1/auth/verify as nginx auth_request sends it (see verify.lua), with a different
-- token on every request: the case the verified-token cache cannot help, where each
-- request pays a full signature verification. Status counting from status.lua.
--
--   wrk -t2 -c50 -d10s -s bench/verify_fresh.lua http://HOST:PORT/v1/auth/verify \
--       -- FILE 2
--   BENCH_TOKENS_FILE=FILE wrk ... -s bench/verify_fresh.lua http://HOST:PORT/v1/auth/verify
--
-- FILE holds valid access tokens, one a line (bench/run.sh gets them from
-- POST /oauth2/token before the run); the optional second argument is wrk's thread
-- count (-t), which a thread cannot see otherwise. Each wrk thread loads all the tokens
-- and cycles through them from its own offset, thread i of T at i * N / T (without T:
-- at i * 0.618 * N, spread well enough for any T), so that with N tokens a token comes
-- back only after about N requests in all: with N well above the server's cache
-- (4,096 slots, direct-mapped), nearly every request misses it.
local dir = debug.getinfo(1, "S").source:match("^@(.*/)") or "./"
dofile(dir .. "status.lua")

wrk.method = "GET"
wrk.headers["X-Original-Method"] = "GET"
wrk.headers["X-Original-URI"] = "/v1/skills?page=1"

-- Number the threads in the main Lua state, before status.lua's setup() keeps them.
local count_threads = 0
local status_setup = setup

function setup(thread)
   thread:set("thread_index", count_threads)
   count_threads = count_threads + 1
   status_setup(thread)
end

-- Per-thread state (each thread runs this script in its own Lua state).
local tokens = {}
local next_token = 1

function bench_init(args)
   local path = (args and args[1]) or os.getenv("BENCH_TOKENS_FILE")
   if not path or path == "" then
      error("verify_fresh.lua: no token file: pass it after -- or set BENCH_TOKENS_FILE")
   end
   local f, err = io.open(path, "r")
   if not f then
      error("verify_fresh.lua: " .. err)
   end
   for line in f:lines() do
      if line ~= "" then
         tokens[#tokens + 1] = "Bearer " .. line
      end
   end
   f:close()
   if #tokens == 0 then
      error("verify_fresh.lua: no tokens in " .. path)
   end
   -- thread_index was set by setup(), which wrk calls just before this thread's init().
   local i = thread_index or 0
   local t = tonumber((args and args[2]) or "")
   local start
   if t and t >= 1 then
      start = math.floor(i * #tokens / t)
   else
      start = math.floor(i * 0.6180339887 * #tokens)
   end
   next_token = (start % #tokens) + 1
end

function request()
   wrk.headers["Authorization"] = tokens[next_token]
   next_token = next_token + 1
   if next_token > #tokens then
      next_token = 1
   end
   return wrk.format()
end
