"""Named diffrax solvers, plus the classical fourth-order Runge–Kutta method diffrax lacks."""

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
