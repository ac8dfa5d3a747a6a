"""The route to chaos: fixed points, leading Jacobian eigenvalues, bifurcations, contraction.

- Fixed points by Newton's method (optimistix): `F(t, x) = x` for a map, `f(t, x) = 0` for a
  flow, at a fixed t (time-dependent inputs are frozen there). Pure JAX: vmap over systems built
  from an array of gains gives a whole branch in one call.
- Leading eigenvalues of the Jacobian at a point by a Krylov–Schur restarted Arnoldi method
  (Stewart 2001) whose only access to the Jacobian is the system's `jvp` (one N×2 frame per
  product: the real and imaginary parts of a complex Krylov vector). The small projected
  problems are solved on the host (NumPy/SciPy); "leading" means largest modulus for maps
  (stability: |λ| < 1) and largest real part for flows (Re λ < 0).
- Crossings of the stability boundary along a parameter, classified by the crossing eigenvalue:
  maps: real λ → +1 saddle-node (pitchfork under the odd symmetry of θ = 0), real λ → −1 flip
  (period doubling), complex pair → Neimark–Sacker; flows: real → saddle-node, complex → Hopf.
- Random-matrix support of a rate network's Jacobian (Girko's circular law for `W diag(s)`):
  a disk of radius `J·√⟨s²⟩` about the leak term.
- Cessac's contraction bound g_as (seed 001): `‖DF(u)‖₂ ≤ γ + g‖J‖₂ max φ'` for every u, so the
  map contracts, with a unique globally attracting fixed point, for slopes g < g_as =
  (1 − γ)/(‖J‖₂ max φ').
"""

import dataclasses

import equinox as eqx
import jax
import jax.numpy as jnp
import numpy as np
import optimistix as optx
import scipy.linalg

from .._core._errors import ConfigError, check_choice, check_real
from .._core._nonlinearities import Nonlinearity
from .._core._results import result_repr
from .._core._system import AbstractFlow, AbstractMap
from .._models._rate import CessacNetwork, EulerMap, SCSNetwork


class FixedPoint(eqx.Module):
    """A Newton solution: the point `x`, its residual `max |F(x) − x|` (map) or `max |f(x)|`
    (flow) and whether Newton reported success with a finite point."""

    __repr__ = result_repr

    x: jax.Array
    residual: jax.Array
    converged: jax.Array


def _residual_fn(system, t):
    if isinstance(system, AbstractMap):
        return lambda x, _: system.map(t, x, None) - x
    if isinstance(system, AbstractFlow):
        return lambda x, _: system.vector_field(t, x, None)
    raise ConfigError(f"system must be an AbstractMap or AbstractFlow, got "
                      f"{type(system).__name__}")


def fixed_point(system, x0, *, t=0.0, tol=None, max_steps: int = 100) -> FixedPoint:
    """Newton's method for a fixed point of a map (`F(t, x) = x`) or flow (`f(t, x) = 0`) from
    `x0`, with the dense Jacobian from forward-mode AD. `tol` (relative and absolute on the
    Newton step) defaults to 1000·eps of the dtype. Usable under `jax.vmap`/`jit`; check
    `converged` (a diverging or cycling Newton run is reported there, never raised)."""
    _residual_fn(system, t)   # checks the kind of system
    x0 = jnp.asarray(x0)
    if x0.shape != (system.n,):
        raise ConfigError(f"x0 must have shape ({system.n},), got {x0.shape}")
    check_real("max_steps", max_steps, positive=True, integer=True)
    if tol is None:
        tol = 1000 * float(jnp.finfo(x0.dtype).eps)
    return _newton(system, x0, t, tol, int(max_steps))


@eqx.filter_jit
def _newton(system, x0, t, tol, max_steps):
    residual = _residual_fn(system, t)
    solution = optx.root_find(residual, optx.Newton(rtol=tol, atol=tol), x0,
                              max_steps=max_steps, throw=False)
    x = solution.value
    error = jnp.max(jnp.abs(residual(x, None)))
    ok = (solution.result == optx.RESULTS.successful) & jnp.all(jnp.isfinite(x))
    return FixedPoint(x, error, ok)


@dataclasses.dataclass(frozen=True)
class Eigenvalues:
    """Leading eigenvalues (NumPy, sorted: largest modulus for maps, real part for flows) with
    their Ritz residuals ‖Av − λv‖ (unit v), and the work done."""

    values: np.ndarray
    residuals: np.ndarray
    converged: bool
    n_products: int
    n_restarts: int


def _leading_key(which):
    return np.abs if which == "modulus" else np.real


def leading_eigenvalues(system, x, k: int = 6, *, t=0.0, which=None, krylov_dim=None,
                        tol=None, max_restarts: int = 500, seed: int = 0) -> Eigenvalues:
    """The k leading eigenvalues of the Jacobian DF(x) (map) or Df(x) (flow) at `x`.

    Krylov–Schur: Arnoldi to dimension m (`krylov_dim`, default max(2k + 20, 40) ≤ N) with
    double Gram–Schmidt, a sorted complex Schur form of the projected matrix, restart on its
    leading half, until every wanted Ritz pair has residual ≤ tol·max|λ| (`tol` 1e-10 in float64,
    1e-4 in float32). With m = N the first pass is exact. `which`: "modulus" (maps' default)
    or "real" (flows'). Each Jacobian product is one `jvp` on an N×2 frame."""
    is_map = isinstance(system, AbstractMap)
    if not (is_map or isinstance(system, AbstractFlow)):
        raise ConfigError(f"system must be an AbstractMap or AbstractFlow, got "
                          f"{type(system).__name__}")
    n = system.n
    which = check_choice("which", which or ("modulus" if is_map else "real"),
                         ("modulus", "real"))
    check_real("k", k, positive=True, integer=True)
    if k > n:
        raise ConfigError(f"k = {k} exceeds the dimension N = {n}")
    m = min(n, max(2 * k + 20, 40)) if krylov_dim is None else krylov_dim
    check_real("krylov_dim", m, positive=True, integer=True)
    if not (k < m <= n or k == m == n):
        raise ConfigError(f"krylov_dim = {m} must lie in (k, N] = ({k}, {n}]")
    x = jnp.asarray(x)
    if x.shape != (n,):
        raise ConfigError(f"x must have shape ({n},), got {x.shape}")
    real_dtype = np.dtype(x.dtype)
    tol = (1e-10 if real_dtype == np.float64 else 1e-4) if tol is None else tol
    complex_dtype = np.result_type(real_dtype, np.complex64)
    product = jax.jit(lambda frame: system.jvp(t, x, frame, None))

    def matvec(z):
        out = np.asarray(product(jnp.asarray(np.stack([z.real, z.imag], axis=1),
                                             dtype=real_dtype)))
        return out[:, 0] + 1j * out[:, 1]

    key = _leading_key(which)
    rng = np.random.default_rng(seed)
    basis = np.zeros((n, m + 1), complex_dtype)
    hessenberg = np.zeros((m + 1, m), complex_dtype)
    start = rng.standard_normal(n)
    basis[:, 0] = start / np.linalg.norm(start)
    kept, products = 0, 0
    for restart in range(max_restarts + 1):
        for j in range(kept, m):
            w = matvec(basis[:, j])
            products += 1
            for _ in range(2):  # classical Gram–Schmidt, repeated for orthogonality to round-off
                h = basis[:, :j + 1].conj().T @ w
                w = w - basis[:, :j + 1] @ h
                hessenberg[:j + 1, j] += h
            beta = np.linalg.norm(w)
            scale = max(np.abs(hessenberg[:j + 1, :j + 1]).max(), np.finfo(real_dtype).tiny)
            if beta <= 100 * np.finfo(real_dtype).eps * scale:
                # An invariant subspace: go on from a fresh orthogonal direction, coupled by 0.
                beta, w = 0.0, rng.standard_normal(n).astype(complex_dtype)
                if j + 1 < n:
                    for _ in range(2):
                        w = w - basis[:, :j + 1] @ (basis[:, :j + 1].conj().T @ w)
                w = w / np.linalg.norm(w)
            else:
                w = w / beta
            hessenberg[j + 1, j] = beta
            basis[:, j + 1] = w
        projected = hessenberg[:m, :m]
        ritz, vectors = np.linalg.eig(projected)
        residuals = np.abs(hessenberg[m, :m] @ vectors) / np.linalg.norm(vectors, axis=0)
        order = np.argsort(-key(ritz), kind="stable")[:k]
        radius = max(np.abs(ritz).max(), np.finfo(real_dtype).tiny)
        converged = bool(np.all(residuals[order] <= tol * radius)) or m == n
        if converged or restart == max_restarts:
            break
        keep = min(m - 2, k + (m - k) // 2)
        cutoff = np.sort(key(ritz))[::-1][keep - 1]
        schur, z, kept = scipy.linalg.schur(
            projected, output="complex",
            sort=lambda v, c=cutoff: key(v) >= c - 1e-12 * abs(c))
        kept = min(kept, m - 1)
        basis[:, :kept] = basis[:, :m] @ z[:, :kept]
        basis[:, kept] = basis[:, m]
        coupling = hessenberg[m, :m] @ z[:, :kept]
        hessenberg[:] = 0
        hessenberg[:kept, :kept] = schur[:kept, :kept]
        hessenberg[kept, :kept] = coupling
    values = ritz[order]
    if np.all(np.abs(values.imag) == 0):
        values = values.real
    return Eigenvalues(values, residuals[order], converged, products, restart)


@dataclasses.dataclass(frozen=True)
class Crossing:
    """A change of stability between two parameter values: where (linear interpolation of the
    stability margin), the crossing eigenvalue, its type, and whether stability is lost."""

    parameter: float
    eigenvalue: complex
    kind: str
    loses_stability: bool


def classify_eigenvalue(eigenvalue, *, discrete: bool = True, tol: float = 1e-6) -> str:
    """The codimension-one bifurcation that `eigenvalue` signals when it crosses the stability
    boundary: maps (|λ| = 1): "saddle-node/pitchfork" (λ = +1), "flip" (λ = −1),
    "neimark-sacker" (complex pair); flows (Re λ = 0): "saddle-node/pitchfork" or "hopf"."""
    eigenvalue = complex(eigenvalue)
    if abs(eigenvalue.imag) > tol * max(abs(eigenvalue), 1.0):
        return "neimark-sacker" if discrete else "hopf"
    if discrete and eigenvalue.real < 0:
        return "flip"
    return "saddle-node/pitchfork"


def stability_crossings(parameters, eigenvalues, *, discrete: bool = True,
                        tol: float = 1e-6) -> list[Crossing]:
    """Where the leading eigenvalue crosses the stability boundary along `parameters` (P,),
    given the leading eigenvalues (P, k) at each (e.g. of the Jacobian at a fixed-point branch).
    The margin is max|λ| − 1 (maps) or max Re λ (flows); each sign change gives a `Crossing`
    at its linearly interpolated parameter, typed by the leading eigenvalue on the unstable side."""
    p = np.asarray(parameters, dtype=float)
    lam = np.asarray(eigenvalues)
    if lam.ndim == 1:
        lam = lam[:, None]
    if lam.shape[0] != p.shape[0]:
        raise ConfigError(f"eigenvalues must have one row per parameter ({p.shape[0]}), got "
                          f"shape {lam.shape}")
    key = np.abs(lam) - 1.0 if discrete else np.real(lam)
    margin = key.max(axis=1)
    leading = lam[np.arange(len(p)), key.argmax(axis=1)]
    unstable = margin >= 0
    out = []
    for i in np.nonzero(unstable[:-1] != unstable[1:])[0]:
        weight = margin[i] / (margin[i] - margin[i + 1])
        after = i + 1 if margin[i + 1] > margin[i] else i   # the unstable side
        out.append(Crossing(float(p[i] + weight * (p[i + 1] - p[i])), complex(leading[after]),
                            classify_eigenvalue(leading[after], discrete=discrete, tol=tol),
                            bool(margin[i + 1] > margin[i])))
    return out


def circular_law_support(system, x) -> tuple[float, float]:
    """(center, radius) of the disk that the Jacobian's bulk eigenvalues fill at `x` for large
    N, for dense i.i.d. weights of variance 1/N (Girko's law for W diag(s): radius √⟨s²⟩):

    - `CessacNetwork`: γ + J_std W diag(s), s = g φ'(g u) → center γ, radius J_std √⟨s²⟩;
    - `SCSNetwork`: −1 + g W diag φ'(x) → center −1, radius g √⟨φ'²⟩;
    - `EulerMap` of an SCS network: 1 − δ + δ g W diag φ'(x) → center 1 − δ, radius δ g √⟨φ'²⟩.

    The mean coupling J̄ adds an outlier that is not part of the disk."""
    if isinstance(system, CessacNetwork):
        slopes = system.slope * system.nonlinearity.derivative(system.slope * x)
        return float(system.leak), float(system.coupling_std * jnp.sqrt(jnp.mean(slopes**2)))
    flow = system.flow if isinstance(system, EulerMap) else system
    if not isinstance(flow, SCSNetwork):
        raise ConfigError(f"circular_law_support needs a CessacNetwork, SCSNetwork or its "
                          f"EulerMap, got {type(system).__name__}")
    radius = float(flow.gain * jnp.sqrt(jnp.mean(flow.nonlinearity.derivative(x) ** 2)))
    if isinstance(system, EulerMap):
        return 1.0 - system.dt, system.dt * radius
    return -1.0, radius


def contraction_bound(coupling, *, leak=0.0, nonlinearity="tanh") -> float:
    """Cessac's g_as = (1 − γ) / (‖J‖₂ max φ') for `u ← γu + J φ(g u) − θ + ξ(t)`, with J the
    full N×N coupling matrix (for `CessacNetwork`: J_std W + (J̄/N) 1 1ᵀ). For slopes g < g_as
    every step shrinks distances by at least γ + g‖J‖₂ max φ' < 1, whatever θ and ξ."""
    coupling = np.asarray(coupling, dtype=float)
    if coupling.ndim != 2 or coupling.shape[0] != coupling.shape[1]:
        raise ConfigError(f"coupling must be a square (N, N) matrix, got shape "
                          f"{coupling.shape}")
    check_real("leak", leak, nonnegative=True, below=1.0)
    phi = nonlinearity if isinstance(nonlinearity, Nonlinearity) else Nonlinearity(nonlinearity)
    return (1.0 - float(leak)) / (np.linalg.norm(coupling, 2) * phi.max_derivative)
