"""The key figure of an experiment, saved for the README and the docs: `docs/figures/NAME.png`.

Each experiment calls `save_key_figure(fig, name, note)` on its most telling figure after
saving it to its own output folder. The copy is small (at most 8 inches wide, 90 dpi,
optimized PNG) so the repository stays light, and `note` — what run made it: sizes, seeds,
`--quick` or not — is printed below the figure, so a README reader sees how it was produced.
Rerunning the experiment regenerates the figure (`copy_key_figure` for a figure a job wrote).
`parse_args` is the command line every
experiment shares (`--out`, created, plus its own options) and `save_figure` writes a figure
to the output folder and, when it is the key figure, to `docs/figures/` too.
"""

import argparse
from pathlib import Path

FIGURES = Path(__file__).parents[1] / "docs" / "figures"


def save_key_figure(fig, name: str, note: str) -> Path:
    """Write `fig` to `docs/figures/<name>.png` with `note` in a line below it."""
    width = fig.get_size_inches()[0]
    label = fig.text(0.995, -0.01, note, ha="right", va="top", fontsize=7, color="0.35")
    FIGURES.mkdir(parents=True, exist_ok=True)
    path = FIGURES / f"{name}.png"
    # at most 8 inches at 90 dpi: a wider figure keeps its layout at a lower resolution
    fig.savefig(path, dpi=90 * min(1.0, 8 / width), bbox_inches="tight",
                pil_kwargs={"optimize": True})
    label.remove()
    print(f"key figure: {path}")
    return path


def parse_args(doc: str, out: str, **options) -> argparse.Namespace:
    """The command line of an experiment described by `doc` (its module docstring): `--out`
    (default `out`, created, a `Path`) and `options`, name → `add_argument` keywords (e.g.
    `quick={"action": "store_true", "help": "small sizes"}`)."""
    parser = argparse.ArgumentParser(description=doc.splitlines()[0])
    parser.add_argument("--out", default=out, type=Path, help="output folder")
    for name, keywords in options.items():
        parser.add_argument(f"--{name.replace('_', '-')}", **keywords)
    args = parser.parse_args()
    args.out.mkdir(parents=True, exist_ok=True)
    return args


def save_figure(fig, path: Path, key: str | None = None, note: str = "") -> None:
    """Write `fig` to `path` (90 dpi), also as the key figure `docs/figures/<key>.png` with
    `note` if `key` is given (`save_key_figure`), and close it."""
    import matplotlib.pyplot as plt

    fig.savefig(path, dpi=90)
    if key is not None:
        save_key_figure(fig, key, note)
    plt.close(fig)


def copy_key_figure(path: Path, name: str, note: str) -> Path:
    """Make the PNG at `path` (a figure a job wrote to its run folder) the key figure
    `docs/figures/<name>.png`: redrawn at most 8 inches wide with `note` below it."""
    import matplotlib.image
    import matplotlib.pyplot as plt

    image = matplotlib.image.imread(path)
    height, width = image.shape[:2]
    inches = min(8.0, width / 90)
    fig = plt.figure(figsize=(inches, inches * height / width))
    ax = fig.add_axes((0, 0, 1, 1))
    ax.imshow(image, interpolation="antialiased")
    ax.axis("off")
    try:
        return save_key_figure(fig, name, note)
    finally:
        plt.close(fig)
