"""Signal propagation through deep random feed-forward nets, finite width against mean-field
theory (Poole et al. 2016; Schoenholz et al. 2017), as a job: `job = "deep-net"` in a config run
by `jaxchaos run CONFIG` (`configs/deep_signal_propagation.toml`).

h^l = W^l φ(h^{l-1}) + b^l with W_ij ~ N(0, σ_w²/N), b_i ~ N(0, σ_b²): σ_w and σ_b are standard
deviations throughout. Figures, each written to `<run folder>/figures/`:

- `length_map.png`: q^l vs depth from several q^0 (finite width, dots) and the q-map iterated
  (lines), for the first and last of `figures.sigma_w_panels`;
- `correlation_map.png`: c^{l+1} against c^l measured for input pairs at q*, over the mean-field
  c-map, for each of `figures.sigma_w_panels`;
- `manifold.png`: length, mean curvature and Grassmannian length of a great circle of inputs vs
  depth at an ordered, the critical and a chaotic σ_w (exponential growth only when chaotic);
- `phase_diagram.png`: the measured Jacobian gain χ1 (mean squared singular value of a deep
  layer's Jacobian) over σ_w ∈ [0.5, 4] × σ_b ∈ [0, 2], its χ1 = 1 contour and the mean-field
  boundary σ_w,c(σ_b);
- `depth_scale.png`: ξ_c = -1/ln χ_c vs σ_w (mean field) and the depth scale fitted to the
  measured decay of |c^l - c*|, diverging at σ_w,c.

The numbers behind each figure go to `summary.json`, written after every figure; the record
lists the figures done, so that `jaxchaos resume` continues with the next one.

```toml
job = "deep-net"
name = "deep_signal_propagation"
[network]
width = 1000                # N
depth = 30                  # L
sigma_b = 0.3
[figures]
sigma_w_panels = [1.0, 2.0, 4.0]
grid_sigma_w = 15           # phase-diagram points in σ_w ∈ [0.5, 4]
```
"""

import json
import math
from pathlib import Path

import jax
import jax.numpy as jnp
import numpy as np
from tqdm.auto import tqdm

from .._core._errors import ConfigError, check_choice, check_real
from .._core._sweep import sweep
from .._models._deepnet import (
    DeepNetwork,
    great_circle,
    jacobian_gain,
    manifold_geometry,
    propagate_inputs,
)
from .._theory._meanfield import c_map, critical_sigma_w, deep_mean_field, q_map
from ._config import NUMBER, check_type, resolve_tables
from ._runfolder import open_run, write_text

SUMMARY = "summary.json"
DEPTH_SCALE_PAIRS = 64  # input pairs averaged per σ_w in the depth-scale fit
_SCHEMA = {
    "network": {"width": (1000, int), "depth": (30, int), "sigma_b": (0.3, NUMBER),
                "seed": (0, int)},
    "figures": {
        "sigma_w_panels": ([1.0, 2.0, 4.0], list),   # ordered ... chaotic
        "q0": ([0.1, 1.0, 4.0, 9.0], list),          # starting q of the length-map panel
        "grid_sigma_w": (15, int),
        "grid_sigma_b": (9, int),
        "circle_points": (256, int),
        "depth_scale_sigma_w": ([1.0, 1.2, 1.3, 1.5, 1.7, 2.0, 2.5], list),
    },
    "output": {"root": ("runs", str), "precision": ("float64", str)},
}


def resolve_deep_net_config(raw: dict) -> dict:
    """Fill defaults and check every key of a deep-net config; `ConfigError` names the key."""
    config = resolve_tables(raw, _SCHEMA, "deep_signal_propagation")
    network, figures = config["network"], config["figures"]
    for key in ("width", "depth"):
        check_real(f"network.{key}", network[key], positive=True)
    if network["depth"] < 3:
        raise ConfigError(f"network.depth must be at least 3, got {network['depth']}")
    check_real("network.sigma_b", network["sigma_b"], nonnegative=True)
    for key in ("sigma_w_panels", "q0", "depth_scale_sigma_w"):
        if not figures[key]:
            raise ConfigError(f"figures.{key} must not be empty")
        for value in figures[key]:
            check_type(f"figures.{key} entries", value, NUMBER)
            check_real(f"figures.{key} entries", value, positive=True)
    for key in ("grid_sigma_w", "grid_sigma_b"):
        if figures[key] < 2:
            raise ConfigError(f"figures.{key} must be at least 2, got {figures[key]}")
    if figures["circle_points"] < 16:
        raise ConfigError(f"figures.circle_points must be at least 16, got "
                          f"{figures['circle_points']}")
    check_choice("output.precision", config["output"]["precision"], ("float32", "float64"))
    return config


def network(p, sigma_w, sigma_b=None, depth=None):
    return DeepNetwork(jax.random.key(p["seed"]), sigma_w,
                       p["sigma_b"] if sigma_b is None else sigma_b, p["width"],
                       p["depth"] if depth is None else depth)


def inputs(p, q0s, key=1):
    """One input per q0 (each with squared length exactly q0)."""
    z = jax.random.normal(jax.random.key(key), (len(q0s), p["width"]))
    z = z / jnp.sqrt(jnp.mean(z * z, axis=1, keepdims=True))
    return z * jnp.sqrt(jnp.asarray(q0s))[:, None]


def length_map_figure(p, out, summary):
    import matplotlib.pyplot as plt

    fig, axes = plt.subplots(1, 2, figsize=(10, 3.8), sharey=True)
    for ax, sigma_w in zip(axes, (p["sigma_w_panels"][0], p["sigma_w_panels"][-1]), strict=True):
        q, _ = propagate_inputs(network(p, sigma_w), inputs(p, p["q0"]))
        for i, q0 in enumerate(p["q0"]):
            theory = [q0]
            for _ in range(p["depth"]):
                theory.append(float(q_map(theory[-1], sigma_w, p["sigma_b"])))
            line, = ax.plot(theory, lw=1)
            ax.plot(np.asarray(q[:, i]), "o", ms=3, color=line.get_color())
        ax.set(xlabel="layer l", title=f"σ_w = {sigma_w:g}, σ_b = {p['sigma_b']:g}")
        summary[f"q_star_sigma_w_{sigma_w:g}"] = float(deep_mean_field(sigma_w,
                                                                       p["sigma_b"]).q_star)
    axes[0].set_ylabel(f"q^l  (dots: N = {p['width']}; lines: q-map)")
    fig.tight_layout()
    fig.savefig(out / "length_map.png", dpi=120)


def correlation_map_figure(p, out, summary):
    import matplotlib.pyplot as plt

    fig, ax = plt.subplots(figsize=(5, 4.5))
    grid = np.linspace(0.0, 1.0, 101)
    for sigma_w in p["sigma_w_panels"]:
        mf = deep_mean_field(sigma_w, p["sigma_b"])
        q_star = float(mf.q_star)
        curve = jax.vmap(lambda c, s=sigma_w, q=q_star: c_map(c, q, s, p["sigma_b"]))(grid)
        line, = ax.plot(grid, curve, lw=1, label=f"σ_w = {sigma_w:g}: χ1 = {float(mf.chi1):.2f}")
        # Pairs at q* (so q stays at q*) with correlations across [0, 1): layers 0 → 1 → 2.
        pairs = _pairs(p, q_star, np.linspace(0.0, 0.98, 12))
        _, c = propagate_inputs(network(p, sigma_w, depth=2), pairs.reshape(-1, p["width"]))
        c = np.asarray(c)
        index = np.arange(0, pairs.shape[0] * 2, 2)
        before, after = c[:-1, index, index + 1], c[1:, index, index + 1]
        ax.plot(before.ravel(), after.ravel(), ".", ms=3, color=line.get_color())
        mismatch = after - np.asarray(jax.vmap(
            lambda x, s=sigma_w, q=q_star: c_map(x, q, s, p["sigma_b"]))(before.ravel())
        ).reshape(after.shape)
        summary[f"c_map_rms_error_sigma_w_{sigma_w:g}"] = float(np.sqrt(np.mean(mismatch**2)))
    ax.plot([0, 1], [0, 1], "k:", lw=0.8)
    ax.set(xlabel="c^l", ylabel="c^{l+1}", title=f"Correlation map, σ_b = {p['sigma_b']:g}")
    ax.legend(fontsize=8)
    fig.tight_layout()
    fig.savefig(out / "correlation_map.png", dpi=120)


def _pairs(p, q, correlations):
    """Input pairs (len, 2, N) with squared lengths q and the given correlations."""
    z = jax.random.normal(jax.random.key(2), (len(correlations), 2, p["width"]))
    z = z / jnp.sqrt(jnp.mean(z * z, axis=-1, keepdims=True))
    c = jnp.asarray(correlations)[:, None]
    second = c * z[:, 0] + jnp.sqrt(1 - c**2) * z[:, 1]
    return jnp.sqrt(q) * jnp.stack([z[:, 0], second], axis=1)


def manifold_figure(p, out, summary):
    import matplotlib.pyplot as plt

    fig, axes = plt.subplots(1, 3, figsize=(13, 3.8))
    critical = float(critical_sigma_w(p["sigma_b"]))
    for sigma_w in (p["sigma_w_panels"][0], critical, p["sigma_w_panels"][-1]):
        q_star = float(deep_mean_field(sigma_w, p["sigma_b"]).q_star)
        curve = great_circle(jax.random.key(3), p["width"], max(q_star, 1e-3),
                             p["circle_points"])
        geometry = jax.jit(manifold_geometry)(network(p, sigma_w), *curve)
        label = f"σ_w = {sigma_w:.3g}" + (" (critical)" if sigma_w == critical else "")
        for ax, values in zip(axes, (geometry.length, geometry.mean_curvature,
                                     geometry.grassmannian_length), strict=True):
            ax.semilogy(np.asarray(values), label=label)
        summary[f"length_growth_per_layer_sigma_w_{sigma_w:.3g}"] = float(
            (geometry.length[-1] / geometry.length[1]) ** (1 / (p["depth"] - 1))
        )
    for ax, name in zip(axes, ("length", "mean curvature", "Grassmannian length"), strict=True):
        ax.set(xlabel="layer l", ylabel=name)
    axes[0].legend(fontsize=8)
    axes[1].set_title(f"A great circle through N = {p['width']} units, σ_b = {p['sigma_b']:g}")
    fig.tight_layout()
    fig.savefig(out / "manifold.png", dpi=120)


def phase_diagram_figure(p, out, summary):
    import matplotlib.pyplot as plt

    sigmas_w = np.linspace(0.5, 4.0, p["grid_sigma_w"])
    sigmas_b = np.linspace(0.0, 2.0, p["grid_sigma_b"])
    h0 = inputs(p, [1.0, 1.0, 1.0, 1.0], key=4)
    deep_layers = max(1, p["depth"] // 3)

    def point(pt):
        net = network(p, pt["sigma_w"], pt["sigma_b"])
        return jnp.mean(jacobian_gain(net, h0)[-deep_layers:])

    chi1 = np.asarray(sweep(point, {"sigma_w": sigmas_w, "sigma_b": sigmas_b}))
    line_b = np.linspace(0.0, 2.0, 41)
    line_w = np.asarray(critical_sigma_w(line_b))
    fig, ax = plt.subplots(figsize=(5.5, 4.5))
    mesh = ax.pcolormesh(sigmas_w, sigmas_b, np.log(chi1.T), cmap="RdBu_r", shading="nearest",
                         vmin=-1.5, vmax=1.5)
    fig.colorbar(mesh, label="ln χ1 (measured)")
    ax.contour(sigmas_w, sigmas_b, np.log(chi1.T), levels=[0.0], colors="k", linestyles="--")
    ax.plot(line_w, line_b, "k", lw=2, label="σ_w,c(σ_b), mean field")
    ax.set(xlabel="σ_w", ylabel="σ_b", title=f"Order–chaos boundary, N = {p['width']}")
    ax.legend(fontsize=8, loc="lower right")
    fig.tight_layout()
    fig.savefig(out / "phase_diagram.png", dpi=120)
    theory = np.asarray(jax.vmap(jax.vmap(lambda w, b: deep_mean_field(w, b).chi1,
                                          (None, 0)), (0, None))(sigmas_w, sigmas_b))
    summary["phase_diagram_chi1_max_relative_error"] = float(np.max(np.abs(chi1 / theory - 1)))


def depth_scale_figure(p, out, summary):
    import matplotlib.pyplot as plt

    sigmas = np.linspace(1.0, 3.0, 81)
    xi = np.asarray(jax.vmap(lambda w: deep_mean_field(w, p["sigma_b"]).xi_c)(sigmas))
    fig, ax = plt.subplots(figsize=(5.5, 4))
    ax.plot(sigmas, xi, label="ξ_c = -1/ln χ_c (mean field)")
    measured = {}
    for sigma_w in p["depth_scale_sigma_w"]:
        # Pairs started 0.1 below c*, where the c-map is close to linear, so that |c^l - c*|
        # decays as χ_c^l from the first layer; the mean over PAIRS pairs lowers the finite-width
        # noise floor (~1/√N per pair), and only layers where the mean distance stands 4 standard
        # errors above that noise enter the fit of ln|c^l - c*| against l.
        mf = deep_mean_field(sigma_w, p["sigma_b"])
        c_star = float(mf.c_star)
        pairs = _pairs(p, float(mf.q_star), [c_star - 0.1] * DEPTH_SCALE_PAIRS)
        _, c = propagate_inputs(network(p, sigma_w), pairs.reshape(-1, p["width"]))
        index = np.arange(0, 2 * DEPTH_SCALE_PAIRS, 2)
        per_pair = np.asarray(c)[:, index, index + 1] - c_star
        distance = np.abs(per_pair.mean(axis=1))
        error = per_pair.std(axis=1) / math.sqrt(DEPTH_SCALE_PAIRS)
        layers = np.arange(len(distance))
        usable = np.cumprod(distance > 4.0 * error).astype(bool)  # up to the first noisy layer
        if usable.sum() >= 3:
            slope = np.polyfit(layers[usable], np.log(distance[usable]), 1)[0]
            measured[sigma_w] = -1.0 / slope
    ax.plot(list(measured), list(measured.values()), "o", label=f"fit to |c^l - c*|, N = "
            f"{p['width']}")
    ax.axvline(float(critical_sigma_w(p["sigma_b"])), color="gray", ls="--", lw=0.8)
    ax.set(xlabel="σ_w", ylabel="depth scale ξ_c (layers)", yscale="log",
           title=f"σ_b = {p['sigma_b']:g}")
    ax.legend(fontsize=8)
    fig.tight_layout()
    fig.savefig(out / "depth_scale.png", dpi=120)
    summary["depth_scale_measured"] = {f"{k:g}": v for k, v in measured.items()}
    summary["depth_scale_theory"] = {
        f"{k:g}": float(deep_mean_field(k, p["sigma_b"]).xi_c) for k in measured
    }



FIGURES = {
    "length_map": length_map_figure,
    "correlation_map": correlation_map_figure,
    "manifold": manifold_figure,
    "phase_diagram": phase_diagram_figure,
    "depth_scale": depth_scale_figure,
}


def run_deep_net(folder, *, progress: bool = True) -> Path:
    """Draw the figures of a deep-net run folder that are not drawn yet; returns the folder.

    After each figure the summary so far is committed (`Run.commit`, progress = figures done);
    `summary.json` is a copy of the committed summary."""
    import matplotlib

    matplotlib.use("Agg")
    folder = Path(folder)
    with open_run(folder, "deep-net", resolve_deep_net_config) as run:
        if run.finished:
            return folder
        config = run.config
        p = {**config["network"], **config["figures"]}  # what the figure functions read
        out = folder / "figures"
        out.mkdir(exist_ok=True)
        _, saved = run.restore(())
        summary = (json.loads(str(saved["summary"])) if "summary" in saved else
                   {"sigma_w_critical": float(critical_sigma_w(p["sigma_b"]))})
        names = list(FIGURES)
        run.save(status="running")
        with tqdm(total=len(FIGURES), initial=run.progress, desc=config["name"], unit="figure",
                  disable=not progress) as bar:
            for index in range(run.progress, len(names)):
                bar.set_postfix(figure=names[index])
                FIGURES[names[index]](p, out, summary)
                text = json.dumps(summary, indent=2)
                run.commit(index + 1, (), {"summary": text}, figures_done=names[:index + 1])
                write_text(folder / SUMMARY, text)
                bar.update(1)
        write_text(folder / SUMMARY, json.dumps(summary, indent=2))
        run.finish()
    return folder
