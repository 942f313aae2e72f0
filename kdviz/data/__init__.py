"""Datasets: importing this package registers every dataset module."""
from kdviz.data.registry import BUILDERS, GENERATORS, Dataset, make_dataset, names, register  # noqa: F401
from kdviz.data import toy  # noqa: F401,E402  (registers moons, circles, spiral, xor, checkerboard, blobs)
from kdviz.data import digits, market  # noqa: F401,E402  (registers "digits", "sp500", "nasdaq", "synthetic_market")
