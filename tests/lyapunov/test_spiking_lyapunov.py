"""Exact Lyapunov spectra of spiking networks: the single-spike Jacobian against a dense one built
here, the zero mode, the sum rule, stability of inhibitory LIF networks, tangent vs two-trajectory
λ_max."""

import equinox as eqx
import jax
import jax.numpy as jnp
import numpy as np
import pytest

import jaxchaos as jc
from jaxchaos._core._errors import ConfigError
from jaxchaos._models._spiking import initial_state


def test_single_spike_jacobian_against_dense_product():
    """Without any QR: the frame carried by `spike_step` over 40 spikes equals the product of
    dense single-spike Jacobians built here (D = I; for each target i: D_ii = g', D_ij* = 1 − g',
    g' by autodiff of the transition curve), maps the all-ones vector to itself, and its
    log-determinant equals Σ ln g' (the sum rule). Tolerances: round-off of 40 products."""
    net = jc.SpikingNetwork.random(0, 30, 6, neuron=jc.RapidThetaNeuron(rapidness=4.0),
                                   coupling=1.0, rate=0.1)
    state = initial_state(net, jc.random_phases(jax.random.key(0), net))
    frame = jnp.eye(30)
    dense = np.eye(30)
    total_log_dg = 0.0
    dg_of = jax.jit(jax.vmap(jax.grad(lambda p, c: net.neuron.transition(p, c, net.drive)[0])))
    step_fn = eqx.filter_jit(jc.spike_step)
    for _ in range(40):
        phases_before = np.asarray(state.phases(net))
        state, frame, (time, j, active, log_dg) = step_fn(net, state, frame=frame)
        j = int(j)
        targets, kicks = (np.asarray(a) for a in net.connectivity.column(j))
        shift = net.neuron.threshold - phases_before[j]  # phases at the spike: φ + ω Δt
        step = np.eye(30)
        slopes = np.asarray(dg_of(jnp.asarray(phases_before[targets] + shift), jnp.asarray(kicks)))
        for i, d in zip(targets, slopes, strict=True):
            step[i, i], step[i, j] = d, 1.0 - d
        dense = step @ dense
        total_log_dg += float(log_dg)
        assert bool(active)
    np.testing.assert_allclose(np.asarray(frame), dense, atol=1e-12)
    np.testing.assert_allclose(dense @ np.ones(30), np.ones(30), atol=1e-13)
    sign, logdet = np.linalg.slogdet(dense)
    assert sign > 0 and logdet == pytest.approx(total_log_dg, abs=1e-10)


def test_full_spectrum_zero_mode_and_sum_rule():
    """A full spectrum (k = N) of a chaotic theta network holds one exponent at 0 to round-off
    (the time-shift direction is kept exactly), and Σλ equals the sum rule
    (1/T) Σ_spikes Σ_post ln g' accumulated without QR on the same trajectory (round-off)."""
    net = jc.SpikingNetwork.random(1, 40, 8, neuron="theta", coupling=1.0, rate=0.1)
    sp = jc.spiking_lyapunov_spectrum(net, key=jax.random.key(0), n_blocks=4, qrs_per_block=20)
    lam = np.asarray(sp.exponents)
    assert np.sum(np.abs(lam) < 1e-12) == 1
    assert np.all(np.diff(lam) <= 0)
    assert lam.sum() == pytest.approx(float(sp.sum_rule), rel=1e-10)
    assert lam[0] > 0 and sp.entropy() > 0 and 0 < sp.fraction_positive() < 1
    assert 0 < sp.dimension() < 40
    assert sp.entropy_bits_per_spike() == pytest.approx(
        sp.entropy() / (float(sp.spike_rate) * np.log(2)))
    np.testing.assert_allclose(sp.per_spike * sp.spike_rate, sp.exponents)
    # without the zero-mode column the time-shift exponent is only O(1/T) from 0
    free = jc.spiking_lyapunov_spectrum(net, key=jax.random.key(0), n_blocks=4,
                                        qrs_per_block=20, zero_mode=False)
    assert np.asarray(free.exponents).sum() == pytest.approx(float(free.sum_rule), rel=1e-10)


def test_inhibitory_lif_network_is_not_chaotic():
    """δ-pulse inhibitory LIF networks are stable: g' = (I − V)/(I − V − c) < 1 for c < 0, and
    every exponent but the zero mode is negative (by more than 5 standard errors). The network
    is chosen so that every neuron fires: neurons that inhibition silences entirely leave free
    oscillators behind, each a neutral direction of its own."""
    net = jc.SpikingNetwork.random(2, 100, 20, neuron="lif", coupling=1.0, rate=0.3)
    sp = jc.spiking_lyapunov_spectrum(net, key=jax.random.key(1), k=10, n_blocks=5,
                                      qrs_per_block=20)
    lam, err = np.asarray(sp.exponents), np.asarray(sp.stderr)
    assert abs(lam[0]) < 1e-12
    assert np.all(lam[1:] < -5 * err[1:]) and lam[1] < 0
    # the leading covariant vector of a stable network is the time shift: spread evenly
    np.testing.assert_allclose(np.asarray(sp.participation)[-10:], 1.0, atol=1e-9)
    assert abs(float(sp.covariant_growth)) < 1e-6


def test_local_exponents_and_leading_covariant_vector():
    """k = 2 with the zero mode on a chaotic theta network, over ~750 τ (≫ 37/λ_max, after
    which round-off in the time-shift column would have grown to O(1) without its reset):
    - the zero mode stays exact (|λ_2| at round-off);
    - the local exponents of the leading column, weighted by their intervals, average to λ_max
      exactly (round-off), and their intervals tile the accumulation time;
    - the carried covariant vector grows at λ_max (its norm and the Gram–Schmidt column's differ
      by a bounded factor, so the rates differ by O(1/T) ≪ the standard error) and lies in the
      span of the frame (ones and the leading column: the leading covariant vector is in the
      leading backward subspace; residual after the forward transient ~1e-13);
    - both participation ratios lie in [1/N, 1]."""
    net = jc.SpikingNetwork.random(3, 60, 10, neuron="theta", coupling=1.0, rate=0.1)
    sp = jc.spiking_lyapunov_spectrum(net, key=jax.random.key(2), k=2, n_blocks=10,
                                      qrs_per_block=20, qr_every=20)
    lam = np.asarray(sp.exponents)
    assert lam[0] > 0.1 and abs(lam[1]) < 1e-12
    times, local = np.asarray(sp.local_times), np.asarray(sp.local_exponents)
    assert times.shape == local.shape == (200,)
    assert times[-1] == pytest.approx(float(np.sum(sp.block_times)), rel=1e-12)
    intervals = np.diff(np.concatenate([[0.0], times]))
    assert np.all(intervals > 0)
    assert np.sum(local * intervals) / times[-1] == pytest.approx(lam[0], rel=1e-10)
    assert np.std(local) > 0.1 * lam[0]  # finite-time exponents fluctuate
    assert abs(float(sp.covariant_growth) - lam[0]) < float(sp.stderr[0])
    v, q = np.asarray(sp.covariant_vector), np.asarray(sp.frame)
    assert np.linalg.norm(v) == pytest.approx(1.0)
    assert np.linalg.norm(v - q @ (q.T @ v)) < 1e-8
    for pr in (np.asarray(sp.participation), np.asarray(sp.backward_participation)):
        assert pr.shape == (200,) and np.all((pr >= 1 / 60) & (pr <= 1 + 1e-12))


def test_tangent_largest_exponent_equals_two_trajectories():
    """λ_max of the tangent dynamics equals the two-trajectory estimate (phase differences on
    the circle at equal times, mean removed) within 3 combined standard errors."""
    net = jc.SpikingNetwork.random(3, 60, 10, neuron="theta", coupling=1.0, rate=0.1)
    sp = jc.spiking_lyapunov_spectrum(net, key=jax.random.key(2), k=3, n_blocks=10,
                                      qrs_per_block=20, qr_every=20)
    lam, err = float(sp.exponents[0]), float(sp.stderr[0])
    two, two_err = jc.spiking_two_trajectory_exponent(net, key=jax.random.key(3), n_renorms=150)
    assert lam > 0.05
    assert abs(lam - two) < 3 * np.hypot(err, two_err)


def test_spectrum_bad_input():
    net = jc.SpikingNetwork.random(0, 20, 4, coupling=1.0, rate=0.1)
    with pytest.raises(ConfigError, match="k = 21"):
        jc.spiking_lyapunov_spectrum(net, key=jax.random.key(0), k=21)
    with pytest.raises(ConfigError, match="qr_every"):
        jc.spiking_lyapunov_spectrum(net, key=jax.random.key(0), qr_every=0)
