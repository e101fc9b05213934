-- Exercises a broad slice of Lua 5.4 (and so of the C library and libm it
-- is linked with) and prints deterministic output. Used by cld's real-code
-- tests: the output must be identical whichever linker built the host.
--
-- Run as: host test.lua TMPFILE   (needs TZ=UTC and CLD_LUA_TEST_VAR=hello-from-env)

local checksum = 0
local lines = 0

-- Every printed line goes through out(), which folds it into a checksum
-- (FNV-1a on 64-bit Lua integers, wrapping).
local function out(fmt, ...)
  local s = string.format(fmt, ...)
  for i = 1, #s do
    checksum = (checksum ~ s:byte(i)) * 1099511628211
  end
  lines = lines + 1
  io.write(s, "\n")
end

local function section(name) out("== %s", name) end

-- Sorted keys, so that output never depends on hash order.
local function sorted_keys(t)
  local keys = {}
  for k in pairs(t) do keys[#keys + 1] = k end
  table.sort(keys, function(a, b) return tostring(a) < tostring(b) end)
  return keys
end

---------------------------------------------------------------------------
section("strings")
out("%5d|%-5s|%05.2f|%x|%X|%o|%q", 42, "ab", 3.14159, 255, 48879, 8, 'say "hi"\n')
out("%s %s %s", tostring(nil), tostring(true), tostring(12.5))
out("%s", ("hello world from lua"):gsub("o", "0"))
local replaced, count = ("one two three two one"):gsub("(%w+)", function(w)
  if w == "two" then return "2" end
end)
out("gsub fn: %s (%d matches)", replaced, count)
out("gsub table: %s", ("$name is $age"):gsub("%$(%w+)", { name = "Ada", age = "36" }))
out("gsub %%1: %s", ("key=value; k2=v2"):gsub("(%w+)=(%w+)", "%2=%1"))
local words = {}
for w in ("The quick brown fox jumps over the lazy dog"):gmatch("%a+") do
  words[#words + 1] = w:lower()
end
out("gmatch: %d words, last=%s", #words, words[#words])
out("find: %s %s", ("hello.world"):find(".", 1, true))
out("find pattern: %s %s %s", ("  date: 2024-02-29 "):find("(%d+)-%d+-(%d+)"))
out("match: %s", ("key = value"):match("^(%w+)%s*=%s*(%w+)$"))
out("balanced: %s", ("f(a(b)c) g(d)"):match("%b()"))
out("frontier: %s", (("THE (quick) fox"):gsub("%f[%a]%a+", "W")))
out("rep/sub/rev: %s %s %s", ("ab"):rep(3, "-"), ("abcdef"):sub(2, -2), ("stressed"):reverse())
out("byte/char: %d %d %s", ("A"):byte(), #("\0\1\2"), string.char(76, 117, 97))
out("upper/len: %s %d", ("mixed Case"):upper(), ("utf8 ✓"):len())
out("utf8: %d %s", utf8.len("héllo ✓"), utf8.char(72, 228, 8364))
out("pack: %s", string.format("%q", string.pack("<i4", 0x01020304)))
out("unpack: %d %d", string.unpack("<i2 >i2", "\1\0\0\1"))
out("tostring/tonumber: %s %s %s %s", tonumber("0x1F"), tonumber("  12  "), tonumber("z", 36), tonumber("1e2"))
out("concat numbers: %s", 1 .. 2 .. 3.5)

---------------------------------------------------------------------------
section("tables")
local t = {}
for i = 1, 20 do table.insert(t, (i * 37) % 23) end
table.insert(t, 1, 100)
out("insert: n=%d first=%d last=%d", #t, t[1], t[#t])
out("remove: %d %d n=%d", table.remove(t), table.remove(t, 1), #t)
table.sort(t)
out("sorted: %s", table.concat(t, ","))
table.sort(t, function(a, b) return a > b end)
out("desc: %s", table.concat(t, " ", 1, 5))
local people = {
  { name = "grace", age = 85 }, { name = "alan", age = 41 },
  { name = "ada", age = 36 }, { name = "linus", age = 54 }, { name = "barbara", age = 36 },
}
table.sort(people, function(a, b)
  if a.age ~= b.age then return a.age < b.age end
  return a.name < b.name
end)
local names = {}
for i, p in ipairs(people) do names[i] = p.name .. ":" .. p.age end
out("people: %s", table.concat(names, " "))
out("unpack: %d %d %d", table.unpack({ 7, 8, 9 }))
local packed = table.pack(1, nil, 3)
out("pack n=%d", packed.n)
out("move: %s", table.concat(table.move({ 1, 2, 3, 4, 5 }, 2, 4, 1, {}), ","))
local set = { banana = 3, apple = 1, cherry = 2, [10] = "ten", [2] = "two" }
local kv = {}
for _, k in ipairs(sorted_keys(set)) do kv[#kv + 1] = tostring(k) .. "=" .. tostring(set[k]) end
out("keys: %s", table.concat(kv, " "))
local mt = setmetatable({}, {
  __index = function(_, k) return k * 2 end,
  __call = function(self, a, b) return a + b end,
  __tostring = function() return "<mt>" end,
  __len = function() return 99 end,
})
out("metatable: %d %d %s %d", mt[21], mt(2, 3), tostring(mt), #mt)
local V = {}
V.__index = V
V.__add = function(a, b) return setmetatable({ x = a.x + b.x, y = a.y + b.y }, V) end
V.__eq = function(a, b) return a.x == b.x and a.y == b.y end
local function vec(x, y) return setmetatable({ x = x, y = y }, V) end
local s = vec(1, 2) + vec(3, 4)
out("vector: (%d,%d) eq=%s", s.x, s.y, tostring(s == vec(4, 6)))

---------------------------------------------------------------------------
section("math")
out("floor/ceil: %d %d %d %d", math.floor(3.7), math.ceil(3.2), math.floor(-3.5), math.ceil(-3.5))
out("sqrt: %.10f %.1f", math.sqrt(2), math.sqrt(144))
out("idiv/mod: %d %d %d %d %.1f", 7 // 2, -7 // 2, 7 % 3, -7 % 3, 7.5 // 2)
out("max/min: %d %d %.1f", math.max(3, 9, -1, 7), math.min(3, 9, -1, 7), math.max(1.5, 0.5))
out("trig: %.6f %.6f %.6f", math.sin(math.pi / 6), math.cos(0), math.atan(1, 1) * 4)
out("exp/log: %.6f %.6f %.6f %.6f", math.exp(1), math.log(100, 10), math.log(8, 2), math.log(1))
out("pow: %.1f %g %g", 2 ^ 10, 10 ^ -2, 2 ^ 0.5)
out("fmod/modf: %.2f %s %s", math.fmod(7.5, 2), math.modf(3.75))
out("ints: %d %s %s %s", math.maxinteger, math.type(1), math.type(1.0), math.type("1"))
out("wrap: %d", math.maxinteger + 1 == math.mininteger and 1 or 0)
out("tointeger: %s %s", tostring(math.tointeger(3.0)), tostring(math.tointeger(3.5)))
out("bits: %d %d %d %d %d", 0xF0 & 0x3C, 0xF0 | 0x0F, 0xFF ~ 0x0F, 1 << 10, 256 >> 4)
out("abs/ult: %d %s", math.abs(-17), tostring(math.ult(1, -1)))
out("float fmt: %.3f %e %g %g", 1 / 3, 12345.678, 1e20, 0.1 + 0.2)
out("huge: %s %s", tostring(math.huge), tostring(-math.huge))
math.randomseed(42)
local r = {}
for i = 1, 5 do r[i] = math.random(1, 100) end
out("random(seed 42): %s", table.concat(r, ","))
local acc = 0
for i = 1, 10000 do acc = acc + math.sqrt(i) * math.sin(i) end
out("sum: %.6f", acc)

---------------------------------------------------------------------------
section("io")
local path = arg[1] or os.tmpname()
do
  local f = assert(io.open(path, "w"))
  for i = 1, 5 do f:write(string.format("line %d: %s\n", i, ("x"):rep(i))) end
  f:write("number ", 3.25, " ", 42, "\n")
  f:close()
end
do
  local f = assert(io.open(path, "r"))
  local n = 0
  for line in f:lines() do
    n = n + 1
    if n <= 2 then out("read: %s", line) end
  end
  out("read %d lines", n)
  f:seek("set", 0)
  local all = f:read("a")
  out("size %d, seek end %d", #all, f:seek("end"))
  f:close()
end
do
  local f = assert(io.open(path, "a"))
  f:write("appended\n")
  f:close()
  local lastline
  for line in io.lines(path) do lastline = line end
  out("append: %s", lastline)
  f = assert(io.open(path, "r"))
  local a, b = f:read("l", "n")
  out("read formats: %s %s", a, tostring(b))
  f:close()
end
local missing, err = io.open(path .. ".does-not-exist/x", "r")
out("open missing: %s %s", tostring(missing), err and "has error message" or "no error")
out("remove: %s", tostring(os.remove(path)))
out("removed again: %s", tostring((os.remove(path))))
out("io.type: %s %s", io.type(io.stdout), tostring(io.type(42)))

---------------------------------------------------------------------------
section("os")
local when = os.time({ year = 2020, month = 2, day = 29, hour = 12, min = 34, sec = 56 })
out("time: %d", when)
out("date: %s", os.date("!%Y-%m-%d %H:%M:%S %j %A %B", when))
local d = os.date("!*t", when + 86400)
out("date table: %04d-%02d-%02d wday=%d yday=%d", d.year, d.month, d.day, d.wday, d.yday)
out("difftime: %.0f", os.difftime(when + 3600, when))
out("getenv: %s %s", tostring(os.getenv("CLD_LUA_TEST_VAR")), tostring(os.getenv("CLD_SURELY_UNSET_VARIABLE_XYZ")))
out("clock type: %s", math.type(os.clock()))

---------------------------------------------------------------------------
section("coroutines")
local function range(n, step)
  return coroutine.wrap(function()
    for i = 1, n, step do coroutine.yield(i) end
  end)
end
local got = {}
for v in range(20, 3) do got[#got + 1] = v end
out("generator: %s", table.concat(got, " "))
local function permgen(a, n)
  n = n or #a
  if n <= 1 then
    coroutine.yield(a)
  else
    for i = 1, n do
      a[n], a[i] = a[i], a[n]
      permgen(a, n - 1)
      a[n], a[i] = a[i], a[n]
    end
  end
end
local perms = {}
for p in coroutine.wrap(function() permgen({ "a", "b", "c" }) end) do
  perms[#perms + 1] = table.concat(p)
end
table.sort(perms)
out("permutations: %s", table.concat(perms, " "))
local co = coroutine.create(function(a, b)
  local c = coroutine.yield(a + b)
  local d2, e = coroutine.yield(c * 2)
  return d2 + e
end)
local res = {}
local ok, v = coroutine.resume(co, 1, 2); res[#res + 1] = tostring(ok) .. ":" .. v
ok, v = coroutine.resume(co, 10); res[#res + 1] = tostring(ok) .. ":" .. v
ok, v = coroutine.resume(co, 3, 4); res[#res + 1] = tostring(ok) .. ":" .. v
out("resume: %s status=%s", table.concat(res, " "), coroutine.status(co))
ok, v = coroutine.resume(co)
out("dead resume: %s %s", tostring(ok), v)
local bad = coroutine.create(function() error({ code = 7 }) end)
ok, v = coroutine.resume(bad)
out("error in coroutine: %s code=%d", tostring(ok), v.code)
out("isyieldable: %s", tostring(coroutine.isyieldable()))

---------------------------------------------------------------------------
section("closures")
local function counter(start, step)
  local n = start
  return function() n = n + step; return n end, function() return n end
end
local inc1, get1 = counter(0, 1)
local inc2, get2 = counter(100, -10)
for _ = 1, 5 do inc1() end
inc2(); inc2()
out("counters: %d %d", get1(), get2())
local adders = {}
for i = 1, 5 do adders[i] = function(x) return x + i end end
out("adders: %d %d", adders[1](10), adders[5](10))
local function memoize(f)
  local cache, calls = {}, 0
  return function(n)
    if cache[n] == nil then calls = calls + 1; cache[n] = f(n) end
    return cache[n]
  end, function() return calls end
end
local fib
local fib_calls
fib, fib_calls = memoize(function(n) if n < 2 then return n end return fib(n - 1) + fib(n - 2) end)
out("fib(80)=%d computed %d times", fib(80), fib_calls())
local function compose(...)
  local fs = { ... }
  return function(x)
    for i = #fs, 1, -1 do x = fs[i](x) end
    return x
  end
end
out("compose: %d", compose(function(x) return x * 2 end, function(x) return x + 3 end)(4))
local function varargs(...) return select("#", ...), select(2, ...) end
out("varargs: %d %s", varargs("a", "b", nil))

---------------------------------------------------------------------------
section("errors")
local ok1, e1 = pcall(error, { code = 42, msg = "table error" })
out("pcall table: %s %d %s", tostring(ok1), e1.code, e1.msg)
local ok2, e2 = pcall(function() error("plain message") end)
out("pcall string: %s %s", tostring(ok2), e2)
local ok3, e3 = pcall(function() error("no position", 0) end)
out("level 0: %s", e3)
local ok4, e4 = pcall(function() local x = nil; return x.field end)
out("runtime: %s", e4)
local ok5, e5 = pcall(function() return 1 + {} end)
out("arith: %s", e5)
local ok6, e6 = pcall(string.rep)
out("bad arg: %s", e6)
local ok7, e7 = xpcall(function() error("deep") end, function(m) return "handled: " .. m end)
out("xpcall: %s %s", tostring(ok7), e7)
local ok8, e8 = pcall(function()
  local ok9, e9 = pcall(error, "inner")
  error("outer after " .. e9, 0)
end)
out("nested: %s", e8)
local ok10, e10 = load("return 1 +")
out("syntax: %s %s", tostring(ok10), e10)
local chunk = load("local a, b = ... return a * b")
out("load: %d", chunk(6, 7))
local closed = {}
do
  local res_ok, res_err = pcall(function()
    local h <close> = setmetatable({}, { __close = function() closed[#closed + 1] = "closed" end })
    error("while open")
  end)
  out("to-be-closed: %s %s", tostring(res_ok), closed[1])
end
out("assert: %s", select(2, pcall(assert, false, "assertion text")))
local errobj = setmetatable({}, { __tostring = function() return "custom error object" end })
out("tostring error: %s", tostring(select(2, pcall(error, errobj))))

---------------------------------------------------------------------------
section("gc")
local weak = setmetatable({}, { __mode = "k" })
do
  local key = {}
  weak[key] = true
end
collectgarbage("collect")
local n = 0
for _ in pairs(weak) do n = n + 1 end
out("weak entries after collect: %d", n)
local big = {}
for i = 1, 50000 do big[i] = { i, tostring(i) } end
out("big table: %d %s", #big, big[50000][2])
big = nil
collectgarbage()
out("collectgarbage count is number: %s", math.type(collectgarbage("count")))

---------------------------------------------------------------------------
section("summary")
out("lines: %d", lines)
io.write(string.format("checksum: %016x\n", checksum))
return 0
