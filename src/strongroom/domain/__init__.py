"""Pure logic with no I/O: names, versions, file names, archives, metadata, page renderers."""
