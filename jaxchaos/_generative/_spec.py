"""What the GAN takes, in pure Python (no JAX, so that a run config is checked without it): the
data sources and the image layout of the generator and discriminator."""

from .._core._errors import ConfigError, check_real

DATA_SOURCES = ("digits", "folder", "npz")


def image_layout(size: int) -> tuple[int, int]:
    """(b, u) with size = b·2^u, 4 ≤ b ≤ 7 and u ≥ 1; `ConfigError` if there are none."""
    check_real("image_size", size, positive=True, integer=True)
    base, ups = int(size), 0
    while base % 2 == 0 and base // 2 >= 4:
        base, ups = base // 2, ups + 1
    if ups < 1 or base > 7:
        raise ConfigError(f"image_size must be b·2^u with 4 <= b <= 7 and u >= 1 "
                          f"(8, 16, 28, 32, 64, ...), got {size}")
    return base, ups
