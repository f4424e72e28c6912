"""What happens to releases after upload: yank and unyank now; deletion and restore later."""

from strongroom.lifecycle.gc import GarbageReport, collect_garbage
from strongroom.lifecycle.yank import YankService

__all__ = ["GarbageReport", "YankService", "collect_garbage"]
