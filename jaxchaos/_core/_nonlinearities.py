"""Single-neuron transfer functions φ and their derivatives φ', by name.

| name             | φ(x)                              | note                                    |
|------------------|-----------------------------------|-----------------------------------------|
| `tanh`           | tanh(x)                           | SCS 1988 default; φ'(0) = 1             |
| `erf`            | erf(√π x / 2)                     | slope 1 at 0, like tanh; closed-form    |
|                  |                                   | Gaussian kernels (jaxchaos's convention)|
| `erf_standard`   | erf(x)                            | the literature's erf (Poole et al. 2016,|
|                  |                                   | neural-tangents): φ'(0) = 2/√π          |
| `rectified_tanh` | max(0, tanh(x))                   | non-negative rates                      |
| `shifted_tanh`   | tanh(x + s) - tanh(s)             | φ(0) = 0 kept, φ'(0) = 1 - tanh²(s)     |
| `relu`           | max(0, x)                         | unbounded: large gains may diverge      |
| `gaussian_cdf`   | Φ(x) = ∫_{-∞}^x e^{-z²/2}dz/√(2π) | Cessac's sigmoid (seed 001): rates in   |
|                  |                                   | (0, 1), φ(0) = 1/2, φ'(0) = 1/√(2π)     |
"""

import math

import equinox as eqx
import jax.numpy as jnp
from jax.scipy.special import erf, erfc

from ._errors import ConfigError, check_choice, check_real

NONLINEARITIES = ("tanh", "erf", "erf_standard", "rectified_tanh", "shifted_tanh", "relu",
                  "gaussian_cdf")


def sech2(x):
    """tanh'(x) = sech²(x) = 4e^{-2|x|}/(1 + e^{-2|x|})². Unlike 1 - tanh²(x), which rounds to 0
    once |x| ≳ 9 in float32 (≳ 19 in float64), it stays nonzero up to |x| ≈ 44 (355), and it
    has no overflow anywhere, nor has its derivative: a saturated unit keeps its small slope, so
    step Jacobians stay nonsingular and their QRs keep a finite derivative."""
    decay = jnp.exp(-2 * jnp.abs(x))
    return 4 * decay / (1 + decay) ** 2


class Nonlinearity(eqx.Module):
    """A transfer function φ with its analytic derivative φ' (used by the analytic JVPs)."""

    name: str = eqx.field(static=True)
    shift: float = 0.0

    def __init__(self, name: str = "tanh", shift: float = 0.0):
        self.name = check_choice("nonlinearity", name, NONLINEARITIES)
        self.shift = check_real("nonlinearity shift", shift)
        if name != "shifted_tanh" and isinstance(shift, (int, float)) and shift != 0.0:
            raise ConfigError(f"nonlinearity shift is only used by 'shifted_tanh', not {name!r}")

    def __call__(self, x):
        if self.name == "tanh":
            return jnp.tanh(x)
        if self.name == "erf":
            return erf(0.5 * math.sqrt(math.pi) * x)
        if self.name == "erf_standard":
            return erf(x)
        if self.name == "rectified_tanh":
            return jnp.maximum(jnp.tanh(x), 0.0)
        if self.name == "shifted_tanh":
            return jnp.tanh(x + self.shift) - jnp.tanh(self.shift)
        if self.name == "gaussian_cdf":
            return 0.5 * erfc(-x / math.sqrt(2.0))  # erfc: no cancellation in the lower tail
        return jnp.maximum(x, 0.0)

    def derivative(self, x):
        """φ'(x); at the kinks of `rectified_tanh` and `relu` the right derivative (0) is used."""
        if self.name == "tanh":
            return sech2(x)
        if self.name == "erf":
            return jnp.exp(-math.pi * x**2 / 4)
        if self.name == "erf_standard":
            return (2 / math.sqrt(math.pi)) * jnp.exp(-(x**2))
        if self.name == "rectified_tanh":
            return jnp.where(x > 0, sech2(x), 0.0)
        if self.name == "shifted_tanh":
            return sech2(x + self.shift)
        if self.name == "gaussian_cdf":
            return jnp.exp(-0.5 * x**2) / math.sqrt(2 * math.pi)
        return jnp.where(x > 0, 1.0, 0.0).astype(jnp.result_type(x))

    def antiderivative(self, x):
        """Φ(x) = ∫₀ˣ φ, so Φ(0) = 0 (the potential of the SCS mean-field theory uses it)."""
        if self.name in ("tanh", "rectified_tanh", "shifted_tanh"):
            y = x + self.shift if self.name == "shifted_tanh" else x
            log_cosh = jnp.abs(y) + jnp.log1p(jnp.exp(-2 * jnp.abs(y))) - math.log(2.0)
            if self.name == "tanh":
                return log_cosh
            if self.name == "rectified_tanh":
                return jnp.where(x > 0, log_cosh, 0.0)
            s = jnp.asarray(self.shift)
            log_cosh_s = jnp.abs(s) + jnp.log1p(jnp.exp(-2 * jnp.abs(s))) - math.log(2.0)
            return log_cosh - log_cosh_s - jnp.tanh(s) * x
        if self.name == "erf":
            a = 0.5 * math.sqrt(math.pi)
            return x * erf(a * x) + (2 / math.pi) * jnp.expm1(-(a * x) ** 2)
        if self.name == "gaussian_cdf":
            return x * self(x) + (jnp.exp(-0.5 * x**2) - 1.0) / math.sqrt(2 * math.pi)
        if self.name == "erf_standard":
            return x * erf(x) + jnp.expm1(-(x**2)) / math.sqrt(math.pi)
        return 0.5 * jnp.maximum(x, 0.0) ** 2

    @property
    def max_derivative(self) -> float:
        """sup_x φ'(x) (1/√(2π) for `gaussian_cdf`, 2/√π for `erf_standard`, 1 for the others),
        the Lipschitz constant of φ that contraction bounds use."""
        if self.name == "gaussian_cdf":
            return 1.0 / math.sqrt(2 * math.pi)
        return 2.0 / math.sqrt(math.pi) if self.name == "erf_standard" else 1.0
