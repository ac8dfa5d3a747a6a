"""Random network models: the SCS rate network, its Euler map, and the Cessac discrete-time model.

All matrix products use `precision="highest"`, so float32 work on GPUs is not silently done in
TF32 (which would bias Lyapunov exponents and mean-field comparisons).
"""

import math

import jax
import jax.numpy as jnp

from .._core._connectivity import Connectivity
from .._core._errors import ConfigError, check_real
from .._core._inputs import AbstractInput, ConstantInput
from .._core._nonlinearities import Nonlinearity
from .._core._operator import AbstractOperator, as_operator, check_coupling
from .._core._system import AbstractFlow, AbstractMap

_HIGHEST = jax.lax.Precision.HIGHEST


def _noise_or_none(noise):
    """Store σ = 0 as None (an ODE, statically); keep traced or non-zero values."""
    check_real("noise", noise, nonnegative=True)
    if noise is None or (isinstance(noise, (int, float)) and noise == 0):
        return None
    return jnp.asarray(noise)


def _coupling(weights):
    """A checked coupling: an operator as it is, anything else as a dense (N, N) array."""
    check_coupling(weights)
    return weights if isinstance(weights, AbstractOperator) else jnp.asarray(weights)


class SCSNetwork(AbstractFlow):
    """Sompolinsky–Crisanti–Sommers rate network (SCS 1988),

        dx/dt = -x + g W φ(x) + I(t)   [+ σ dW/dt],

    with W of unit gain (`Connectivity`: `J = gW`, `J_ij ~ N(0, g²/N)` when dense), φ a
    `Nonlinearity`, I(t) an external input and σ additive white-noise strength (an SDE when set).
    Time is in units of the neuron time constant. Jacobian: `-I + g W diag φ'(x)`.
    `weights` is an (N, N) array (dense) or any `AbstractOperator` (sparse, regenerated).
    """

    weights: jax.Array | AbstractOperator
    gain: jax.Array
    nonlinearity: Nonlinearity
    input: AbstractInput
    noise: jax.Array | None

    def __init__(self, weights, gain, nonlinearity="tanh", input=None, noise=None):
        self.weights = _coupling(weights)
        self.gain = jnp.asarray(check_real("gain", gain, nonnegative=True))
        self.nonlinearity = (
            nonlinearity if isinstance(nonlinearity, Nonlinearity) else Nonlinearity(nonlinearity)
        )
        self.input = ConstantInput(0.0) if input is None else input
        if not isinstance(self.input, AbstractInput):
            raise ConfigError(f"input must be an AbstractInput, got {type(input).__name__}")
        self.noise = _noise_or_none(noise)

    @classmethod
    def random(cls, key, n: int, gain, *, connectivity=None, **kwargs) -> "SCSNetwork":
        """A network with W drawn from `key` by `connectivity` (a `Connectivity` or an ensemble;
        dense Gaussian with zero diagonal by default)."""
        check_real("n", n, positive=True, integer=True)
        connectivity = Connectivity() if connectivity is None else connectivity
        connectivity.check_size(n)
        return cls(connectivity.sample(key, int(n)), gain, **kwargs)

    @property
    def n(self) -> int:
        return self.weights.shape[0]

    def vector_field(self, t, x, args):
        return -x + self.gain * (as_operator(self.weights) @ self.nonlinearity(x)) + self.input(t)

    def jvp(self, t, x, v, args):
        coupling = as_operator(self.weights)
        return -v + self.gain * coupling.tangent_product(self.nonlinearity.derivative(x), v)

    def vector_field_and_jvp(self, t, x, v, args):
        """`(f(x), Df(x) v)` with both coupling products as one: W @ [φ(x), φ'(x) ⊙ v]
        (`AbstractOperator.product_and_tangent`; W read once for a dense coupling)."""
        recurrent, tangent = as_operator(self.weights).product_and_tangent(
            self.nonlinearity(x), self.nonlinearity.derivative(x), v)
        return -x + self.gain * recurrent + self.input(t), -v + self.gain * tangent

    def lyapunov_function(self, x):
        """L(x) = Σ_i [x_i φ(x_i) − Φ(x_i)] − ½ g φ(x)ᵀ W φ(x) − Iᵀ φ(x) (seed 000, eqs 2–3, with
        a constant input I; Φ' = φ). For symmetric W (η = 1) and increasing φ,
        ∂L/∂x_i = −φ'(x_i) dx_i/dt, so dL/dt = −Σ_i φ'(x_i) (dx_i/dt)² ≤ 0 along trajectories of
        the noiseless network: L never increases and trajectories settle at fixed points. Not a
        Lyapunov function when W is not symmetric."""
        if not isinstance(self.input, ConstantInput):
            raise ConfigError("lyapunov_function needs a constant input (ConstantInput)")
        rates = self.nonlinearity(x)
        single = jnp.sum(x * rates - self.nonlinearity.antiderivative(x), axis=-1)
        recurrent = 0.5 * self.gain * jnp.sum(rates * (as_operator(self.weights) @ rates), axis=-1)
        return single - recurrent - jnp.sum(self.input.value * rates, axis=-1)


class EulerMap(AbstractMap):
    """The forward-Euler map of a flow with step δ, `x ← x + δ f(nδ, x)` (+ σ√δ B_n).

    For the SCS network this is the leaky map `x ← (1-δ)x + δ(gWφ(x) + I)`, which becomes the
    flow as δ → 0 (exponents per step divided by δ tend to the flow's exponents per unit time).
    """

    flow: AbstractFlow
    dt: float

    def __init__(self, flow: AbstractFlow, dt: float):
        self.flow = flow
        self.dt = check_real("EulerMap step delta (δ)", dt, positive=True)

    @property
    def n(self) -> int:
        return self.flow.n

    @property
    def noise(self):
        return None if self.flow.noise is None else self.flow.noise * math.sqrt(self.dt)

    def map(self, t, x, args):
        return x + self.dt * self.flow.vector_field(t * self.dt, x, args)

    def jvp(self, t, x, v, args):
        return v + self.dt * self.flow.jvp(t * self.dt, x, v, args)

    def map_and_jvp(self, t, x, v, args):
        drift, tangent = self.flow.vector_field_and_jvp(t * self.dt, x, v, args)
        return x + self.dt * drift, v + self.dt * tangent


class CessacNetwork(AbstractMap):
    """Cessac's discrete-time random network (PHYSICS.md §2),

        u(t+1) = γ u(t) + J f(u(t)) - θ + ξ(t) + σ B(t),   f(u) = φ(g u),

    with `J = J_std · W + (J̄/N) 1 1ᵀ` (so `E[J_ij] = J̄/N`, `Var[J_ij] = J_std²/N` for dense W),
    φ a `Nonlinearity` (tanh by default; `gaussian_cdf` is seed 001's other sigmoid), leak
    γ ∈ [0, 1), thresholds θ_i ~ N(θ̄, σ_θ²), a time-dependent stimulus ξ(t) (an `AbstractInput`
    called with the step index t; none by default) and B(t) ~ N(0, I).
    Jacobian: `γ I + J diag(g φ'(g u))`.
    """

    weights: jax.Array | AbstractOperator
    slope: jax.Array
    coupling_std: jax.Array
    coupling_mean: jax.Array
    leak: jax.Array
    thresholds: jax.Array
    noise: jax.Array | None
    nonlinearity: Nonlinearity
    input: AbstractInput

    def __init__(self, weights, slope, *, coupling_std=1.0, coupling_mean=0.0, leak=0.0,
                 thresholds=0.0, noise=None, nonlinearity="tanh", input=None):
        self.weights = _coupling(weights)
        self.slope = jnp.asarray(check_real("slope", slope, nonnegative=True))
        self.coupling_std = jnp.asarray(check_real("coupling_std", coupling_std, nonnegative=True))
        self.coupling_mean = jnp.asarray(check_real("coupling_mean", coupling_mean))
        self.leak = jnp.asarray(check_real("leak", leak, nonnegative=True, below=1.0))
        self.thresholds = jnp.broadcast_to(check_real("thresholds", thresholds), (self.n,))
        self.noise = _noise_or_none(noise)
        self.nonlinearity = (
            nonlinearity if isinstance(nonlinearity, Nonlinearity) else Nonlinearity(nonlinearity)
        )
        self.input = ConstantInput(0.0) if input is None else input
        if not isinstance(self.input, AbstractInput):
            raise ConfigError(f"input must be an AbstractInput, got {type(input).__name__}")

    @classmethod
    def random(cls, key, n: int, slope, *, threshold_mean=0.0, threshold_std=0.0,
               connectivity=None, **kwargs) -> "CessacNetwork":
        """Draw W (dense with self-coupling by default) and thresholds θ_i ~ N(θ̄, σ_θ²)."""
        check_real("n", n, positive=True, integer=True)
        check_real("threshold_std", threshold_std, nonnegative=True)
        connectivity = Connectivity(zero_diagonal=False) if connectivity is None else connectivity
        connectivity.check_size(n)
        key_w, key_theta = jax.random.split(key)
        weights = connectivity.sample(key_w, int(n))
        thresholds = threshold_mean + threshold_std * jax.random.normal(key_theta, (int(n),))
        return cls(weights, slope, thresholds=thresholds, **kwargs)

    @property
    def n(self) -> int:
        return self.weights.shape[0]

    def map(self, t, u, args):
        rates = self.nonlinearity(self.slope * u)
        recurrent = self.coupling_std * (as_operator(self.weights) @ rates)
        drive = self.coupling_mean * jnp.mean(rates) - self.thresholds + self.input(t)
        return self.leak * u + recurrent + drive

    def jvp(self, t, u, v, args):
        slopes = self.slope * self.nonlinearity.derivative(self.slope * u)
        scaled = slopes * v if v.ndim == 1 else slopes[:, None] * v
        recurrent = self.coupling_std * (as_operator(self.weights) @ scaled)
        return self.leak * v + recurrent + self.coupling_mean * jnp.mean(scaled, axis=0)

    def map_and_jvp(self, t, u, v, args):
        """`(F(u), DF(u) v)` with both coupling products as one (`product_and_tangent`)."""
        rates = self.nonlinearity(self.slope * u)
        slopes = self.slope * self.nonlinearity.derivative(self.slope * u)
        recurrent, tangent = as_operator(self.weights).product_and_tangent(rates, slopes, v)
        drive = self.coupling_mean * jnp.mean(rates) - self.thresholds + self.input(t)
        scaled = slopes * v if v.ndim == 1 else slopes[:, None] * v
        return (self.leak * u + self.coupling_std * recurrent + drive,
                self.leak * v + self.coupling_std * tangent
                + self.coupling_mean * jnp.mean(scaled, axis=0))
