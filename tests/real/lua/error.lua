-- An uncaught error: the host must report it on stderr and exit with status 1.
local function inner(x)
  if x > 2 then
    error("boom at depth " .. x)
  end
  return inner(x + 1) + 1
end
print("before the error")
inner(0)
print("not reached")
