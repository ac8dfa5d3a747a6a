"""Named diffrax solvers, plus the classical fourth-order Runge–Kutta method diffrax lacks, and
the fixed steps of the explicit ODE solvers written out (`explicit_step`)."""

import functools
from typing import ClassVar

import diffrax
import numpy as np

from ._errors import ConfigError, check_choice


class RK4(diffrax.AbstractERK):
    """The classical 4th-order Runge–Kutta method (fixed steps only: no embedded error estimate)."""

    tableau: ClassVar[diffrax.ButcherTableau] = diffrax.ButcherTableau(
        a_lower=(np.array([0.5]), np.array([0.0, 0.5]), np.array([0.0, 0.0, 1.0])),
        b_sol=np.array([1 / 6, 1 / 3, 1 / 3, 1 / 6]),
        b_error=np.zeros(4),
        c=np.array([0.5, 0.5, 1.0]),
    )
    interpolation_cls: ClassVar = diffrax.ThirdOrderHermitePolynomialInterpolation.from_k

    def order(self, terms):
        return 4


ODE_SOLVERS = {
    "euler": diffrax.Euler,
    "heun": diffrax.Heun,
    "midpoint": diffrax.Midpoint,
    "rk4": RK4,
    "tsit5": diffrax.Tsit5,
    "dopri5": diffrax.Dopri5,
    "dopri8": diffrax.Dopri8,
}
# For additive noise the Itô and Stratonovich solutions coincide, so all of these apply.
SDE_SOLVERS = {
    "euler": diffrax.Euler,
    "heun": diffrax.Heun,
    "sea": diffrax.SEA,
    "shark": diffrax.ShARK,
    "sra1": diffrax.SRA1,
}
NEEDS_LEVY_AREA = ("sea", "shark", "sra1")
WITHOUT_ERROR_ESTIMATE = ("euler", "rk4")


def make_solver(name: str, *, stochastic: bool, adaptive: bool):
    """The diffrax solver called `name`, checked against the problem it will solve."""
    table = SDE_SOLVERS if stochastic else ODE_SOLVERS
    check_choice("SDE solver" if stochastic else "ODE solver", name, table)
    if adaptive and name in WITHOUT_ERROR_ESTIMATE:
        raise ConfigError(
            f"solver {name!r} has no error estimate: use fixed steps or another solver"
        )
    solver_cls = table[name]
    # Runge–Kutta stages in a plain `lax` loop (not diffrax's default checkpointed one, which
    # has a custom VJP): forward-mode derivatives of a step (tangent dynamics) need it.
    if issubclass(solver_cls, diffrax.AbstractRungeKutta | diffrax.AbstractSRK):
        return solver_cls(scan_kind="lax")
    return solver_cls()


@functools.cache
def _explicit_coefficients(name: str) -> tuple:
    """`(a, b, c)` of the explicit ODE solver `name` as Python floats (weakly typed, so they
    keep the state's dtype), without the trailing stages whose weight b is zero (the FSAL stage
    f(t1, y1), which diffrax carries to the next step and a written-out step does not need)."""
    if name == "euler":
        return (), (1.0,), ()
    tableau = ODE_SOLVERS[name].tableau
    b = [float(v) for v in tableau.b_sol]
    while b[-1] == 0.0:
        b.pop()
    stages = len(b)
    a = tuple(tuple(float(v) for v in row) for row in tableau.a_lower[: stages - 1])
    c = tuple(float(v) for v in tableau.c[: stages - 1])
    return a, tuple(b), c


def explicit_step(name: str, vector_field, t0, t1, y):
    """One fixed step h = t1 − t0 of dy/dt = f(t, y) (`vector_field(t, y)`) by the explicit
    Runge–Kutta method `name` of `ODE_SOLVERS`: k_1 = f(t0, y), k_i = f(t0 + c_i h,
    y + h Σ_{j<i} a_ij k_j), y1 = y + h Σ_i b_i k_i, with diffrax's own tableau.

    The stages are written out, so the step is a function of y alone with no solver state and
    no loop over stages: for small systems diffrax's stage loop costs several times the
    arithmetic (`scripts/benchmark_small_systems.py`). Equal to diffrax's step to round-off."""
    check_choice("ODE solver", name, ODE_SOLVERS)
    a, b, c = _explicit_coefficients(name)
    h = t1 - t0
    stages = [vector_field(t0, y)]
    for row, c_i in zip(a, c, strict=True):
        increment = sum(a_ij * k for a_ij, k in zip(row, stages, strict=True) if a_ij != 0.0)
        stages.append(vector_field(t0 + c_i * h, y + h * increment))
    return y + h * sum(b_i * k for b_i, k in zip(b, stages, strict=True) if b_i != 0.0)
