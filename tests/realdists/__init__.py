"""A corpus of real distributions from PyPI, downloaded once into a cache (never committed).

``manifest.toml`` names each file, where PyPI serves it, its sha256, and the upload-policy rules
it breaks; ``corpus`` reads it and ``fetch`` downloads it (``scripts/fetch-real-dists``).
"""
