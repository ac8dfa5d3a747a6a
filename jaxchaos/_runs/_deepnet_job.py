"""Signal propagation through deep random feed-forward nets, finite width against mean-field
theory (Poole et al. 2016; Schoenholz et al. 2017), as a job: `job = "deep-net"` in a config run
by `jaxchaos run CONFIG` (`configs/deep_signal_propagation.toml`).

h^1 = W^1 x^0 + b^1 (the input x^0 enters linearly), h^l = W^l φ(h^{l-1}) + b^l for l ≥ 2, with
W_ij ~ N(0, σ_w²/N), b_i ~ N(0, σ_b²): σ_w and σ_b are standard deviations throughout. Figures,
each written to `<run folder>/figures/`:

- `length_map.png`: q^l vs depth from several input q^0 (finite width, dots) and the mean field
  (lines: q^1 = σ_w² q^0 + σ_b², then the q-map), for the first and last of
  `figures.sigma_w_panels`;
- `correlation_map.png`: c^{l+1} against c^l measured for input pairs whose first layer is at q*
  (layers 1 → 2 → 3), over the mean-field c-map, for each of `figures.sigma_w_panels`;
- `manifold.png`: length, mean curvature (√N κ) and Grassmannian length of a great circle whose
  first layer is at q*, vs depth, at an ordered, the critical and a chaotic σ_w, measured (dots)
  against the mean-field curvature theory (lines, `great_circle_mean_field`: χ1, χ2);
- `shallow_vs_deep.png`: Grassmannian length of the output curve against the number of hidden
  units: deep nets of width `figures.shallow_deep_width` (1 … depth-1 hidden layers) against one
  hidden layer of the same total width, at the chaotic σ_w (seed 000, §4: the exponential growth
  needs depth);
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

from .._core._errors import ConfigError
from .._core._sweep import sweep
from .._models._deepnet import (
    DeepNetwork,
    great_circle,
    jacobian_gain,
    manifold_geometry,
    propagate_inputs,
)
from .._theory._meanfield import (
    c_map,
    critical_sigma_w,
    deep_mean_field,
    great_circle_mean_field,
    q_map,
)
from ._deepnet_config import resolve_deep_net_config, sizes
from ._runfolder import finite_json, open_run, write_text

SUMMARY = "summary.json"
DEPTH_SCALE_PAIRS = 32  # input pairs averaged per network and σ_w in the depth-scale fit
DEPTH_SCALE_NETWORKS = 4  # independent networks per σ_w in the depth-scale fit
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
            theory = [q0, sigma_w**2 * q0 + p["sigma_b"] ** 2]
            for _ in range(p["depth"] - 1):
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
        # Pairs whose first layer is at q* (so q stays at q*) with correlations across
        # [c(0), 1): layers 1 → 2 → 3 (layer 1 is linear in the input).
        floor = p["sigma_b"] ** 2 / q_star  # c^1 of orthogonal inputs
        pairs = _pairs(p, sigma_w, q_star, np.linspace(floor, 0.98, 12))
        _, c = propagate_inputs(network(p, sigma_w, depth=3), pairs.reshape(-1, p["width"]))
        c = np.asarray(c)[1:]
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


def _input_q(p, sigma_w, q1):
    """The input's q^0 whose first layer has q^1 = σ_w² q^0 + σ_b² = q1 (mean field)."""
    return (q1 - p["sigma_b"] ** 2) / sigma_w**2


def _pairs(p, sigma_w, q1, correlations):
    """Input pairs (len, 2, N) whose first layer has, in mean field, squared length q1 and the
    given correlations c^1 = (σ_w² q^0 c^0 + σ_b²)/q1 (each at least σ_b²/q1)."""
    q0 = _input_q(p, sigma_w, q1)
    c0 = (np.asarray(correlations) * q1 - p["sigma_b"] ** 2) / (sigma_w**2 * q0)
    if np.any(np.abs(c0) > 1 + 1e-12):
        raise ConfigError(f"no input pair reaches first-layer correlations {correlations} at "
                          f"σ_w = {sigma_w:g}, σ_b = {p['sigma_b']:g}")
    z = jax.random.normal(jax.random.key(2), (len(correlations), 2, p["width"]))
    z = z / jnp.sqrt(jnp.mean(z * z, axis=-1, keepdims=True))
    c = jnp.asarray(np.clip(c0, -1.0, 1.0))[:, None]
    second = c * z[:, 0] + jnp.sqrt(1 - c**2) * z[:, 1]
    return jnp.sqrt(q0) * jnp.stack([z[:, 0], second], axis=1)


def _circle_at_q_star(p, sigma_w, width=None, depth=None):
    """Measured and mean-field geometry of a great circle whose first layer is at q*."""
    width = p["width"] if width is None else width
    depth = p["depth"] if depth is None else depth
    q0 = _input_q(p, sigma_w, max(float(deep_mean_field(sigma_w, p["sigma_b"]).q_star), 1e-3))
    curve = great_circle(jax.random.key(3), width, q0, p["circle_points"])
    net = DeepNetwork(jax.random.key(p["seed"]), sigma_w, p["sigma_b"], width, depth)
    return (jax.jit(manifold_geometry)(net, *curve),
            great_circle_mean_field(sigma_w, p["sigma_b"], q0, depth))


def manifold_figure(p, out, summary):
    import matplotlib.pyplot as plt

    fig, axes = plt.subplots(1, 3, figsize=(13, 3.8))
    critical = float(critical_sigma_w(p["sigma_b"]))
    root_n = math.sqrt(p["width"])
    for sigma_w in (p["sigma_w_panels"][0], critical, p["sigma_w_panels"][-1]):
        geometry, theory = _circle_at_q_star(p, sigma_w)
        label = f"σ_w = {sigma_w:.3g}" + (" (critical)" if sigma_w == critical else "")
        measured = (geometry.length / root_n, geometry.mean_curvature * root_n,
                    geometry.grassmannian_length)
        predicted = (theory.length, theory.curvature, theory.grassmannian_length)
        for ax, values, mean_field in zip(axes, measured, predicted, strict=True):
            line, = ax.semilogy(np.asarray(mean_field), lw=1, label=label)
            ax.semilogy(np.asarray(values), "o", ms=3, color=line.get_color())
        key = f"sigma_w_{sigma_w:.3g}"
        summary[f"length_growth_per_layer_{key}"] = float(
            (geometry.length[-1] / geometry.length[1]) ** (1 / (p["depth"] - 1))
        )
        summary[f"curvature_{key}"] = {
            "measured_sqrt_n_kappa": np.asarray(measured[1]).tolist(),
            "mean_field_sqrt_n_kappa": np.asarray(theory.curvature).tolist(),
            "max_relative_error": float(np.max(np.abs(measured[1] / theory.curvature - 1))),
        }
    for ax, name in zip(axes, ("length / √N", "mean curvature √N κ", "Grassmannian length"),
                        strict=True):
        ax.set(xlabel="layer l", ylabel=name)
    axes[0].legend(fontsize=8)
    axes[1].set_title(f"Great circle, first layer at q*: N = {p['width']} (dots), mean field "
                      f"(lines), σ_b = {p['sigma_b']:g}", fontsize=9)
    fig.tight_layout()
    fig.savefig(out / "manifold.png", dpi=120)


def shallow_vs_deep_figure(p, out, summary):
    import matplotlib.pyplot as plt

    sigma_w, width = p["sigma_w_panels"][-1], p["shallow_deep_width"]
    hidden_layers = np.arange(1, p["depth"])
    deep_geometry, deep_theory = _circle_at_q_star(p, sigma_w, width=width)
    # Depth L has L - 1 hidden (nonlinear) layers; the output h^L is their linear readout.
    deep = np.asarray(deep_geometry.grassmannian_length)[hidden_layers + 1]
    shallow = np.asarray([_circle_at_q_star(p, sigma_w, width=int(k * width), depth=2)[0]
                          .grassmannian_length[-1] for k in hidden_layers])
    units = hidden_layers * width
    fig, ax = plt.subplots(figsize=(5.5, 4))
    ax.semilogy(units, deep, "o", color="C3", label=f"deep: width {width}, 1 … "
                f"{hidden_layers[-1]} hidden layers")
    ax.semilogy(units, np.asarray(deep_theory.grassmannian_length)[hidden_layers + 1], color="C3",
                lw=1, label="deep, mean field")
    ax.semilogy(units, shallow, "s", color="C0", label="shallow: one hidden layer of that width")
    ax.axhline(float(deep_theory.grassmannian_length[2]), color="C0", lw=1,
               label="shallow, mean field")
    ax.set(xlabel="hidden units", ylabel="Grassmannian length of the output curve",
           title=f"σ_w = {sigma_w:g}, σ_b = {p['sigma_b']:g}")
    ax.legend(fontsize=8)
    fig.tight_layout()
    fig.savefig(out / "shallow_vs_deep.png", dpi=120)
    summary["shallow_vs_deep"] = {"sigma_w": sigma_w, "hidden_units": units.tolist(),
                                  "deep_grassmannian_length": deep.tolist(),
                                  "shallow_grassmannian_length": shallow.tolist()}


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
        # Pairs whose first layer starts 0.1 below c*, where the c-map is close to linear, so
        # that |c^l - c*| decays as χ_c^l from the first layer. All pairs through one network
        # share its weights, so part of their finite-width noise is common and does not average
        # out over pairs: the mean over PAIRS pairs is taken in each of NETWORKS independent
        # networks, and the standard error of the mean over networks sets the noise floor. Only
        # layers where the mean distance stands 4 standard errors above it enter the fit of
        # ln|c^l - c*| against l.
        mf = deep_mean_field(sigma_w, p["sigma_b"])
        c_star = float(mf.c_star)
        pairs = _pairs(p, sigma_w, float(mf.q_star),
                       [max(c_star - 0.1, p["sigma_b"] ** 2 / float(mf.q_star))]
                       * DEPTH_SCALE_PAIRS).reshape(-1, p["width"])
        index = np.arange(0, 2 * DEPTH_SCALE_PAIRS, 2)
        per_network = []
        for k in range(DEPTH_SCALE_NETWORKS):
            net = DeepNetwork(jax.random.fold_in(jax.random.key(p["seed"]), k), sigma_w,
                              p["sigma_b"], p["width"], p["depth"])
            c = np.asarray(propagate_inputs(net, pairs)[1])
            per_network.append(np.mean(c[1:, index, index + 1] - c_star, axis=1))  # l = 1 … L
        per_network = np.asarray(per_network)
        distance = np.abs(per_network.mean(axis=0))
        error = per_network.std(axis=0, ddof=1) / math.sqrt(DEPTH_SCALE_NETWORKS)
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
    "shallow_vs_deep": shallow_vs_deep_figure,
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
    with open_run(folder, "deep-net", resolve_deep_net_config, sizes) as run:
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
                text = finite_json(SUMMARY, summary)
                run.commit(index + 1, (), {"summary": text}, figures_done=names[:index + 1])
                write_text(folder / SUMMARY, text)
                bar.update(1)
        write_text(folder / SUMMARY, finite_json(SUMMARY, summary))
        run.finish()
    return folder
