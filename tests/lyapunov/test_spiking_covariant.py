"""Covariant Lyapunov vectors of spiking networks (Ginelli's method on the exact single-spike
Jacobian): the first vector against the leading covariant vector that `spiking_lyapunov_spectrum`
carries, forward exponents against the spectrum and backward growth rates against forward
exponents, the time-shift (all-ones) vector in a full set, covariance under the exact
single-spike Jacobians, and bad input."""

import equinox as eqx
import jax
import numpy as np
import pytest

import jaxchaos as jc
from jaxchaos._core._errors import ConfigError
from jaxchaos._models._spiking import recenter

THETA = {"qr_every": 20, "n_snapshots": 10, "qrs_per_snapshot": 20}


@pytest.fixture(scope="module")
def theta_network():
    return jc.SpikingNetwork.random(3, 60, 10, neuron="theta", coupling=1.0, rate=0.1)


@pytest.fixture(scope="module")
def theta_vectors(theta_network):
    return jc.spiking_covariant_lyapunov_vectors(theta_network, key=jax.random.key(2), k=12,
                                                 backward_warmup_qrs=100, **THETA)


@pytest.fixture(scope="module")
def full_set():
    """All N = 30 vectors of a chaotic rapid theta network (r = 5, J0 = 2) chosen for its
    gaps around the zero exponent (≈ 0.010 per spike on both sides, from a 2000-interval
    spectrum), QR every 3 spikes (≈ 1 τ), 3000 intervals of frame and backward warm-up, three
    snapshots 2 intervals apart."""
    net = jc.SpikingNetwork.random(1, 30, 6, neuron=jc.RapidThetaNeuron(rapidness=5.0),
                                   coupling=2.0, rate=0.1)
    clv = jc.spiking_covariant_lyapunov_vectors(net, key=jax.random.key(2), qr_every=3,
                                                frame_warmup_qrs=3000, n_snapshots=3,
                                                qrs_per_snapshot=2, backward_warmup_qrs=3000)
    return net, clv


def test_first_vector_is_the_carried_leading_vector(theta_network, theta_vectors):
    """Same network, key, QR interval and warm-ups: the two runs follow the same trajectory
    (the same event code, re-centred at the same spikes), so the first covariant vector at the
    end of the window equals the vector `spiking_lyapunov_spectrum` carries forward (from a
    different random start; both converge like e^{-(λ1-λ2) t} over ~950 τ: measured 7e-14)
    up to sign; the frames start equal without the zero-mode column, so the forward exponents
    equal the spectrum's to round-off."""
    sp = jc.spiking_lyapunov_spectrum(theta_network, key=jax.random.key(2), k=12, n_blocks=10,
                                      qrs_per_block=20, qr_every=20, zero_mode=False)
    assert float(theta_vectors.times[-1]) == pytest.approx(float(np.sum(sp.block_times)),
                                                           rel=1e-14)
    v, w = np.asarray(sp.covariant_vector), np.asarray(theta_vectors.vectors[-1, :, 0])
    assert np.linalg.norm(v - (v @ w) * w) < 1e-10
    np.testing.assert_allclose(theta_vectors.exponents, sp.exponents, rtol=0, atol=1e-12)
    np.testing.assert_allclose(theta_vectors.stderr, sp.stderr, rtol=1e-8)
    assert float(theta_vectors.spike_rate) == pytest.approx(float(sp.spike_rate), rel=1e-12)
    # the first column of C is e_1 whatever the start: no backward convergence needed
    np.testing.assert_array_less(np.asarray(theta_vectors.convergence[:, 0]), 1e-14)
    pr = np.asarray(theta_vectors.participation)
    assert pr.shape == (10, 12) and np.all((pr >= 1 / 60) & (pr <= 1 + 1e-12))
    assert pr[-1, 0] == pytest.approx(float(jc.participation_ratio(v, axis=0)), rel=1e-8)


def test_backward_growth_rates_equal_forward_exponents(theta_vectors):
    """−(1/T) Σ ln(column norms of C) over the window equals (1/T) Σ ln|R_ii|: both are
    finite-time rates over the same ~750 τ, differing by O(1/T) boundary terms (the log of
    the ratio of a vector's norm in the two bases at the window's ends). Measured at most 0.64
    standard errors of the block (snapshot-interval) estimates; asserted < 1.5."""
    lam, back = np.asarray(theta_vectors.exponents), np.asarray(theta_vectors.backward_exponents)
    err = np.asarray(theta_vectors.stderr)
    assert np.all(np.diff(lam) <= 0.01) and lam[0] > 0.1
    np.testing.assert_array_less(np.abs(back - lam), 1.5 * err)
    assert np.all(err > 0)


def test_full_set_holds_the_time_shift_exactly_once(full_set):
    """The all-ones vector (a shift of time) is mapped to itself by every single-spike Jacobian:
    it is the covariant vector of the zero exponent. With k = N exactly one vector at every
    snapshot is (1, …, 1)/√N: sine of the angle 8e-15 here (measured 8e-15–2e-13 for five
    of six keys; one key, with a slow stretch of trajectory, 4e-10); every other vector is
    more than 1e-3 away from it (covariant vectors need not be orthogonal: the neighbouring
    one leans towards the time shift, sine 8e-3 at its closest)."""
    net, clv = full_set
    v = np.asarray(clv.vectors)
    ones = np.ones(net.n) / np.sqrt(net.n)
    sines = np.linalg.norm(v - np.einsum("sni,n->si", v, ones)[:, None, :] * ones[:, None],
                           axis=1)
    best = np.argmin(sines, axis=1)
    assert np.all(best == best[0]) and 0 < best[0] < net.n - 1  # unstable vectors before it
    np.testing.assert_array_less(sines[np.arange(3), best], 1e-12)
    others = np.delete(sines, best[0], axis=1)
    assert np.min(others) > 1e-3


def test_vectors_are_covariant_under_the_single_spike_jacobians(full_set):
    """V_s carried by the exact single-spike Jacobians (no QR; `spike_step` on the stored state
    of snapshot s, re-centred every `qr_every` spikes like the forward pass) over the 6 spikes
    to snapshot s + 1 is parallel to V_{s+1}, column by column. Round-off only: a component
    along faster directions grows by at most e^{(λ1 − λN) Δt} ≈ e^{4} over the interval
    (measured sine 4e-14)."""
    net, clv = full_set
    step = eqx.filter_jit(jc.spike_step)
    for s in range(2):
        state = jax.tree_util.tree_map(lambda x, s=s: x[s], clv.states)
        v = clv.vectors[s]
        for _ in range(clv.qrs_per_snapshot):
            for _ in range(clv.qr_every):
                state, v, _ = step(net, state, frame=v)
            state = recenter(state)
        assert float(state.time) == pytest.approx(float(clv.states.time[s + 1]), rel=1e-14)
        v = np.asarray(v) / np.linalg.norm(np.asarray(v), axis=0)
        w = np.asarray(clv.vectors[s + 1])
        sines = np.linalg.norm(v - np.sum(v * w, axis=0) * w, axis=0)
        np.testing.assert_array_less(sines, 1e-10)
        # not parallel to a neighbour: the check can tell the vectors apart
        assert np.min(np.linalg.norm(v[:, 1:] - np.sum(v[:, 1:] * w[:, :-1], axis=0)
                                     * w[:, :-1], axis=0)) > 1e-3


def test_bad_input():
    net = jc.SpikingNetwork.random(0, 20, 4, coupling=1.0, rate=0.1)
    key = jax.random.key(0)
    with pytest.raises(ConfigError, match="k = 21"):
        jc.spiking_covariant_lyapunov_vectors(net, key=key, k=21)
    for name in ("qr_every", "n_snapshots", "qrs_per_snapshot"):
        with pytest.raises(ConfigError, match=name):
            jc.spiking_covariant_lyapunov_vectors(net, key=key, **{name: 0})
    for name in ("frame_warmup_qrs", "backward_warmup_qrs"):
        with pytest.raises(ConfigError, match=f"{name} = 0 is too short"):
            jc.spiking_covariant_lyapunov_vectors(net, key=key, **{name: 0})
    with pytest.raises(ConfigError, match="warmup_spikes"):
        jc.spiking_covariant_lyapunov_vectors(net, key=key, warmup_spikes=-1)
    with pytest.raises(ConfigError, match="search"):
        jc.spiking_covariant_lyapunov_vectors(net, key=key, search="heap")


def test_too_long_qr_interval_warns():
    """QR every 400 spikes (≈ 100 τ) lets the frame's directions separate far beyond 1/√eps
    (measured e^44): the warning names `qr_every`."""
    net = jc.SpikingNetwork.random(0, 40, 8, neuron=jc.RapidThetaNeuron(rapidness=10.0),
                                   coupling=1.0, rate=0.1)
    with pytest.warns(RuntimeWarning, match="shorten qr_every"):
        jc.spiking_covariant_lyapunov_vectors(net, key=jax.random.key(0), qr_every=400,
                                              frame_warmup_qrs=2, qrs_per_snapshot=2,
                                              backward_warmup_qrs=2)
