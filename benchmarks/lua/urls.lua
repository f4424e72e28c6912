-- wrk script: GET a random line of the file named by env URLS. Each line is a path, optionally
-- followed by a tab and an ETag to send as If-None-Match. env ACCEPT sets the Accept header.
-- Requests are built in init(): only then does wrk.headers hold the Host header wrk.format adds.
local requests = {}

function init(args)
  local accept = os.getenv("ACCEPT") or "*/*"
  for line in io.lines(os.getenv("URLS")) do
    local path, etag = line:match("^([^\t]+)\t?(.*)$")
    local headers = {["Accept"] = accept}
    if etag ~= "" then headers["If-None-Match"] = etag end
    requests[#requests + 1] = wrk.format("GET", path, headers)
  end
  math.randomseed(os.time())
end

request = function()
  return requests[math.random(1, #requests)]
end
