"""Datasets: importing this package registers every dataset module."""
from kdviz.data.registry import BUILDERS, GENERATORS, Dataset, make_dataset, names, register  # noqa: F401
