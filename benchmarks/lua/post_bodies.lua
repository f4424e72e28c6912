-- wrk script: POST a random line of the file named by env BODIES as a JSON body (one request
-- body per line). Requests are built in init(), as urls.lua does.
local requests = {}

function init(args)
  for line in io.lines(os.getenv("BODIES")) do
    if line ~= "" then
      requests[#requests + 1] = wrk.format("POST", nil,
        {["Content-Type"] = "application/json"}, line)
    end
  end
  math.randomseed(os.time())
end

request = function()
  return requests[math.random(1, #requests)]
end
