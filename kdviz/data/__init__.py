"""Datasets: the registry (names, specs, make_dataset) with every dataset module registered on import."""
from kdviz.data import csv, digits, images, market, toy  # noqa: F401  (each registers its datasets)
from kdviz.data.registry import SPECS, Dataset, DatasetSpec, make_dataset, names, register, spec  # noqa: F401
