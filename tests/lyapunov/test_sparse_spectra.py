"""Sparse storage = dense storage with the same entries, through simulations and spectra: a
chaotic network (g = 2) amplifies the round-off of the different summation order by e^{λt}
(λ ≈ 0.2, t = 20: ×60), so trajectories agree to 1e-11 and exponents to 1e-10."""

import jax
import numpy as np

import jaxchaos as jc


def test_sparse_and_dense_agree(getkey):
    op = jc.Ensemble(k=20, storage="sparse").sample(getkey(), 120)
    sparse, dense = jc.SCSNetwork(op, 2.0), jc.SCSNetwork(op.to_dense(), 2.0)
    key = getkey()
    runs = [jc.simulate(net, t1=20.0, dt=0.05, record_every=1.0, solver="rk4", key=key)
            .records["trajectory"] for net in (sparse, dense)]
    np.testing.assert_allclose(runs[0], runs[1], rtol=0, atol=1e-11)
    spectra = [jc.lyapunov_spectrum(net, k=4, dt=0.1, solver="rk4", t_warmup=20.0,
                                    t_frame_warmup=10.0, t_sim=40.0, n_blocks=4,
                                    key=jax.random.key(5)).exponents for net in (sparse, dense)]
    np.testing.assert_allclose(spectra[0], spectra[1], rtol=0, atol=1e-10)
