"""Critical projects: downloads counted per project and day, the most downloaded projects made
critical (and those an admin marks), and whom to tell when one becomes critical."""

from strongroom.critical.downloads import DownloadCounter, add_downloads
from strongroom.critical.models import CriticalProject, ProjectDownloads
from strongroom.critical.ranking import (
    DEFAULT_SHARE,
    DEFAULT_WINDOW,
    CriticalProjects,
    CriticalView,
    NewlyCritical,
    Person,
    Ranking,
)

__all__ = ["DEFAULT_SHARE", "DEFAULT_WINDOW", "CriticalProject", "CriticalProjects",
           "CriticalView", "DownloadCounter", "NewlyCritical", "Person", "ProjectDownloads",
           "Ranking", "add_downloads"]
