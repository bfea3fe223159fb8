-- GET a rotating list of (path, token) pairs read from the file given as the first argument
-- (one "path<TAB>token" per line; an empty token sends no Authorization header).
local targets = {}
local counter = 0

function init(args)
  for line in io.lines(args[1]) do
    local path, token = line:match("^([^\t]+)\t?(.*)$")
    if path then
      targets[#targets + 1] = { path, token }
    end
  end
  -- Threads start at different places of the (already shuffled) list.
  counter = math.floor((tid or 0) * #targets / 2)
end

function request()
  counter = counter % #targets + 1
  local target = targets[counter]
  local headers = { ["Accept"] = "application/json" }
  if target[2] ~= "" then
    headers["Authorization"] = "Bearer " .. target[2]
  end
  return wrk.format("GET", target[1], headers)
end
