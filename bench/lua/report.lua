-- Shared by every scenario: thread ids, and one machine-readable line at the end.
local next_thread_id = 0

function setup(thread)
  thread:set("tid", next_thread_id)
  next_thread_id = next_thread_id + 1
end

function done(summary, latency, requests)
  local e = summary.errors
  local parts = {
    string.format('"requests":%d', summary.requests),
    string.format('"duration_us":%d', summary.duration),
    string.format('"bytes":%d', summary.bytes),
    string.format('"errors_connect":%d', e.connect),
    string.format('"errors_read":%d', e.read),
    string.format('"errors_write":%d', e.write),
    string.format('"errors_status":%d', e.status),
    string.format('"errors_timeout":%d', e.timeout),
    string.format('"latency_mean_us":%.1f', latency.mean),
    string.format('"latency_max_us":%d', latency.max),
  }
  for _, p in ipairs({50, 75, 90, 95, 99, 99.9}) do
    parts[#parts + 1] = string.format('"p%s_us":%d', tostring(p), latency:percentile(p))
  end
  io.write("BENCH_RESULT {" .. table.concat(parts, ",") .. "}\n")
end
