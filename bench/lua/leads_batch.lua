-- POST /api/v1/leads/batch with 1000 new leads per request, every email unique to this run,
-- thread and request; one item in three at an account's domain (so routing does its work).
-- Arguments: token, run id, file of account domains. Needs `tid`, which report.lua's setup
-- gives each thread (the harness puts report.lua first): without it every thread would send
-- the same batches, and half the leads would come back as updates and duplicates.
local token, run
local domains = {}
local n = 0

function init(args)
  if tid == nil then
    error("leads_batch.lua needs report.lua before it (its setup gives each thread a tid)")
  end
  token = args[1]
  run = args[2]
  for line in io.lines(args[3]) do
    domains[#domains + 1] = line
  end
end

function request()
  n = n + 1
  local prefix = string.format("%s-%d-%d", run, tid, n)
  local items = {}
  for i = 1, 1000 do
    local domain = "pushed.example.net"
    if i % 3 == 0 then
      domain = domains[(n * 1000 + i) % #domains + 1]
    end
    items[i] = string.format(
      '{"email":"lead-%s-%d@%s","external_id":"push-%s-%d","first_name":"Bench",' ..
      '"last_name":"Lead %d","title":"Head of DevOps","company":"Pushed Co %d","inbound":true}',
      prefix, i, domain, prefix, i, i, i % 97)
  end
  local body = '{"items":[' .. table.concat(items, ",") .. ']}'
  return wrk.format("POST", "/api/v1/leads/batch", {
    ["Authorization"] = "Bearer " .. token,
    ["Content-Type"] = "application/json",
    ["Accept"] = "application/json",
  }, body)
end
