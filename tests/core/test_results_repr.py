"""Results print their numbers: small arrays in full, large ones by shape and end values,
traced ones as equinox does."""

import equinox as eqx
import jax
import jax.numpy as jnp

from jaxchaos._core._results import result_repr


class Result(eqx.Module):
    scalar: jax.Array
    small: jax.Array
    large: jax.Array
    name: str = "x"

    __repr__ = result_repr


def test_repr_shows_values():
    text = repr(Result(jnp.float64(0.125), jnp.array([1.0, 2.5]), jnp.arange(100.0)))
    assert text.startswith("Result(scalar=0.125, small=[1. , 2.5], large=float64[100][0, 1, ...")
    assert "99]" in text and "name='x'" in text


def test_repr_under_jit_falls_back():
    @jax.jit
    def f(x):
        assert "f64[]" in repr(Result(x, x[None], x[None]))
        return x

    f(jnp.float64(1.0))


def test_every_result_class_prints_its_numbers():
    """Issue 20 item 7: every public result class prints with `result_repr`, and a simulation
    prints its records' values (a dict of arrays, the state with its PRNG key) with no `f64[`."""
    import numpy as np

    import jaxchaos as jc

    for cls in (jc.Simulation, jc.SimState, jc.LyapunovSpectrum, jc.CovariantLyapunovVectors,
                jc.SpikingSpectrum, jc.SpikeRun, jc.BinaryTrajectory, jc.ManifoldGeometry,
                jc.FixedPoint, jc.ResponseKernel, jc.SCSMeanField, jc.NearOnset,
                jc.DiscreteMeanField, jc.DeepMeanField, jc.CurveMeanField, jc.CessacMeanField,
                jc.SamplingMeanField):
        assert cls.__repr__ is result_repr, cls.__name__
    net = jc.SCSNetwork.random(jax.random.key(0), 3, 1.5, noise=0.1)
    sim = jc.simulate(net, t1=1.0, dt=0.5, key=jax.random.key(1), solver="euler",
                      recorders={"x": jc.Trajectory(), "m": jc.Moments()})
    text = repr(sim)
    assert "f64[" not in text and "f32[" not in text, text
    assert text.startswith("Simulation(state=SimState(...), records={'x': [[")
    assert f"{float(sim.records['m']['count']):.10g}" in text
    state = repr(sim.state)
    assert "key[]" in state and np.array2string(np.asarray(sim.state.x), precision=6,
                                                separator=", ") in state
