"""The key figure of an experiment, saved for the README and the docs: `docs/figures/NAME.png`.

Each experiment calls `save_key_figure(fig, name, note)` on its most telling figure after
saving it to its own output folder. The copy is small (at most 8 inches wide, 90 dpi,
optimized PNG) so the repository stays light, and `note` — what run made it: sizes, seeds,
`--quick` or not — is printed below the figure, so a README reader sees how it was produced.
Rerunning the experiment regenerates the figure.
"""

from pathlib import Path

FIGURES = Path(__file__).parents[1] / "docs" / "figures"


def save_key_figure(fig, name: str, note: str) -> Path:
    """Write `fig` to `docs/figures/<name>.png` with `note` in a line below it."""
    width, height = fig.get_size_inches()
    if width > 8:
        fig.set_size_inches(8, height * 8 / width)
    label = fig.text(0.995, -0.01, note, ha="right", va="top", fontsize=7, color="0.35")
    FIGURES.mkdir(parents=True, exist_ok=True)
    path = FIGURES / f"{name}.png"
    fig.savefig(path, dpi=90, bbox_inches="tight", pil_kwargs={"optimize": True})
    label.remove()
    fig.set_size_inches(width, height)
    print(f"key figure: {path}")
    return path
