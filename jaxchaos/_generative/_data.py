"""Image data for GAN training, all offline: scikit-learn's bundled digits, a folder of image
files, or an `.npz` array.

Every loader returns `(images, labels)`: images float32 (M, 1, S, S) in [-1, 1] (x = 2p - 1 for
pixel intensity p ∈ [0, 1]; grayscale, colour converted by luminance 0.299 R + 0.587 G + 0.114 B,
alpha dropped), labels int (M,) or None. Square images of another size are resized to S × S
(bilinear, antialiased: `jax.image.resize`); non-square ones are refused.
"""

from pathlib import Path

import jax
import jax.numpy as jnp
import numpy as np

from .._core._errors import ConfigError, check_choice, check_real
from ._spec import DATA_SOURCES

IMAGE_SUFFIXES = (".png", ".jpg", ".jpeg")
_LUMINANCE = np.array([0.299, 0.587, 0.114])


def _to_model_range(pixels: np.ndarray, image_size: int, where: str) -> jnp.ndarray:
    """(M, H, W) intensities in [0, 1] → (M, 1, S, S) float32 in [-1, 1]."""
    if pixels.ndim != 3 or pixels.shape[0] < 1:
        raise ConfigError(f"{where}: expected a stack of images (M, H, W), got "
                          f"shape {pixels.shape}")
    if pixels.shape[1] != pixels.shape[2]:
        raise ConfigError(f"{where}: images must be square, got {pixels.shape[1]}x"
                          f"{pixels.shape[2]}")
    if not np.all(np.isfinite(pixels)) or pixels.min() < 0 or pixels.max() > 1:
        raise ConfigError(f"{where}: pixel intensities must lie in [0, 1] (or be uint8)")
    images = jnp.asarray(pixels, jnp.float32)
    if pixels.shape[1] != image_size:
        images = jax.image.resize(images, (images.shape[0], image_size, image_size), "linear")
        images = jnp.clip(images, 0.0, 1.0)
    return (2.0 * images - 1.0)[:, None]


def _intensities(array: np.ndarray, where: str) -> np.ndarray:
    """uint8 → /255; floats kept; (…, H, W, C) with C ∈ {1, 3, 4} → grayscale (…, H, W)."""
    if array.dtype == np.uint8:
        array = array / 255.0
    elif np.issubdtype(array.dtype, np.integer) or np.issubdtype(array.dtype, np.bool_):
        raise ConfigError(f"{where}: integer pixels must be uint8 (0..255), got {array.dtype}")
    array = np.asarray(array, dtype=np.float64)
    if array.ndim >= 3 and array.shape[-1] in (3, 4) and array.shape[-1] != array.shape[-2]:
        array = array[..., :3] @ _LUMINANCE
    elif array.ndim >= 3 and array.shape[-1] == 1:
        array = array[..., 0]
    return array


def load_digits(image_size: int = 8):
    """scikit-learn's 1797 handwritten digits (8×8, intensities 0..16, p = v/16) and labels."""
    try:
        from sklearn.datasets import load_digits as sklearn_digits
    except ImportError:
        raise ConfigError("the digits data set needs scikit-learn: pip install scikit-learn"
                          ) from None
    digits = sklearn_digits()
    images = _to_model_range(digits.images / 16.0, image_size, "digits")
    return images, np.asarray(digits.target, dtype=np.int32)


def load_image_folder(path, image_size: int):
    """Every .png/.jpg/.jpeg file in folder `path` (sorted by name; other files ignored),
    read with matplotlib's `imread`; no labels."""
    from matplotlib.image import imread

    folder = Path(path)
    if not folder.is_dir():
        raise ConfigError(f"image folder not found: {folder}")
    files = sorted(f for f in folder.iterdir() if f.suffix.lower() in IMAGE_SUFFIXES)
    if not files:
        raise ConfigError(f"no image files ({', '.join(IMAGE_SUFFIXES)}) in {folder}")
    pixels = []
    for file in files:
        try:
            array = np.asarray(imread(file))
        except Exception as err:  # any reader failure: a bad data file
            raise ConfigError(f"cannot read image {file}: {err}") from None
        gray = _intensities(array, str(file))
        if gray.ndim != 2:
            raise ConfigError(f"{file}: expected a grayscale or RGB(A) image, got shape "
                              f"{array.shape}")
        if pixels and gray.shape != pixels[0].shape:
            raise ConfigError(f"{file} is {gray.shape[0]}x{gray.shape[1]}, but {files[0]} is "
                              f"{pixels[0].shape[0]}x{pixels[0].shape[1]}: all images must "
                              f"have the same size")
        pixels.append(gray)
    return _to_model_range(np.stack(pixels), image_size, str(folder)), None


def load_npz(path, image_size: int):
    """An `.npz` file with `images` (M, H, W) or (M, H, W, C), uint8 or floats in [0, 1], and
    optionally `labels` (M,) of non-negative integers."""
    path = Path(path)
    if not path.is_file():
        raise ConfigError(f"npz file not found: {path}")
    try:
        with np.load(path) as data:
            arrays = {k: data[k] for k in data.files}
    except Exception as err:  # any reader failure: a bad data file
        raise ConfigError(f"cannot read {path} as .npz: {err}") from None
    if "images" not in arrays:
        raise ConfigError(f"{path} has no array named 'images' (found {sorted(arrays)})")
    images = _to_model_range(_intensities(arrays["images"], str(path)), image_size, str(path))
    labels = arrays.get("labels")
    if labels is not None:
        if labels.shape != (images.shape[0],) or not np.issubdtype(labels.dtype, np.integer) \
                or labels.min() < 0:
            raise ConfigError(f"{path}: labels must be non-negative integers of shape "
                              f"({images.shape[0]},), got {labels.dtype} {labels.shape}")
        labels = labels.astype(np.int32)
    return images, labels


def load_dataset(source: str, path: str | None, image_size: int):
    """Dispatch on `source` ∈ {"digits", "folder", "npz"} (`path` for the last two)."""
    check_choice("data source", source, DATA_SOURCES)
    check_real("image_size", image_size, positive=True, integer=True)
    if source == "digits":
        return load_digits(image_size)
    if not path:
        raise ConfigError(f"data source {source!r} needs a path")
    return (load_image_folder if source == "folder" else load_npz)(path, image_size)
