"""Where the real image sets live on this machine, and their four files read and checked once per process.

Fashion-MNIST and MNIST come as four IDX files (train and test images, train and test labels),
gzipped or plain. A folder is taken from the dataset's environment variable (KDVIZ_FASHION_MNIST,
KDVIZ_MNIST) when set, else from where a package or a download leaves them: Debian's
dataset-fashion-mnist (/usr/share/datasets/fashion-mnist), Keras's ~/.keras/datasets. Inside a
folder, the layouts of the original site, torchvision (<folder>/FashionMNIST/raw) and Keras
(<folder>/fashion-mnist, or MNIST's mnist.npz) are all found. A missing set raises ImagesMissing
with one line saying how to get it (how_to_get: the one message; missing() checks without reading);
a bad file, IdxError or ImagesInvalid naming the file.
"""
from __future__ import annotations

import functools
import os
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from kdviz.data.idx import read_idx

FILES = {"train_images": "train-images-idx3-ubyte", "train_labels": "train-labels-idx1-ubyte",
         "test_images": "t10k-images-idx3-ubyte", "test_labels": "t10k-labels-idx1-ubyte"}
KERAS_HOME = Path.home() / ".keras" / "datasets"


@dataclass(frozen=True)
class Source:
    """One real image set: how it is named, where it is looked for, and how to get it."""

    name: str  # the dataset's registry name
    title: str
    env: str  # environment variable naming its folder
    folders: tuple[Path, ...]  # where packages and downloads leave it, in order
    torchvision: str  # torchvision's folder name (<root>/<this>/raw)
    keras: str  # Keras's folder name under ~/.keras/datasets (or its .npz file)
    install: str  # one line: how to get it onto this machine
    class_names: tuple[str, ...]


FASHION = Source(
    "fashion_mnist", "Fashion-MNIST", "KDVIZ_FASHION_MNIST",
    (Path("/usr/share/datasets/fashion-mnist"), KERAS_HOME / "fashion-mnist"), "FashionMNIST", "fashion-mnist",
    "install Debian's package (sudo apt-get install dataset-fashion-mnist) or set KDVIZ_FASHION_MNIST to a folder "
    "holding its four IDX files (torchvision's and Keras's download folders work too)",
    ("T-shirt/top", "Trouser", "Pullover", "Dress", "Coat", "Sandal", "Shirt", "Sneaker", "Bag", "Ankle boot"))
MNIST = Source(
    "mnist", "MNIST", "KDVIZ_MNIST", (KERAS_HOME,), "MNIST", "mnist.npz",
    "set KDVIZ_MNIST to a folder holding its four IDX files (train-images-idx3-ubyte.gz ...), or torchvision's "
    "or Keras's download folder",
    tuple(str(d) for d in range(10)))
SOURCES = {s.name: s for s in (FASHION, MNIST)}


class ImagesMissing(ValueError):
    """The image set is not on this machine; the message says how to get it."""


class ImagesInvalid(ValueError):
    """The image set's files are there but do not hold a labelled image set; the message names the file."""


@dataclass(frozen=True)
class ImageArrays:
    """A real image set as stored: uint8 pixels and labels, the official split, and where it came from."""

    x_train: np.ndarray  # (N_train, H, W) uint8
    y_train: np.ndarray  # (N_train,) int64
    x_test: np.ndarray  # (N_test, H, W) uint8
    y_test: np.ndarray  # (N_test,) int64
    origin: str  # the folder or file read


def candidates(source: Source) -> list[Path]:
    """The folders looked in, in order: the environment variable's alone when it is set."""
    chosen = os.environ.get(source.env, "").strip()
    return [Path(chosen).expanduser()] if chosen else list(source.folders)


def locate(source: Source) -> tuple[dict[str, Path], str] | None:
    """({part: file} of the four IDX files, the folder) or ({"npz": file}, file) for Keras's MNIST; None if absent."""
    for root in candidates(source):
        for folder in (root, root / source.torchvision / "raw", root / source.keras):
            found = {part: _either(folder / stem) for part, stem in FILES.items()}
            if all(found.values()):
                return found, str(folder)
        npz = root / source.keras
        if npz.suffix == ".npz" and npz.is_file():
            return {"npz": npz}, str(npz)
    return None


def _either(stem: Path) -> Path | None:
    """``stem`` gzipped or plain, whichever exists (gzipped first)."""
    for path in (stem.with_name(stem.name + ".gz"), stem):
        if path.is_file():
            return path
    return None


def how_to_get(source: Source) -> str:
    """The one line said wherever ``source`` is needed and absent (a page, the command line, the warm-up): where it
    was looked for and how to get it."""
    where = ", ".join(str(p) for p in candidates(source))
    return f"{source.title} is not on this machine (looked in {where}): {source.install}."


def missing(name: str) -> str | None:
    """None when the image set ``name`` is on this machine, else the one line saying how to get it (how_to_get)."""
    source = SOURCES[name]
    return None if locate(source) is not None else how_to_get(source)


def load(name: str) -> ImageArrays:
    """The image set ``name`` ("fashion_mnist", "mnist"), read and checked once per process and folder."""
    source = SOURCES[name]
    found = locate(source)
    if found is None:
        raise ImagesMissing(how_to_get(source))
    files, origin = found
    stamp = tuple((str(p), p.stat().st_mtime_ns, p.stat().st_size) for p in files.values())
    return _read(stamp, origin, len(source.class_names))


@functools.lru_cache(maxsize=2)
def _read(stamp: tuple, origin: str, classes: int) -> ImageArrays:
    """Read and check the files named in ``stamp`` (paths with their times and sizes, so a changed file is re-read)."""
    paths = [Path(p) for p, _, _ in stamp]
    names = dict.fromkeys(FILES, paths[0]) if len(paths) == 1 else dict(zip(FILES, paths))
    arrays = _npz(paths[0]) if len(paths) == 1 else {part: read_idx(p) for part, p in names.items()}
    for split in ("train", "test"):
        images, labels = arrays[f"{split}_images"], arrays[f"{split}_labels"]
        where = " and ".join(dict.fromkeys(str(names[f"{split}_{kind}"]) for kind in ("images", "labels")))
        if images.ndim != 3 or labels.ndim != 1:
            raise ImagesInvalid(f"{where}: expected images of shape (N, height, width) and labels of shape (N,), "
                                f"got {images.shape} and {labels.shape}")
        if len(images) != len(labels):
            raise ImagesInvalid(f"{where}: {len(images):,} images but {len(labels):,} labels")
        if len(labels) and (labels.min() < 0 or labels.max() >= classes):
            raise ImagesInvalid(f"{where}: labels must be 0 to {classes - 1}, found {labels.min()} to {labels.max()}")
    shapes = {arrays["train_images"].shape[1:], arrays["test_images"].shape[1:]}
    if len(shapes) > 1:
        raise ImagesInvalid(f"{origin}: train and test images differ in size ({' and '.join(map(str, shapes))})")
    return ImageArrays(arrays["train_images"].astype(np.uint8, copy=False), arrays["train_labels"].astype(np.int64),
                       arrays["test_images"].astype(np.uint8, copy=False), arrays["test_labels"].astype(np.int64),
                       origin)


def _npz(path: Path) -> dict[str, np.ndarray]:
    """Keras's mnist.npz as the four arrays (x_train, y_train, x_test, y_test)."""
    try:
        with np.load(path) as z:
            return {"train_images": z["x_train"], "train_labels": z["y_train"], "test_images": z["x_test"],
                    "test_labels": z["y_test"]}
    except (OSError, ValueError, KeyError) as e:
        raise ImagesInvalid(f"{path}: not Keras's mnist.npz with x_train, y_train, x_test, y_test ({e})") from None
