"""A change feed in Redis, for workers on several machines.

Correctness over pub/sub: ``current`` is one ``GET`` per call, so the first read a worker serves
after a write returns has already seen the write's serial, wherever the write ran. A pub/sub
message could arrive after that read.
"""

from __future__ import annotations

from typing import Any

# Compare-and-set to the maximum in one server-side step, so concurrent publishers can never
# move the serial backwards (a plain SET could, when commits publish out of order).
_PUBLISH_MAX = """
local current = tonumber(redis.call('GET', KEYS[1]) or '0')
local serial = tonumber(ARGV[1])
if serial > current then
  redis.call('SET', KEYS[1], ARGV[1])
  return serial
end
return current
"""


class RedisChangeFeed:
    """The newest committed serial under one Redis key (``<prefix>serial``).

    ``client`` is a ``redis.Redis``. Redis errors propagate: a worker that cannot tell whether
    its cache is current refuses the request rather than serve a page that may be stale.
    """

    def __init__(self, client: Any, prefix: str = "strongroom:") -> None:
        self.client = client
        self.key = f"{prefix}serial"
        self._publish = client.register_script(_PUBLISH_MAX)

    def publish(self, serial: int) -> None:
        self._publish(keys=[self.key], args=[serial])

    def current(self) -> int:
        value = self.client.get(self.key)
        return int(value) if value is not None else 0
