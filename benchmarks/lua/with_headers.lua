-- wrk script: run the script named by env SCRIPT with the headers given to wrk with -H added to
-- every request it formats (wrk.format uses either the headers passed to it or wrk.headers,
-- never both).
local format = wrk.format
wrk.format = function(method, path, headers, body)
  local merged = {}
  for name, value in pairs(wrk.headers) do merged[name] = value end
  for name, value in pairs(headers or {}) do merged[name] = value end
  return format(method, path, merged, body)
end
dofile(os.getenv("SCRIPT"))
