"""Signal transmission through a chaotic Cessac network, effective connectivity, and a
resonance of the susceptibility absent from the power spectrum (seed 001;
`jaxchaos._response`).

Three figures (in --out, default results/signal_transmission/; `save_key_figure` copies in
docs/figures/):

`am_transmission.png`: a weak carrier f₀ modulated by a slow f_M,
    ξ_j(s) = ε cos(2πf_M s) sin(2πf₀s) on the 10 source neurons j ∈ S of a chaotic network
    (N = 100, γ = 0.5, g = 2, σ_θ = 0.3, noise σ = 0.3: the network of `linear_response.py`),
    for two carriers. Linear response predicts
    the ensemble-mean sidebands of every neuron i at f = f₀ ± f_M,
        A_i(f) = (ε/2)(−i) e^{−2πif} χ_iS(f),   χ_iS(f) = Σ_t Σ_{j∈S} R_ij(t) e^{−2πift},
    with χ from the tangent kernel summed to lag 10 (its tail beyond is within its error,
    which grows as e^{λt}; numbers.json compares truncations 5..25): (a) the demodulated
    envelope of one receiving neuron against ε|χ_iS(f₀)| cos(2πf_M n); (b) measured
    (`lock_in`) against predicted |A_i| for every neuron and both carriers; (c) |χ_iS(f₀)| of
    the receivers at the two carriers: which neurons transmit depends on the carrier.

`effective_connectivity.png`: a sparse network (N = 100, K = 5 inputs per neuron, no
    self-coupling) at three gains: (a) R_ij(1) against J_ij⟨gφ'(gu_j)⟩ (exact identity);
    (b) R_ij(t), t = 2..4, against the path sum of the mean-field kernel ⟨DF⟩^t, for
    connected and unconnected pairs; (c) the share of the off-diagonal response on pairs with
    J_ij = 0 along t; (d) |Σ_{t=1}^{T} R(t)| (the effective connectivity) next to |J|.

`chi_resonance.png`: the route-to-chaos network of `linear_response.py` (N = 300, γ = 0.2,
    θ_i ~ N(0.1, 0.5²)) just past the onset of chaos: |χ_ii(f)| against the power spectrum.

`chaotic_resonance.png`: the chaotic regime (λ_max > 0): a small network (N = 16, γ = 0,
    g = 2.6, found by the scans in `experiments/resonance_scan/`) whose mean Jacobian ⟨DF⟩ has a
    stable complex pair 0.82 e^{±2πi·0.42}: |χ_i3(f)| (noise estimator with a weak probe noise,
    standard errors from independent batches) against S_ii(f) without and with that noise,
    and the eigenvalues of ⟨DF⟩. `check_chaotic_resonance` stops the script if the data
    contradict what the README says of them — including that S is not free of the resonance.

Also writes `numbers.json`.

    .venv/bin/python experiments/signal_transmission.py [--out DIR] [--quick]
"""

import argparse
import json
import time
from pathlib import Path

import matplotlib

matplotlib.use("Agg")
import jax  # noqa: E402
import jax.numpy as jnp  # noqa: E402
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
from _figures import save_key_figure  # noqa: E402

import jaxchaos as jc  # noqa: E402

jax.config.update("jax_enable_x64", True)


@jax.jit
def _chunk(net, keys, x, start, steps):
    """Advance the (M, N) states by `steps` noisy steps from step `start`, trajectory m with
    kicks from fold_in(keys[m], step); the states after each step."""
    def noisy(key, n, y):
        kick = jax.random.normal(jax.random.fold_in(key, n), y.shape, y.dtype)
        return net.map(n, y, None) + net.noise * kick

    def one(x, n):
        x = jax.vmap(lambda k, y: noisy(k, n, y))(keys, x)
        return x, x

    return jax.lax.scan(one, x, start + jnp.arange(steps.shape[0]))


def drive_and_lock_in(net, keys, x, start, n_chunks, chunk, freqs, neuron):
    """Run the driven ensemble `n_chunks * chunk` steps from `start` (states x after step
    start); per-trajectory lock-in amplitudes (M, F, N) averaged over the chunks, and the
    ensemble mean of one neuron along the run."""
    amps, series = 0.0, []
    for c in range(n_chunks):
        s0 = start + c * chunk
        x, xs = _chunk(net, keys, x, s0, jnp.zeros(chunk))
        xs = np.asarray(xs)                               # (chunk, M, N): steps s0+1..s0+chunk
        amps = amps + np.stack([jc.lock_in(xs, f, start=s0 + 1) for f in freqs], axis=1)
        series.append(xs[:, :, neuron].mean(axis=1))
    return amps / n_chunks, np.concatenate(series)


def am_transmission(quick):
    n, eps, fm, truncation = 100, 0.1, 1 / 400, 10
    carriers = (0.1, 0.3)
    m, n_chunks, chunk = (32, 8, 1000) if quick else (64, 16, 1000)
    sources = np.arange(10)
    mask = np.zeros(n)
    mask[sources] = 1.0
    base = jc.CessacNetwork.random(jax.random.key(0), n, 2.0, leak=0.5, threshold_std=0.3,
                                   noise=0.3)
    lyap = jc.lyapunov_spectrum(base, k=1, t_ons=5.0, t_warmup=1000.0, t_frame_warmup=200.0,
                                t_sim=4000.0, n_blocks=10, key=jax.random.key(1))
    kernel = jc.tangent_response(base, jax.random.key(2), n_lags=25, n_trajectories=1024,
                                 t_warmup=500, directions=mask)
    x0 = jc.stationary_states(base, jax.random.key(3), n_trajectories=m, t_warmup=500)
    keys = jax.random.split(jax.random.key(8), m)
    out = {"lambda_max": float(lyap.exponents[0]), "kernel": kernel, "carriers": {},
           "kernel last lag max |R|, max s.e.": [float(jnp.abs(kernel.kernel[-1]).max()),
                                                 float(kernel.stderr[-1].max())]}
    receivers = np.setdiff1d(np.arange(n), sources)
    for f0 in carriers:
        side = np.array([f0 + fm, f0 - fm])
        freqs = np.concatenate([side, [f0]])
        chi = np.asarray(jc.susceptibility(kernel.kernel[:truncation + 1], freqs)[1])[..., 0]
        best = receivers[np.argmax(np.abs(chi[2, receivers]))]
        measured = {}
        for e in (eps, eps / 2) if f0 == carriers[0] else (eps,):
            drive = jc.FunctionInput(lambda t, f0=f0, e=e: e * jnp.asarray(mask)
                                     * jnp.cos(2 * jnp.pi * fm * t)
                                     * jnp.sin(2 * jnp.pi * f0 * t))
            net = jc.CessacNetwork(base.weights, base.slope, leak=base.leak,
                                   thresholds=base.thresholds, noise=base.noise, input=drive)
            amps, series = drive_and_lock_in(net, keys, x0, 500, n_chunks, chunk, side, best)
            measured[e] = (amps.mean(0), amps.std(0) / np.sqrt(m - 1), series)
        mean, stderr, series = measured[eps]

        def predicted(t_max, e=eps, side=side):
            c = np.asarray(jc.susceptibility(kernel.kernel[:t_max + 1], side)[1])[..., 0]
            return e / 2 * (-1j) * np.exp(-2j * np.pi * side)[:, None] * c   # (2, N)

        truncations = {t: predicted(t) for t in (5, 10, 15, 20, 25)}
        window = int(round(10 / f0))                          # ten carrier periods
        centres, env = jc.demodulate(series, f0, window=window, start=501)
        out["carriers"][f0] = dict(chi=chi, predicted=truncations[truncation], measured=mean,
                                   stderr=stderr, best=int(best), centres=centres, env=env,
                                   truncations=truncations, half=measured.get(eps / 2))
    return out, dict(n=n, eps=eps, fm=fm, m=m, steps=n_chunks * chunk, sources=sources,
                     receivers=receivers)


def effective_connectivity(quick):
    n, k, lags = 100, 5, 8
    gains = (1.0, 2.0, 4.0)
    m = 128 if quick else 512
    w = jc.Connectivity(kind="sparse", k=k).sample(jax.random.key(4), n)
    thresholds = 0.3 * jax.random.normal(jax.random.key(5), (n,))
    connected = np.asarray(w) != 0
    off = ~np.eye(n, dtype=bool)
    out = {}
    for g in gains:
        net = jc.CessacNetwork(w, g, leak=0.5, thresholds=thresholds)
        key = jax.random.key(6)
        r = jc.tangent_response(net, key, n_lags=lags, n_trajectories=m, t_warmup=500)
        states = jc.stationary_states(net, key, n_trajectories=m, t_warmup=500)
        slope = np.asarray(jnp.mean(g * net.nonlinearity.derivative(g * states), axis=0))
        direct = 0.5 * np.eye(n) + np.asarray(w) * slope[None, :]
        mf = np.asarray(jc.mean_field_kernel(net, states, n_lags=lags))
        lyap = jc.lyapunov_spectrum(net, k=1, t_ons=5.0, t_warmup=1000.0,
                                    t_frame_warmup=200.0, t_sim=4000.0, n_blocks=10,
                                    key=jax.random.key(7))
        kern, err = np.asarray(r.kernel), np.asarray(r.stderr)
        share = [float(np.abs(kern[t][off & ~connected]).sum() / np.abs(kern[t][off]).sum())
                 for t in range(1, lags + 1)]
        rel = [float(np.linalg.norm(kern[t] - mf[t]) / np.linalg.norm(kern[t]))
               for t in range(1, lags + 1)]
        noise = [float(np.linalg.norm(err[t]) / np.linalg.norm(kern[t]))
                 for t in range(1, lags + 1)]
        effective = kern[1:].sum(0)
        out[g] = dict(kernel=kern, stderr=err, mean_field=mf, direct=direct, share=share,
                      rel=rel, noise=noise, effective=effective,
                      lambda_max=float(lyap.exponents[0]),
                      r1_error=float(np.abs(kern[1] - direct).max()),
                      effective_share=float(np.abs(effective[off & ~connected]).sum()
                                            / np.abs(effective[off]).sum()))
    return out, dict(n=n, k=k, lags=lags, w=np.asarray(w), connected=connected, m=m)


def resonance(quick, g=2.4, lags=80):
    """|χ_ii(f)| (tangent kernel, lags 0..80) and S_ii(f) of 10 neurons of the route network."""
    n, neurons = 300, np.arange(10)
    net = jc.CessacNetwork.random(jax.random.key(7), n, g, leak=0.2, threshold_mean=0.1,
                                  threshold_std=0.5)
    d = jnp.eye(n)[:, neurons]
    freqs = np.linspace(0, 0.5, 201)
    chis = []
    for b in range(2 if quick else 6):   # independent batches: the spread of |χ| is its error
        r = jc.tangent_response(net, jax.random.key(100 + b), n_lags=lags, t_warmup=3000,
                                n_trajectories=32 if quick else 64, directions=d)
        kern = np.asarray(r.kernel[:, neurons, np.arange(10)])
        chis.append(np.abs(np.asarray(jc.susceptibility(kern, freqs)[1])))
    chis = np.array(chis)
    chi, chi_error = chis.mean(0), chis.std(0, ddof=1) / np.sqrt(len(chis))
    u = jc.simulate(net, t1=20000.0 if quick else 40000.0, key=jax.random.key(9),
                    recorders={"x": jc.Trajectory(neurons=tuple(int(i) for i in neurons))})
    sf, spec = jc.power_spectrum(np.asarray(u.records["x"])[3000:], segment=400)
    # |χ| of a neuron whose slope never leaves saturation is 1/|1 − γe^{-iω}| (max/min 1.5)
    return dict(g=g, freqs=freqs, chi=chi, chi_error=chi_error, sf=sf, spec=spec,
                active=np.flatnonzero(chi.max(0) / chi.min(0) > 1.6))


@jax.jit
def _free_run(net, x, steps):
    """The (M, N) states after each of `steps.shape[0]` noiseless steps of `net` from x."""
    def one(x, n):
        x = jax.vmap(lambda y: net.map(n, y, None))(x)
        return x, x

    return jax.lax.scan(one, x, jnp.arange(steps.shape[0]))[1]


def chaotic_resonance(quick, n=16, g=2.6, sigma=0.04, source=3, lags=120):
    """A resonance of χ in the chaotic regime that the power spectrum lacks.

    A small Cessac network (no leak, J_ij ~ N(0, 1/N), θ_i ~ N(0, 0.3²), gain g = 2.6), found by a
    scan of small networks (see the README): λ_max > 0, and its mean Jacobian ⟨DF⟩ has a complex
    pair 0.84 e^{±2πi·0.42} — a pole of the local-chaos kernel ⟨DF⟩^t. χ_i,source(f) comes from
    the noise estimator on the same network with weak noise σ (the probe: λ stays positive),
    in independent batches (their spread gives the standard errors); the spontaneous
    fluctuations' spectrum S_ii(f) from the noiseless network, and also with the noise σ."""
    w = np.random.default_rng(1000).normal(size=(n, n)) / np.sqrt(n)
    theta = 0.3 * np.random.default_rng(2000).normal(size=n)
    det = jc.CessacNetwork(jnp.asarray(w), g, thresholds=jnp.asarray(theta))
    noisy = jc.CessacNetwork(jnp.asarray(w), g, thresholds=jnp.asarray(theta), noise=sigma)
    t_sim = 3000.0 if quick else 20000.0
    lyap = {name: jc.lyapunov_spectrum(net, k=1, t_ons=5.0, t_warmup=1000.0,
                                       t_frame_warmup=200.0, t_sim=t_sim, n_blocks=10,
                                       key=jax.random.key(1))
            for name, net in (("noiseless", det), ("noisy", noisy))}
    freqs = np.linspace(0, 0.5, 201)
    batches, m, kicks = (5, 16, 5000) if quick else (8, 16, 20000)
    d = jnp.eye(n)[:, source]
    chis = []
    for b in range(batches):
        r = jc.noise_response(noisy, jax.random.key(20 + b), n_lags=lags, n_kicks=kicks,
                              n_trajectories=m, t_warmup=500, directions=d)
        chis.append(np.abs(np.asarray(jc.susceptibility(r.kernel[:, :, 0], freqs)[1])))
    chis = np.array(chis)
    states = jc.stationary_states(det, jax.random.key(4), n_trajectories=512, t_warmup=1000)
    jac = np.asarray(jc.mean_jacobian(det, states))
    mf = jc.mean_field_kernel(det, states, n_lags=lags, directions=d)
    chi_mf = np.abs(np.asarray(jc.susceptibility(mf[:, :, 0], freqs)[1]))
    steps = 6000 if quick else 40000
    x0 = jc.stationary_states(det, jax.random.key(5), n_trajectories=8, t_warmup=1000)
    spectra = {}
    sf, spec = jc.power_spectrum(np.asarray(_free_run(det, x0, jnp.zeros(steps))), segment=200)
    spectra["noiseless"] = spec.mean(axis=1)
    keys = jax.random.split(jax.random.key(6), 8)
    _, xs = _chunk(noisy, keys, x0, 0, jnp.zeros(steps))
    spectra["noisy"] = jc.power_spectrum(np.asarray(xs), segment=200)[1].mean(axis=1)
    return dict(n=n, g=g, sigma=sigma, source=source, lags=lags, freqs=freqs,
                chi=chis.mean(0), chi_error=chis.std(0, ddof=1) / np.sqrt(batches),
                batches=batches, trajectories=m, kicks=kicks, chi_mf=chi_mf,
                eig=np.linalg.eigvals(jac), sf=sf, spectra=spectra, steps=steps,
                lyap={k: (float(v.exponents[0]), float(v.stderr[0])) for k, v in lyap.items()})


def _local_peak(f, y, f0, width):
    """The largest value of y within ±width of f0, its frequency, and whether it is a local
    maximum of y (not the edge of a slope)."""
    near = np.flatnonzero(np.abs(f - f0) <= width)
    k = near[np.argmax(y[near])]
    return float(y[k]), float(f[k]), bool(0 < k < len(y) - 1 and y[k] >= y[k - 1]
                                          and y[k] >= y[k + 1])


def check_chaotic_resonance(cr, band=(0.35, 0.47), trough=0.28):
    """The numbers of the chaotic-regime comparison, and the checks of what the README says of
    them (SystemExit if the data contradict it):
    - the network is chaotic: λ_max > 5 standard errors, with and without the probe noise;
    - |χ_i,source(f)| has a resonance in `band` at the mean Jacobian's complex pair: for at least
      12 of the 16 neurons its maximum there stands ≥ 5 standard errors and ≥ 2× above its
      minimum on [trough, f_peak], within 0.02 of the pair's frequency;
    - the power spectrum is NOT free of it (the negative result): in at least 12 of 16 neurons
      the strongest line of the noiseless S_ii on [trough, band top] lies within 0.015 of the χ
      peak, and the noisy S_ii has a local maximum within 0.01 of it."""
    f, chi, err, sf = cr["freqs"], cr["chi"], cr["chi_error"], cr["sf"]
    eig = cr["eig"]
    pair = eig[np.argmin(np.abs(np.abs(np.angle(eig)) / (2 * np.pi) - np.mean(band))
                         + 10 * (np.abs(eig.imag) < 1e-12))]
    f_pair = float(abs(np.angle(pair)) / (2 * np.pi))
    inside = np.flatnonzero((f >= band[0]) & (f <= band[1]))
    rows, ok_chi, ok_line, ok_noisy, ok_strongest = {}, 0, 0, 0, 0
    for i in range(cr["n"]):
        kp = inside[np.argmax(chi[inside, i])]
        below = np.flatnonzero((f >= trough) & (f <= f[kp]))
        kl = below[np.argmin(chi[below, i])]
        z = (chi[kp, i] - chi[kl, i]) / np.hypot(err[kp, i], err[kl, i])
        s0, sn = cr["spectra"]["noiseless"][:, i], cr["spectra"]["noisy"][:, i]
        line, f_line, is_peak = _local_peak(sf, s0, f[kp], 0.01)
        noisy_peak = _local_peak(sf, sn, f[kp], 0.01)[2]
        wide = np.flatnonzero((sf >= trough) & (sf <= band[1]))
        strongest = float(sf[wide[np.argmax(s0[wide])]])
        good = z >= 5 and chi[kp, i] / chi[kl, i] >= 2 and abs(f[kp] - f_pair) <= 0.02
        ok_chi += good
        ok_line += is_peak
        ok_noisy += noisy_peak
        ok_strongest += abs(strongest - f[kp]) <= 0.015
        rows[f"neuron {i}"] = {
            "chi peak f": float(f[kp]), "|chi| peak / trough": float(chi[kp, i] / chi[kl, i]),
            "(peak - trough)/s.e.": float(z), "trough f": float(f[kl]),
            "mean-field |chi| peak/trough": float(cr["chi_mf"][kp, i] / cr["chi_mf"][kl, i]),
            "noiseless S: line f, height/max S, is a local max": [f_line,
                                                                 line / float(s0.max()),
                                                                 is_peak],
            "noiseless S max at f": float(sf[np.argmax(s0)]),
            "noiseless S: strongest line in [trough f, band top] at f": strongest,
            "noisy S local max within 0.01": noisy_peak,
        }
    lam, lam_err = cr["lyap"]["noiseless"]
    lam_n, lam_n_err = cr["lyap"]["noisy"]
    out = {"N": cr["n"], "g": cr["g"], "leak": 0.0, "probe noise sigma": cr["sigma"],
           "source neuron": cr["source"], "lags": cr["lags"],
           "batches x trajectories x kicks": [cr["batches"], cr["trajectories"], cr["kicks"]],
           "lambda_max noiseless (per step), s.e.": [lam, lam_err],
           "lambda_max with the probe noise, s.e.": [lam_n, lam_n_err],
           "mean Jacobian pair |mu|, f": [float(abs(pair)), f_pair],
           "mean Jacobian spectral radius": float(np.abs(eig).max()),
           "neurons with a chi resonance at the pair (of 16)": int(ok_chi),
           "neurons whose noiseless S has a line within 0.01 of it": int(ok_line),
           "neurons whose noisy S has a local max within 0.01 of it": int(ok_noisy),
           f"neurons whose noiseless S peaks within 0.015 of it on [{trough}, {band[1]}]":
               int(ok_strongest),
           **rows}
    failures = []
    if lam < 5 * lam_err or lam_n < 5 * lam_n_err:
        failures.append(f"not clearly chaotic: lambda_max {lam:.4f} ± {lam_err:.4f}, "
                        f"noisy {lam_n:.4f} ± {lam_n_err:.4f}")
    if ok_chi < 12:
        failures.append(f"chi resonance at the mean-Jacobian pair in only {ok_chi} of 16 neurons")
    if ok_strongest < 12 or ok_noisy < 12:
        failures.append(f"the README says S has its strongest line in [{trough}, {band[1]}] at "
                        f"the chi peak (found in {ok_strongest} of 16 neurons) and, with the "
                        f"probe noise, a local maximum there ({ok_noisy} of 16)")
    if failures:
        raise SystemExit("chaotic_resonance: the data contradict the README: "
                         + "; ".join(failures))
    return out


def plot_chaotic_resonance(cr, numbers, out, note, shown=(3, 14)):
    f, chi, err, sf = cr["freqs"], cr["chi"], cr["chi_error"], cr["sf"]
    lam, lam_err = numbers["lambda_max noiseless (per step), s.e."]
    mu, f_pair = numbers["mean Jacobian pair |mu|, f"]
    fig, ax = plt.subplots(1, 3, figsize=(14, 4))
    for a, i in zip(ax[:2], shown, strict=True):
        top = chi[:, i].max()
        a.semilogy(f, chi[:, i] / top, label=f"|χ_{i},{cr['source']}(f)| (noise estimator)")
        a.fill_between(f, (chi[:, i] - 2 * err[:, i]) / top, (chi[:, i] + 2 * err[:, i]) / top,
                       alpha=0.3)
        a.semilogy(f, cr["chi_mf"][:, i] / cr["chi_mf"][:, i].max(), "C2", lw=0.8,
                   label="|χ| of ⟨DF⟩^t (mean field)")
        s0, sn = cr["spectra"]["noiseless"][:, i], cr["spectra"]["noisy"][:, i]
        a.semilogy(sf, s0 / s0.max(), "C1", lw=0.8, label="S_ii(f), no noise")
        a.semilogy(sf, sn / sn.max(), "C3", lw=0.8, ls="--", label=f"S_ii(f), σ = {cr['sigma']}")
        a.axvline(f_pair, color="0.5", lw=0.8)
        a.set(xlabel="f (cycles/step)", ylabel="scaled to max", ylim=(1e-5, 2),
              title=f"neuron {i}: λ_max = {lam:.3f} ± {lam_err:.3f} per step")
        a.legend(fontsize=6, loc="lower left")
    eig = cr["eig"]
    phi = np.linspace(0, 2 * np.pi, 200)
    ax[2].plot(np.cos(phi), np.sin(phi), "k:", lw=0.8)
    ax[2].plot(eig.real, eig.imag, "o", ms=4)
    ax[2].plot([0, 1.1 * np.cos(2 * np.pi * f_pair)], [0, 1.1 * np.sin(2 * np.pi * f_pair)],
               color="0.5", lw=0.8)
    ax[2].set(aspect="equal", xlabel="Re", ylabel="Im",
              title=f"(c) eigenvalues of ⟨DF⟩: pair {mu:.2f} e^(±2πi·{f_pair:.3f})")
    fig.tight_layout()
    fig.savefig(out / "chaotic_resonance.png", dpi=80)
    save_key_figure(fig, "chaotic_resonance", note)
    plt.close(fig)


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", default="results/signal_transmission")
    parser.add_argument("--quick", action="store_true")
    args = parser.parse_args()
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    start = time.time()
    numbers = {"quick": args.quick}
    note = f"experiments/signal_transmission.py{' --quick' if args.quick else ''}"

    am, p = am_transmission(args.quick)
    fig, ax = plt.subplots(1, 3, figsize=(14, 4))
    f0 = 0.1
    c = am["carriers"][f0]
    chi0 = c["chi"][2, c["best"]]
    phase = np.exp(1j * (np.angle(chi0) - np.pi / 2 - 2 * np.pi * f0))
    ax[0].plot(c["centres"], np.real(c["env"] / phase), lw=0.8,
               label=f"demodulated ⟨u_{c['best']}⟩ (M = {p['m']})")
    ax[0].plot(c["centres"], p["eps"] * abs(chi0) * np.cos(2 * np.pi * p["fm"] * c["centres"]),
               "k--", lw=1, label="ε|χ_iS(f₀)| cos(2πf_M n)")
    ax[0].set(xlabel="step n", ylabel="envelope", xlim=(c["centres"][0], c["centres"][0] + 1600),
              title=f"(a) neuron {c['best']}, carrier f₀ = {f0}, f_M = {p['fm']}")
    ax[0].legend(fontsize=7)
    numbers["am"] = {"N": p["n"], "epsilon": p["eps"], "f_M": p["fm"], "trajectories": p["m"],
                     "steps": p["steps"], "lambda_max (per step)": am["lambda_max"],
                     "kernel last lag max |R|, max s.e.": am["kernel last lag max |R|, max s.e."]}
    for (f0, c), col in zip(am["carriers"].items(), ["C0", "C3"], strict=True):
        rec = p["receivers"]
        pred = np.abs(c["predicted"][:, rec]).ravel()
        meas = np.abs(c["measured"][:, rec]).ravel()
        ax[1].errorbar(pred, meas, 2 * np.abs(c["stderr"][:, rec]).ravel(), fmt="o", ms=2,
                       color=col, lw=0.5, label=f"f₀ = {f0}")
        z = np.abs(c["measured"] - c["predicted"]) / np.abs(c["stderr"])
        fit = np.sum(meas * pred) / np.sum(pred**2)
        numbers["am"][f"carrier {f0}"] = {
            "receiver shown": c["best"],
            "|chi_iS(f0)| shown": float(abs(c["chi"][2, c["best"]])),
            "|A| predicted max, median over receivers": [float(pred.max()),
                                                         float(np.median(pred))],
            "complex |measured - predicted|/s.e.: median, 95th pct, max (all neurons)":
                np.percentile(z, [50, 95, 100]).tolist(),
            "least-squares slope measured/predicted (receivers)": float(fit),
            "s.e. of |A| median": float(np.median(np.abs(c["stderr"]))),
            "chi summed to lag T: T -> [median |z|, slope measured/predicted]": {
                t: [float(np.median(np.abs(c["measured"] - a) / np.abs(c["stderr"]))),
                    float(np.sum(meas * np.abs(a[:, rec]).ravel())
                          / np.sum(np.abs(a[:, rec]).ravel() ** 2))]
                for t, a in c["truncations"].items()},
        }
        if c["half"] is not None:   # linearity: the response to ε/2, doubled, against ε's
            half, half_err = c["half"][0], c["half"][1]
            numbers["am"][f"carrier {f0}"]["|A(eps) - 2 A(eps/2)|/s.e.: median, max"] = (
                np.percentile(np.abs(c["measured"] - 2 * half)
                              / np.hypot(c["stderr"], 2 * half_err), [50, 100]).tolist())
    top = max(np.abs(c["predicted"][:, p["receivers"]]).max() for c in am["carriers"].values())
    ax[1].plot([0, top], [0, top], "k:", lw=1)
    ax[1].set(xlabel="predicted |A_i(f₀ ± f_M)| = (ε/2)|χ_iS|", ylabel="measured (lock-in) ±2 s.e.",
              title="(b) sidebands at the 90 receivers")
    ax[1].legend(fontsize=8)
    (fa, ca), (fb, cb) = am["carriers"].items()
    xa, xb = np.abs(ca["chi"][2, p["receivers"]]), np.abs(cb["chi"][2, p["receivers"]])
    ax[2].plot(xa, xb, "o", ms=3)
    ax[2].set(xlabel=f"|χ_iS(f₀ = {fa})|", ylabel=f"|χ_iS(f₀ = {fb})|",
              title="(c) who transmits depends on the carrier")
    rank = np.corrcoef(np.argsort(np.argsort(xa)), np.argsort(np.argsort(xb)))[0, 1]
    top10 = len(set(np.argsort(-xa)[:10]) & set(np.argsort(-xb)[:10]))
    numbers["am"]["Spearman rank correlation of |chi_iS(f0)| between carriers"] = float(rank)
    numbers["am"]["common receivers among the 10 strongest at each carrier"] = top10
    fig.tight_layout()
    fig.savefig(out / "am_transmission.png", dpi=80)
    save_key_figure(fig, "am_transmission", note)
    plt.close(fig)

    ec, q = effective_connectivity(args.quick)
    fig, ax = plt.subplots(1, 4, figsize=(16, 4))
    gmax = max(ec)
    e = ec[gmax]
    off = ~np.eye(q["n"], dtype=bool)
    conn = q["connected"]
    ax[0].plot(e["direct"][off & conn], e["kernel"][1][off & conn], "o", ms=3)
    ax[0].set(xlabel="J_ij ⟨g φ'(g u_j)⟩", ylabel="R_ij(1) (tangent ensemble)",
              title=f"(a) t = 1: the synapses, g = {gmax}")
    for t, col in zip((2, 3, 4), ["C0", "C1", "C2"], strict=True):
        for sel, mk, lab in ((off & conn, "o", "connected"), (off & ~conn, "x", "J_ij = 0")):
            keep = sel & (np.abs(e["mean_field"][t]) > 1e-12)
            ax[1].plot(e["mean_field"][t][keep], e["kernel"][t][keep], mk, ms=3, color=col,
                       label=f"t = {t}, {lab}")
    lim = np.abs(e["mean_field"][2][off]).max()
    ax[1].plot([-lim, lim], [-lim, lim], "k:", lw=1)
    ax[1].set(xlabel="path sum ⟨DF⟩^t (mean field)", ylabel="R_ij(t) (tangent ensemble)",
              title="(b) t > 1: paths through other neurons")
    ax[1].legend(fontsize=6, ncol=2)
    for g, v in ec.items():
        ax[2].plot(np.arange(1, q["lags"] + 1), v["share"], "o-", ms=3,
                   label=f"g = {g} (λ_max = {v['lambda_max']:.2f})")
    ax[2].set(xlabel="lag t", ylabel="share of Σ|R_ij(t)|, i ≠ j, on J_ij = 0",
              title="(c) response off the synaptic graph")
    ax[2].legend(fontsize=8)
    sub = slice(0, 40)
    ax[3].imshow(np.abs(e["effective"][sub, sub]) * off[sub, sub], cmap="Greys")
    yy, xx = np.nonzero(conn[sub, sub])
    ax[3].plot(xx, yy, "s", mfc="none", mec="C3", ms=3, mew=0.6)
    ax[3].set(title=f"(d) |Σ_t R(t)| (grey), J_ij ≠ 0 (red); g = {gmax}",
              xlabel="j (presynaptic)", ylabel="i")
    fig.tight_layout()
    fig.savefig(out / "effective_connectivity.png", dpi=80)
    save_key_figure(fig, "effective_connectivity", note)
    plt.close(fig)
    numbers["effective"] = {"N": q["n"], "K": q["k"], "trajectories": q["m"]}
    for g, v in ec.items():
        numbers["effective"][f"g = {g}"] = {
            "lambda_max (per step)": v["lambda_max"],
            "max |R(1) - (gamma I + J diag<g phi'>)|": v["r1_error"],
            "share of off-diagonal |R(t)| on J_ij = 0, t = 1..": v["share"],
            "||R(t) - <DF>^t||/||R(t)||, t = 1..": v["rel"],
            "||s.e.(t)||/||R(t)||, t = 1..": v["noise"],
            "share of off-diagonal |sum_t R(t)| on J_ij = 0": v["effective_share"],
        }

    res = resonance(args.quick)
    high = res["freqs"] >= 0.15
    fig, ax = plt.subplots(1, len(res["active"]), figsize=(4.5 * len(res["active"]), 3.6),
                           squeeze=False)
    numbers["resonance"] = {"g": res["g"], "neurons with |chi| not flat (of 10)":
                            res["active"].tolist()}
    for a, i in zip(ax[0], res["active"], strict=True):
        chi, spec = res["chi"][:, i], res["spec"][:, i]
        peak = res["freqs"][high][np.argmax(chi[high])]
        below = np.flatnonzero((res["freqs"] >= 0.1) & (res["freqs"] <= peak))
        low = below[np.argmin(chi[below])]
        trough, top = chi[low], np.flatnonzero(res["freqs"] == peak)[0]
        level = np.interp(peak, res["sf"], spec) / spec.max()
        a.semilogy(res["freqs"], chi / chi.max(), label="|χ_ii(f)| (tangent)")
        a.fill_between(res["freqs"], (chi - 2 * res["chi_error"][:, i]) / chi.max(),
                       (chi + 2 * res["chi_error"][:, i]) / chi.max(), alpha=0.3)
        a.semilogy(res["sf"], np.maximum(spec / spec.max(), 1e-8), label="S_ii(f)")
        a.axvline(peak, color="0.5", lw=0.8)
        a.set(xlabel="f (cycles/step)", ylabel="scaled to max", ylim=(1e-6, 2),
              title=f"neuron {i}, g = {res['g']}")
        a.legend(fontsize=7)
        numbers["resonance"][f"neuron {i}"] = {
            "chi local max f in [0.15, 0.5]": float(peak),
            "chi(peak)/min chi on [0.1, peak]": float(chi[high].max() / trough),
            "chi(peak) - trough over their s.e. (6 batches of 64 trajectories)":
                float((chi[top] - trough) / np.hypot(res["chi_error"][top, i],
                                                     res["chi_error"][low, i])),
            "S(peak)/max S": float(level), "S peak f": float(res["sf"][np.argmax(spec)]),
        }
    fig.tight_layout()
    fig.savefig(out / "chi_resonance.png", dpi=80)
    save_key_figure(fig, "chi_resonance", note)
    plt.close(fig)

    section = time.time()
    cr = chaotic_resonance(args.quick)
    numbers["chaotic resonance"] = check_chaotic_resonance(cr)
    numbers["chaotic resonance"]["seconds"] = time.time() - section
    plot_chaotic_resonance(cr, numbers["chaotic resonance"], out, note)

    numbers["wall seconds"] = time.time() - start
    (out / "numbers.json").write_text(json.dumps(numbers, indent=2))
    print(json.dumps(numbers, indent=2))


if __name__ == "__main__":
    main()
