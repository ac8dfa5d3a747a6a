"""The dynamical-system abstraction every jaxchaos tool plugs into.

Two kinds of system, both immutable equinox modules whose parameters are their (array) fields:

- `AbstractFlow`: continuous time, `dx = f(t, x, args) dt + σ dW` (σ = `noise`, additive and
  independent per coordinate; `noise=None` is an ODE). Integrated by diffrax.
- `AbstractMap`: discrete time, `x_{n+1} = F(n, x_n, args) + σ B_n`, B_n ~ N(0, I). Iterated by
  `lax.scan`.

Each has `n` (the state dimension) and `jvp(t, x, v, args)`, the Jacobian-vector product of the
deterministic part, `Df(x) v`, for a tangent vector v of shape (n,) or a frame of shape (n, k).
The default is `jax.jvp` of the vector field/map; models override it with an analytic form
that never builds the n×n Jacobian. `vector_field_and_jvp` (flows) and `map_and_jvp` (maps)
return the step and the JVP together; a model may override them to share work between the two
(the SCS network does both coupling products as one matrix product).
"""

import abc

import equinox as eqx
import jax
import jax.numpy as jnp


def _jvp_columns(fn, x, v):
    """Df(x) v by forward-mode AD, for a single tangent (n,) or a frame (n, k)."""
    if v.ndim == 1:
        return jax.jvp(fn, (x,), (v,))[1]
    return jax.vmap(lambda col: jax.jvp(fn, (x,), (col,))[1], in_axes=1, out_axes=1)(v)


class AbstractFlow(eqx.Module):
    """Continuous-time system `dx = f(t, x, args) dt + noise · dW`."""

    @property
    @abc.abstractmethod
    def n(self) -> int:
        """State dimension."""

    # σ of the additive white noise; None: an ODE. A class default, so a deterministic system
    # need not declare it; a noisy one declares the field `noise`.
    noise = None

    @abc.abstractmethod
    def vector_field(self, t, x, args):
        """f(t, x, args)."""

    def jvp(self, t, x, v, args):
        """Df(t, x) v for v of shape (n,) or (n, k)."""
        return _jvp_columns(lambda y: self.vector_field(t, y, args), x, v)

    def vector_field_and_jvp(self, t, x, v, args):
        """`(f(t, x), Df(t, x) v)`: the same values as `vector_field` and `jvp`."""
        return self.vector_field(t, x, args), self.jvp(t, x, v, args)

    def initial_state(self, key):
        """A random initial state, x_i ~ N(0, 1)."""
        return jax.random.normal(key, (self.n,))


class AbstractMap(eqx.Module):
    """Discrete-time system `x_{n+1} = F(n, x_n, args) + noise · B_n`."""

    @property
    @abc.abstractmethod
    def n(self) -> int:
        """State dimension."""

    # σ of the Gaussian kick per step; None: none (a class default, as for flows).
    noise = None

    @abc.abstractmethod
    def map(self, t, x, args):
        """F(t, x, args); t is the step index n."""

    def jvp(self, t, x, v, args):
        """DF(t, x) v for v of shape (n,) or (n, k)."""
        return _jvp_columns(lambda y: self.map(t, y, args), x, v)

    def map_and_jvp(self, t, x, v, args):
        """`(F(t, x), DF(t, x) v)`: the same values as `map` and `jvp`."""
        return self.map(t, x, args), self.jvp(t, x, v, args)

    def initial_state(self, key):
        """A random initial state, x_i ~ N(0, 1)."""
        return jax.random.normal(key, (self.n,))


def scalar_parameters(system: eqx.Module) -> dict:
    """The scalar array fields of a system (gain, noise, ...), for error messages and records."""
    out = {}
    for name, value in vars(system).items():
        if isinstance(value, eqx.Module):
            out.update({f"{name}.{k}": v for k, v in scalar_parameters(value).items()})
        elif isinstance(value, (float, int, jax.Array)) and jnp.ndim(value) == 0:
            out[name] = value
    return out
