"""User-written systems: only `n` and the vector field (or map) are required; `noise` defaults to
None (deterministic) and a noisy system declares it as a field."""

import jax.numpy as jnp
import numpy as np

import jaxchaos as jc


class Decay(jc.AbstractFlow):
    rate: float = 0.5

    @property
    def n(self):
        return 2

    def vector_field(self, t, x, args):
        return -self.rate * x


class Halving(jc.AbstractMap):
    @property
    def n(self):
        return 2

    def map(self, t, x, args):
        return 0.5 * x


class NoisyDecay(Decay):
    noise: float = 0.3


def test_deterministic_systems_need_no_noise_field():
    """dx/dt = -x/2 from x0 = 1: x(4) = e^{-2} (RK4 at dt = 0.01: error ~1e-10); the map halves
    exactly."""
    assert Decay().noise is None and Halving().noise is None
    x = jc.simulate(Decay(), jnp.ones(2), t1=4.0, dt=0.01, solver="rk4",
                    record_every=4.0).records["trajectory"]
    np.testing.assert_allclose(x[-1], np.exp(-2.0), rtol=1e-9)
    x = jc.simulate(Halving(), jnp.ones(2), t1=3.0).records["trajectory"]
    np.testing.assert_array_equal(x[-1], [0.125, 0.125])


def test_a_noisy_system_declares_noise():
    assert NoisyDecay().noise == 0.3 and NoisyDecay(noise=0.1).noise == 0.1
