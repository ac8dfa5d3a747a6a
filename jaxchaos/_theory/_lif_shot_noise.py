"""A LIF neuron driven by K finite δ-kicks: shot noise from Poisson or renewal input trains,
simulated exactly event by event (`docs/spiking.md`, "Beyond the diffusion approximation").

The neuron is the one of an inhibitory δ-pulse LIF network,

    τ dV/dt = −V + I + τ c Σ_s δ(t − t_s),    c = −J0/√K,    threshold 1, reset 0,

whose K input trains are independent. Between two events V relaxes in closed form,
V(t + Δ) = I + (V(t) − I) e^{−Δ/τ}; the kicks are inhibitory, so the threshold is reached only
by the drift, which needs I > 1, at the closed-form time Δ* = τ ln((I − V)/(I − 1)). Each step of
the loop takes the earlier of the next kick and Δ*: either V ← V(t + Δ) + c, or a spike and V ← 0.
No time grid, no integration error: the only approximation left is the input model.

Input trains (`rate` or `input_isis`):
- Poisson at rate ν each (the assumption of the diffusion approximation without its Gaussian
  limit): their superposition is one Poisson train at rate Kν, drawn as exponential intervals.
- Renewal: the intervals of every train are drawn independently from an empirical interval
  sample (`input_isis`: one array, or one array per source, each train then drawing from one
  source chosen uniformly at random). Each train starts stationary: its first arrival is the
  forward recurrence time, i.e. a point uniform on the concatenated intervals of its source
  (interval chosen with probability proportional to its length, position uniform in it).
  Iterating output intervals → input intervals gives the self-consistent renewal
  approximation (Dummer, Wieland & Lindner 2014), `lif_renewal_self_consistent`.

For c → 0 at fixed K ν c τ and K ν c² τ the input tends to white noise of mean μ = I + K ν c τ and
variance σ² = K ν c² τ (`lif_diffusion_rate`, `lif_diffusion_cv`); for c = 0 or ν = 0 the neuron
is the deterministic oscillator of period τ ln(I/(I − 1)).

Lanes (independent neurons) run side by side in one `lax.while_loop`, one event per lane per
step (each lane on its own clock), until all have passed `t_end` (or fired `n_spikes` times);
spikes after `t_warm` are stored up to `max_spikes` per neuron, and a fuller buffer raises
`ConfigError` naming `max_spikes`.
"""

import functools
import math

import jax
import jax.numpy as jnp
import numpy as np
from scipy import optimize

from .._core._errors import ConfigError, check_real


def _isi_pool(input_isis):
    """(pool, starts, counts) of the concatenated interval samples of the sources."""
    arr = input_isis
    if isinstance(arr, np.ndarray | jax.Array) or (
            len(arr) and np.ndim(arr[0]) == 0):
        sources = [np.asarray(arr, float).reshape(-1)]
    else:
        sources = [np.asarray(s, float).reshape(-1) for s in arr]
    if not sources or any(s.size == 0 for s in sources):
        raise ConfigError("input_isis must hold at least one interval per source")
    for s in sources:
        if not (np.all(np.isfinite(s)) and np.all(s > 0)):
            raise ConfigError("input_isis must be finite positive intervals")
    counts = np.array([s.size for s in sources])
    starts = np.concatenate([[0], np.cumsum(counts)[:-1]])
    return np.concatenate(sources), starts, counts


def lif_shot_noise_neuron(key, drive, k, coupling, rate=None, *, input_isis=None,
                          n_neurons: int = 1000, t_end: float, n_spikes: int | None = None,
                          t_warm: float = 0.0, tau: float = 1.0,
                          max_spikes: int | None = None) -> dict:
    """Simulate `n_neurons` independent LIF neurons with drive I (`drive`), each receiving
    `k` independent input trains of δ-kicks c = −J0/√K (`coupling` J0 ≥ 0), exactly event by
    event (module docstring), from V = 0 at t = 0.

    Inputs: `rate` ν (Poisson trains), or `input_isis` (renewal trains: a 1-D array of
    intervals, or a list of 1-D arrays, one per source). Without `n_spikes` the run stops at
    `t_end` (a window: spikes in (`t_warm`, `t_end`] are kept, at most `max_spikes` per
    neuron, default 3 × the count of the free neuron + 20). With `n_spikes` it stops once
    every neuron has fired `n_spikes` times after `t_warm` (a fixed count: with Poisson input
    the output is a renewal process, so its first `n_spikes` − 1 intervals are an unbiased
    sample, whereas a window cuts the long intervals off); `t_end` is then a cap, and a
    neuron still short of `n_spikes` there raises `ConfigError` (with periodic inputs, e.g.,
    a neuron can lock into a subthreshold orbit and never fire).

    Returns a dict of NumPy values: "spike_times" (n_neurons, max_spikes or n_spikes),
    NaN-padded; "counts" (spikes per neuron); "rate" (population rate: spikes / (n_neurons
    (t_end − t_warm)), or 1/mean interval with `n_spikes`); "isis" (all complete intervals,
    pooled); "cv" (their std/mean); "cvs" (per-neuron CV, NaN with < 2 intervals);
    "input_rate" (ν, or the mean over the sources of 1/mean interval).
    """
    check_real("drive", drive)
    check_real("k", k, positive=True, integer=True)
    check_real("coupling", coupling, nonnegative=True)
    check_real("n_neurons", n_neurons, positive=True, integer=True)
    check_real("t_warm", t_warm, nonnegative=True)
    check_real("tau", tau, positive=True)
    check_real("t_end", t_end, positive=True)
    if t_warm >= t_end:
        raise ConfigError(f"t_warm = {t_warm} must be below t_end = {t_end}")
    t_stop = float(t_end)
    if n_spikes is not None:
        check_real("n_spikes", n_spikes, positive=True, integer=True)
        if n_spikes < 2:
            raise ConfigError(f"n_spikes = {n_spikes} must be at least 2 (one interval)")
        if max_spikes is not None:
            raise ConfigError("max_spikes is n_spikes when the run stops at a spike count")
        if not drive > 1.0:
            raise ConfigError(f"drive = {drive} must be > 1 to stop at a spike count: with "
                              "inhibitory kicks only, the neuron fires only if I > 1")
        max_spikes = int(n_spikes)
    if (rate is None) == (input_isis is None):
        raise ConfigError("give either rate (Poisson input) or input_isis (renewal input)")
    drive, k, tau = float(drive), int(k), float(tau)
    kick = -float(coupling) / math.sqrt(k)
    if rate is not None:
        check_real("rate", rate, nonnegative=True)
        pool, starts, counts = np.ones(1), np.zeros(1, int), np.ones(1, int)
        input_rate, trains = float(rate), 1
    else:
        pool, starts, counts = _isi_pool(input_isis)
        input_rate = float(np.mean([1.0 / pool[s:s + c].mean()
                                    for s, c in zip(starts, counts, strict=True)]))
        trains = k
    free = 1.0 / (tau * math.log(drive / (drive - 1.0))) if drive > 1 else 0.0
    if max_spikes is None:
        max_spikes = int(3 * free * (t_end - t_warm)) + 20
    check_real("max_spikes", max_spikes, positive=True, integer=True)
    if rate is not None and rate == 0:  # no input: the free oscillator
        input_rate, kick = 1e-30, 0.0  # the first kick (of size 0) comes after ~1e28 τ
    times, fired = _simulate(key, jnp.asarray(pool), jnp.asarray(starts), jnp.asarray(counts),
                             drive, kick, k * input_rate, tau, t_stop, float(t_warm),
                             int(n_neurons), trains, int(max_spikes), rate is not None,
                             n_spikes is not None)
    times, fired = np.asarray(times), np.asarray(fired)
    if n_spikes is not None and np.any(fired < n_spikes):
        raise ConfigError(f"t_end = {t_end} is too short: {np.sum(fired < n_spikes)} of "
                          f"{n_neurons} neurons fired fewer than n_spikes = {n_spikes} times "
                          f"(at least {fired.min()})")
    if np.any(fired > max_spikes):
        raise ConfigError(f"max_spikes = {max_spikes} is too small: a neuron fired "
                          f"{fired.max()} times in the window")
    if rate is not None and rate == 0:
        input_rate = 0.0
    isi = np.diff(times, axis=1)
    n_isi = np.maximum(fired - 1, 0)
    valid = np.isfinite(isi)
    pooled = isi[valid]
    mean = np.where(n_isi > 0, np.nansum(isi, axis=1) / np.maximum(n_isi, 1), np.nan)
    var = np.nansum((isi - mean[:, None]) ** 2, axis=1) / np.maximum(n_isi - 1, 1)
    with np.errstate(invalid="ignore"):
        cvs = np.where(n_isi >= 2, np.sqrt(var) / mean, np.nan)
    population = (float(fired.sum() / (n_neurons * (t_end - t_warm))) if n_spikes is None
                  else float(1.0 / pooled.mean()))
    return {"spike_times": times, "counts": fired, "rate": population,
            "isis": pooled, "cv": float(pooled.std(ddof=1) / pooled.mean())
            if pooled.size > 1 else float("nan"),
            "cvs": cvs, "input_rate": input_rate}


def _simulate(key, pool, starts, counts, drive, kick, total_rate, tau, t_end, t_warm,
              n_neurons, trains, max_spikes, poisson, by_count):
    return _simulate_jit(key, pool, starts, counts, drive, kick, total_rate, tau, t_end,
                         t_warm, n_neurons=n_neurons, trains=trains, max_spikes=max_spikes,
                         poisson=poisson, by_count=by_count)


@functools.partial(jax.jit, static_argnames=("n_neurons", "trains", "max_spikes", "poisson",
                                             "by_count"))
def _simulate_jit(key, pool, starts, counts, drive, kick, total_rate, tau, t_end, t_warm, *,
                  n_neurons, trains, max_spikes, poisson, by_count):
    key_source, key_phase, key_run = jax.random.split(key, 3)
    cumulative = jnp.cumsum(pool)
    n_sources = starts.shape[0]
    sources = jax.random.randint(key_source, (n_neurons, trains), 0, n_sources)
    if poisson:
        first = jax.random.exponential(key_phase, (n_neurons, 1)) / total_rate
    else:  # forward recurrence time: a point uniform on the source's concatenated intervals
        before = jnp.where(starts > 0, cumulative[starts - 1], 0.0)[sources]
        total = cumulative[starts + counts - 1][sources] - before
        point = before + jax.random.uniform(key_phase, sources.shape) * total
        index = jnp.searchsorted(cumulative, point, side="right")
        first = cumulative[jnp.minimum(index, pool.shape[0] - 1)] - point
    lanes = jnp.arange(n_neurons)

    def draw(step_key, j):
        if poisson:
            return jax.random.exponential(step_key, (n_neurons,)) / total_rate
        source = sources[lanes, j]
        u = jax.random.uniform(step_key, (n_neurons,))
        pick = starts[source] + jnp.minimum((u * counts[source]).astype(int),
                                            counts[source] - 1)
        return pool[pick]

    def crossing(v):
        if_above = tau * jnp.log((drive - v) / jnp.maximum(drive - 1.0, 1e-300))
        return jnp.where(drive > 1.0, if_above, jnp.inf)

    def body(state):
        step, t, v, arrivals, spikes, n_spikes = state
        j = jnp.argmin(arrivals, axis=1)
        t_kick = arrivals[lanes, j]
        t_spike = t + crossing(v)
        fire = t_spike <= t_kick
        t_new = jnp.where(fire, t_spike, t_kick)
        v_before = drive + (v - drive) * jnp.exp(-(t_new - t) / tau)
        v_new = jnp.where(fire, 0.0, v_before + kick)
        renewed = t_kick + draw(jax.random.fold_in(key_run, step), j)
        arrivals = arrivals.at[lanes, j].set(jnp.where(fire, t_kick, renewed))
        keep = fire & (t_new > t_warm) & (t_new <= t_end)
        if by_count:
            keep = keep & (n_spikes < max_spikes)
        slot = jnp.where(keep & (n_spikes < max_spikes), n_spikes, max_spikes)
        spikes = spikes.at[lanes, slot].set(t_new, mode="drop")
        return step + 1, t_new, v_new, arrivals, spikes, n_spikes + keep

    def running(state):
        if by_count:
            return jnp.any((state[5] < max_spikes) & (state[1] < t_end))
        return jnp.any(state[1] < t_end)

    init = (jnp.asarray(0, jnp.uint32), jnp.zeros(n_neurons), jnp.zeros(n_neurons), first,
            jnp.full((n_neurons, max_spikes), jnp.nan), jnp.zeros(n_neurons, int))
    out = jax.lax.while_loop(running, body, init)
    return out[4], out[5]


def lif_renewal_self_consistent(key, drive, k, coupling, *, iterations: int = 3,
                                rate: float | None = None, rtol: float = 2e-3,
                                tau: float = 1.0, **sample) -> list[dict]:
    """Self-consistent mean field of the inhibitory δ-pulse LIF network with finite kicks, in
    the renewal approximation (Dummer, Wieland & Lindner 2014).

    Iteration 0 drives the neurons (`lif_shot_noise_neuron`) with Poisson trains; iteration
    n + 1 with renewal trains whose intervals have the shape of the pooled output intervals of
    iteration n (divided by their mean). In every iteration the input rate ν is solved
    self-consistently, ν = ν_out(ν), by Brent's method (relative tolerance `rtol`) on the
    Monte Carlo output rate with common random numbers (one key per iteration); the bracket
    is searched from `rate` (default: the diffusion approximation's rate,
    `lif_balanced_diffusion`), then from the previous iteration's rate. `sample`: the keywords
    of `lif_shot_noise_neuron` that set the sample (`n_neurons`, `t_end`, `n_spikes`,
    `t_warm`, `max_spikes`). Returns one dict per
    iteration: the `lif_shot_noise_neuron` result at the solved rate (without
    "spike_times"), with "input_rate" the solved ν and "evaluations" the number of runs.
    """
    check_real("iterations", iterations, nonnegative=True, integer=True)
    check_real("rtol", rtol, positive=True)
    check_real("drive", drive)
    if not drive > 1.0:
        raise ConfigError(f"drive = {drive} must be > 1: with inhibitory kicks only, the "
                          "neuron fires only if I > 1, and no positive rate is self-consistent")
    if rate is None:
        from ._lif_diffusion import lif_balanced_diffusion
        rate = lif_balanced_diffusion(drive, k, coupling, tau=tau, cv=False)["rate"]
    check_real("rate", rate, positive=True)
    results, shape = [], None
    for n in range(int(iterations) + 1):
        runs = {}

        def excess(nu, n=n, shape=shape, runs=runs):
            if nu not in runs:
                inputs = {"rate": nu} if shape is None else {"input_isis": shape / nu}
                out = lif_shot_noise_neuron(jax.random.fold_in(key, n), drive, k, coupling,
                                            tau=tau, **sample, **inputs)
                out.pop("spike_times")
                runs[nu] = out
            return runs[nu]["rate"] - nu

        low = high = float(rate)
        for _ in range(200):  # the output rate falls with the input rate: bracket the root
            if excess(low) > 0:
                break
            low /= 1.1
        for _ in range(200):
            if excess(high) < 0:
                break
            high *= 1.1
        if not excess(low) > 0 > excess(high):
            raise ConfigError(f"no self-consistent rate found between {low:g} and {high:g} "
                              f"(from rate = {rate:g})")
        root = optimize.brentq(excess, low, high, rtol=rtol)
        excess(root)
        out = dict(runs[root], input_rate=root, evaluations=len(runs))
        if out["isis"].size < 2:
            raise ConfigError("the neurons fired fewer than 2 intervals: raise t_end or "
                              "n_neurons")
        results.append(out)
        shape, rate = out["isis"] / out["isis"].mean(), root
    return results
