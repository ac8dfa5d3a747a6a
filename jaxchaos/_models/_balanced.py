"""Balanced firing-rate networks driven by input (Engelken, Ingrosso, Khajeh, Goedeke & Abbott,
PLoS Comput Biol 18:e1010590, 2022; PHYSICS.md §1 variants).

Model (time in units of τ = 1):

    dx_i/dt = -x_i + Σ_j J_ij φ(x_j) + √N I0 + I1_i(t),

- dense: J_ij ~ N(-J0/√N, g²/N) iid (J_ii drawn like the others, as in the paper);
- sparse (`k` set): neuron i has exactly K presynaptic partners drawn without replacement (no
  autapse), each weight -J0/√K + (g/√K) z, z ~ N(0, 1); the constant input is then √K I0.
  Its recurrent input has mean -J0 √K ν and, for K ≪ N, variance (g² + J0²) C: the sparse
  network is the dense one with N → K and g² → g² + J0² (for the mean-field theory).

Both are drawn by the shared connectivity layer, `balanced_ensemble(g, J0, k)` (an `Ensemble`
with `scaling="balanced"`), so the balanced network uses the one connectivity operator.

φ is ReLU (`"relu"`, threshold-linear at 0) or `"rectified_tanh"` (non-negative rates);
I1_i(t) is any `AbstractInput`: `SinusoidalInput(I1, f)` is common to all neurons,
`SinusoidalInput.independent(key, N, I1, f)` has a random phase per neuron.

Balance. With ν = (1/N) Σ_j φ(x_j) the population rate, the O(√N) terms of the mean input
cancel only if ν = I0/J0 + O(1/√N): rates follow the linear balance equation. Exactly (no
approximation), the time average of the population-mean state obeys

    ⟨x̄⟩ = Σ_j c_j ⟨φ(x_j)⟩ + √N I0 + ⟨Ī1⟩,    c_j = (1/N) Σ_i J_ij  (column means),

so ν = I0/J0 - (⟨x̄⟩ - ⟨Ī1⟩ - Σ_j (c_j + J0/√N) ⟨φ_j⟩)/(√N J0), `balance_rate` below.
A common input's population-mean response is cancelled by the feedback: linearising
ν ≈ ν0 + β δx̄ (β = ⟨φ'⟩, the mean slope), the mean state answers I1 sin(2πft) with amplitude
I1/|1 + 2πif + √N J0 β| (`common_response_amplitude`), O(1/√N) instead of I1/|1 + 2πif|.

Jacobian: -I + J diag φ'(x); the Lyapunov engine uses `jvp` through the connectivity operator.
"""

import math

import jax
import jax.numpy as jnp

from .._core._ensembles import Ensemble
from .._core._errors import ConfigError, check_real
from .._core._inputs import AbstractInput, ConstantInput
from .._core._nonlinearities import Nonlinearity
from .._core._operator import AbstractOperator, as_operator
from .._core._system import AbstractFlow
from ._rate import _coupling, _noise_or_none

BALANCED_NONLINEARITIES = ("relu", "rectified_tanh")


def balanced_ensemble(gain=2.0, j0=1.0, k=None) -> Ensemble:
    """The balanced network's connectivity as a shared `Ensemble` (scaling `"balanced"`):

    - dense (`k=None`): J_ij ~ N(-J0/√N, g²/N) iid for every pair, J_ii included (as in the
      paper; `zero_diagonal=False`), an (N, N) array;
    - sparse (`k=K`): exactly K partners per neuron, drawn without replacement among the N - 1
      others (no autapse), weights (-J0 + g z)/√K, z ~ N(0, 1), a `SparseOperator`.

    `BalancedRateNetwork.random` draws its J with `balanced_ensemble(gain, j0, k).sample(key, n)`
    (`Ensemble.external_scale(n)` = √N or √K is its drive's factor). g and J0 are static fields
    of the ensemble: each new value compiles a new draw.
    """
    check_real("gain", gain, nonnegative=True)
    check_real("j0", j0, positive=True)
    if k is not None:
        check_real("k", k, positive=True, integer=True)
        k = int(k)
    return Ensemble(means=((-float(j0),),), stds=((float(gain),),), k=k, scaling="balanced",
                    zero_diagonal=k is not None,
                    storage="dense" if k is None else "sparse")


class BalancedRateNetwork(AbstractFlow):
    """dx/dt = -x + J φ(x) + √N_in I0 + I1(t) (module docstring), N_in = N (dense) or K (sparse).

    **Arguments:**
    - `weights`: J as an (N, N) array or any `AbstractOperator` (already scaled: entries of
      order 1/√N_in).
    - `drive`: the constant input √N_in I0 (already scaled).
    - `nonlinearity`: `"relu"` (default) or `"rectified_tanh"`, or a `Nonlinearity`.
    - `input`: the time-dependent part I1(t) (an `AbstractInput`; none by default).
    - `noise`: additive white-noise strength σ (an SDE), or None.

    Build one from the paper's parameters with `BalancedRateNetwork.random`.
    """

    weights: jax.Array | AbstractOperator
    drive: jax.Array
    nonlinearity: Nonlinearity
    input: AbstractInput
    noise: jax.Array | None

    def __init__(self, weights, drive, nonlinearity="relu", input=None, noise=None):
        self.weights = _coupling(weights)
        self.drive = jnp.asarray(check_real("drive", drive))
        self.nonlinearity = (nonlinearity if isinstance(nonlinearity, Nonlinearity)
                             else Nonlinearity(nonlinearity))
        if self.nonlinearity.name not in BALANCED_NONLINEARITIES:
            raise ConfigError(f"nonlinearity must be one of {BALANCED_NONLINEARITIES} (non-"
                              f"negative rates), got {self.nonlinearity.name!r}")
        self.input = ConstantInput(0.0) if input is None else input
        if not isinstance(self.input, AbstractInput):
            raise ConfigError(f"input must be an AbstractInput, got {type(input).__name__}")
        self.noise = _noise_or_none(noise)

    @classmethod
    def random(cls, key, n: int, *, gain=2.0, j0=1.0, i0=1.0, k=None, nonlinearity="relu",
               input=None, noise=None) -> "BalancedRateNetwork":
        """The paper's network: dense J_ij ~ N(-J0/√N, g²/N) with drive √N I0, or (`k` set)
        K partners per neuron with weights (-J0 + g z)/√K and drive √K I0, J drawn from `key`
        by the shared connectivity layer (`balanced_ensemble(gain, j0, k)`). Since the
        connectivity layer took over the draw, a key gives a different network than the
        private draw of earlier versions (same distribution: dense the same entries' law,
        sparse the same uniform K-subsets)."""
        check_real("n", n, positive=True, integer=True)
        check_real("gain", gain, nonnegative=True)
        check_real("j0", j0, positive=True)
        check_real("i0", i0, nonnegative=True)
        n = int(n)
        if k is not None:
            check_real("k", k, positive=True, integer=True)
            if int(k) > n - 1:
                raise ConfigError(f"k = {k} exceeds the N - 1 = {n - 1} possible partners")
        ensemble = balanced_ensemble(gain, j0, k)
        weights = ensemble.sample(key, n)
        return cls(weights, ensemble.external_scale(n) * i0, nonlinearity, input, noise)

    @property
    def n(self) -> int:
        return self.weights.shape[0]

    def vector_field(self, t, x, args):
        return -x + as_operator(self.weights) @ self.nonlinearity(x) + self.drive + self.input(t)

    def jvp(self, t, x, v, args):
        return -v + as_operator(self.weights).tangent_product(self.nonlinearity.derivative(x), v)

    def initial_state(self, key):
        """x_i ~ N(0, 1): balance sets in within a time O(1/√N)."""
        return jax.random.normal(key, (self.n,))


def balance_rate(net: BalancedRateNetwork, mean_state, mean_rates, mean_input=0.0):
    """The population rate that the exact time-averaged mean equation implies (module
    docstring): solves ⟨x̄⟩ = Σ_j c_j ⟨φ_j⟩ + drive + ⟨Ī1⟩ for ν given the per-neuron mean rates'
    deviations from uniform; equals (1/N) Σ_j ⟨φ_j⟩ when the run is long enough. Arguments:
    `mean_state` ⟨x̄⟩ (a scalar), `mean_rates` ⟨φ_j⟩ (N,), `mean_input` ⟨Ī1⟩."""
    column_means = jnp.mean(as_operator(net.weights).to_dense(), axis=0)
    c_bar = jnp.mean(column_means)
    heterogeneous = jnp.sum((column_means - c_bar) * mean_rates)
    return (mean_state - net.drive - mean_input - heterogeneous) / (net.n * c_bar)


def common_response_amplitude(amplitude, frequency, n_in: int, j0, mean_slope):
    """Amplitude of the population-mean state's response to a common input I1 sin(2πft):
    I1/|1 + 2πif + √N_in J0 β| (β = ⟨φ'⟩, linear response of the balanced mean)."""
    return amplitude / jnp.abs(1 + 2j * jnp.pi * frequency + math.sqrt(n_in) * j0 * mean_slope)
