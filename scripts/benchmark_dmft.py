"""A whole λ_max(g) curve of the SCS DMFT: one vmapped jaxchaos call vs a plain SciPy loop.

Both solve the same theory the same way per gain (tanh): Δ0 from the energy condition by a root
finder, C_φ and C_φ' on Chebyshev nodes of [0, Δ0] by a 2-D trapezoid rule, Δ(τ) by integrating
Δ'' = Δ - g²C_φ(Δ) (SciPy: `solve_ivp`, DOP853, rtol 1e-11, with the same exponential tail once
Δ < 1e-4 Δ0), and E0 of -d²/dτ² - g²C_φ'(Δ(τ)) by cell-centred finite differences (SciPy:
`eigh_tridiagonal`) with the same grids and Richardson step. jaxchaos: `scs_dmft(gains)`, one
`jit`+`vmap` call over all gains. Timed in the same run, best of `--repeats` after a warm-up
call (compilation excluded); the SciPy loop is timed once per repeat as well. Also reported: the
largest |λ_jax - λ_scipy| and |E1 + 1| over the curve.

Run: `.venv/bin/python scripts/benchmark_dmft.py [--gains 100] [--repeats 3] [--json PATH]`.
"""

import argparse
import json

import jax
import jax.numpy as jnp
import numpy as np
from _timing import best_times
from scipy import integrate, linalg, optimize

from jaxchaos._theory._dmft import scs_dmft

CELLS, SPAN, NODES, POINTS = 1024, 20.0, 64, 240


def _grid():
    z = np.linspace(-8.5, 8.5, POINTS)
    return z, (z[1] - z[0]) * np.exp(-0.5 * z**2) / np.sqrt(2 * np.pi)


def _log_cosh(x):
    return np.abs(x) + np.log1p(np.exp(-2 * np.abs(x))) - np.log(2)


def scipy_lyapunov(g):
    """λ_max(g) for tanh, NumPy/SciPy only."""
    z, w = _grid()
    zf = np.linspace(-8.5, 8.5, 1200)
    wf = (zf[1] - zf[0]) * np.exp(-0.5 * zf**2) / np.sqrt(2 * np.pi)

    def mismatch(a):
        phi = _log_cosh(np.sqrt(a) * zf)
        return 2 * g * g * (wf @ phi**2 - (wf @ phi) ** 2) / a**2 - 1

    d0 = optimize.brentq(mismatch, 1e-12, g * g, xtol=1e-15, rtol=1e-15)
    theta = np.pi * (np.arange(NODES) + 0.5) / NODES
    x = np.cos(theta)

    def kernel(f, d):
        inner = f(np.sqrt(d0 - d) * z[None, :] + np.sqrt(d) * z[:, None]) @ w
        return w @ inner**2

    dphi = lambda y: 1 - np.tanh(y) ** 2  # noqa: E731
    nodes = d0 * (1 + x) / 2
    c_vals = np.array([kernel(np.tanh, d) for d in nodes])
    w_vals = np.array([kernel(dphi, d) for d in nodes])
    basis = np.cos(np.outer(np.arange(NODES), theta))
    c_coef = 2 / NODES * basis @ c_vals
    w_coef = 2 / NODES * basis @ w_vals
    c_coef[0] /= 2
    w_coef[0] /= 2

    def interp(coef, d):
        return np.polynomial.chebyshev.chebval(2 * np.clip(d, 0, d0) / d0 - 1, coef)

    kappa = np.sqrt(1 - g * g * (np.sum(wf * dphi(np.sqrt(d0) * zf))) ** 2)
    h = SPAN / (kappa * CELLS)
    tau = np.arange(4 * CELLS + 1) * h / 4
    small = lambda t, y: y[0] - 1e-4 * d0  # noqa: E731
    small.terminal = True
    sol = integrate.solve_ivp(lambda t, y: [y[1], y[0] - g * g * interp(c_coef, y[0])],
                              (0, tau[-1]), [d0, 0.0], method="DOP853", rtol=1e-11,
                              atol=1e-14 * d0, dense_output=True, events=small)
    t_s = sol.t[-1]
    delta = np.where(tau < t_s, sol.sol(np.minimum(tau, t_s))[0],
                     sol.y[0, -1] * np.exp(-kappa * (tau - t_s)))
    pot = g * g * interp(w_coef, delta)

    def lowest(p, step, odd):
        d = 2 / step**2 - p
        d[0] += (1 if odd else -1) / step**2
        d[-1] += 1 / step**2
        e = np.full(len(p) - 1, -1 / step**2)
        return linalg.eigh_tridiagonal(d, e, eigvals_only=True, select="i",
                                       select_range=(0, 0))[0]

    energies = [(4 * lowest(pot[1::2], h / 2, odd) - lowest(pot[2::4], h, odd)) / 3
                for odd in (False, True)]
    return -1 + np.sqrt(-energies[0]), energies[1]


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--gains", type=int, default=100, help="points on the curve g ∈ (1, 3]")
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--json", metavar="PATH")
    args = parser.parse_args()
    jax.config.update("jax_enable_x64", True)
    gains = np.linspace(1.02, 3.0, args.gains)
    curve = jax.jit(lambda g: scs_dmft(g).lyapunov)
    jax_gains = jnp.asarray(gains)

    def scipy_curve():
        return [scipy_lyapunov(g) for g in gains]

    times = best_times({"jaxchaos": lambda: curve(jax_gains), "scipy": scipy_curve},
                       args.repeats)
    lam_jax = np.asarray(curve(jax_gains))
    scipy_out = np.array(scipy_curve())
    e1 = np.asarray(scs_dmft(jax_gains).first_excited_energy)
    result = {
        "device": jax.devices()[0].device_kind, "jax": jax.__version__, "gains": args.gains,
        "seconds": times, "scipy_over_jaxchaos": times["scipy"] / times["jaxchaos"],
        "max_abs_lambda_difference": float(np.max(np.abs(lam_jax - scipy_out[:, 0]))),
        "max_abs_e1_plus_1_jaxchaos": float(np.max(np.abs(e1 + 1))),
        "max_abs_e1_plus_1_scipy": float(np.max(np.abs(scipy_out[:, 1] + 1))),
    }
    print(f"device: {result['device']}, jax {result['jax']}, {args.gains} gains in [1.02, 3], "
          f"best of {args.repeats}")
    print(f"jaxchaos (one vmapped call): {times['jaxchaos']:.3f} s")
    print(f"scipy loop:                  {times['scipy']:.3f} s")
    print(f"ratio scipy / jaxchaos:      {result['scipy_over_jaxchaos']:.1f}")
    print(f"max |λ_jax - λ_scipy| = {result['max_abs_lambda_difference']:.2e}; "
          f"max |E1 + 1|: jaxchaos {result['max_abs_e1_plus_1_jaxchaos']:.1e}, "
          f"scipy {result['max_abs_e1_plus_1_scipy']:.1e}")
    if args.json:
        with open(args.json, "w") as f:
            json.dump(result, f, indent=2)


if __name__ == "__main__":
    main()
