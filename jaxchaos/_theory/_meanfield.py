"""Static mean-field theories: deep random feed-forward nets (Poole et al. 2016; Schoenholz et al.
2017), Cessac's discrete-time network, and balanced binary E/I networks (van Vreeswijk &
Sompolinsky 1996/1998). PHYSICS.md §2, §4, §5.

Every fixed point is a root found by optimistix (bisection for scalars, Newton for pairs) and is
differentiated by the implicit function theorem (optimistix's `ImplicitAdjoint`), never by
unrolling iterations. Gaussian integrals use `_gaussian` (trapezoid rule, Price's theorem).

Conventions: `sigma_w`, `sigma_b` are standard deviations (W_ij ~ N(0, σ_w²/N), b_i ~ N(0, σ_b²));
q, v and α are variances; rates m are probabilities in [0, 1]. The nonlinearity "erf" is
jaxchaos's erf(√π x/2) (slope 1 at 0, like tanh: σ_w,c(σ_b = 0) = 1); the literature's erf(x)
(Poole et al. 2016, neural-tangents) is "erf_standard" (slope 2/√π: σ_w,c(0) = √π/2).
"""

import math

import equinox as eqx
import jax
import jax.numpy as jnp
import numpy as np
import optimistix as optx
from jax.scipy.special import erfc

from .._core._errors import ConfigError, check_real
from .._core._nonlinearities import Nonlinearity
from .._core._results import result_repr
from ._gaussian import DEFAULT_POINTS, _expect, _expect_pair, derivative_of

_BOUNDED = {"tanh": 1.0, "erf": 1.0, "erf_standard": 1.0, "rectified_tanh": 1.0}


def _as_nonlinearity(nonlinearity) -> Nonlinearity:
    return nonlinearity if isinstance(nonlinearity, Nonlinearity) else Nonlinearity(nonlinearity)


def _bisect(fn, lower, upper, args):
    """Root of the scalar fn(y, args) with fn(lower) > 0 > fn(upper), to round-off; implicit
    derivatives in `args` (and in lower/upper: none, as they only bracket)."""
    dtype = jnp.result_type(float, lower, upper)
    eps = float(jnp.finfo(dtype).eps)
    lower, upper = jnp.asarray(lower, dtype), jnp.asarray(upper, dtype)
    solver = optx.Bisection(rtol=4 * eps, atol=4 * eps, flip=True)
    y0 = jax.lax.stop_gradient(0.5 * (lower + upper))
    bounds = {"lower": jax.lax.stop_gradient(lower), "upper": jax.lax.stop_gradient(upper)}
    return optx.root_find(fn, solver, y0, args=args, options=bounds, max_steps=160,
                          throw=False).value


# ---------------------------------------------------------------------------------------------
# Deep feed-forward nets.


def q_map(q, sigma_w, sigma_b, nonlinearity="tanh", *, points: int = DEFAULT_POINTS):
    """Length map q ↦ σ_w² ∫Dz φ(√q z)² + σ_b² (q a variance; σ_w, σ_b standard deviations);
    the arguments broadcast against each other."""
    phi = _as_nonlinearity(nonlinearity)

    def one(q, sigma_w, sigma_b):
        return sigma_w**2 * _expect(lambda x: phi(x) ** 2, 0.0, q, points) + sigma_b**2

    return jnp.vectorize(one)(q, sigma_w, sigma_b)


def c_map(c, q, sigma_w, sigma_b, nonlinearity="tanh", *, points: int = DEFAULT_POINTS):
    """Correlation map c ↦ [σ_w² E[φ(u1)φ(u2)] + σ_b²]/q, Var u_i = q, Cov = q c (σ std);
    the arguments broadcast against each other."""
    phi = _as_nonlinearity(nonlinearity)

    def one(c, q, sigma_w, sigma_b):
        return (sigma_w**2 * _expect_pair(phi, phi, q, q, q * c, points) + sigma_b**2) / q

    return jnp.vectorize(one)(c, q, sigma_w, sigma_b)


def _q_star(sigma_w, sigma_b, phi, points):
    if phi.name == "relu":  # q = σ_w² q/2 + σ_b²
        return sigma_b**2 / (1 - sigma_w**2 / 2)
    bound = _BOUNDED.get(phi.name)
    if bound is None:  # shifted_tanh: |φ| ≤ 1 + |tanh s|
        bound = (1 + jnp.abs(jnp.tanh(phi.shift))) ** 2
    eps = float(jnp.finfo(jnp.result_type(float)).eps)

    def relative_excess(log_q, args):  # (qmap(q) - q)/q, decreasing; σ_w²φ'(0)² - 1 at q → 0
        sw, sb = args
        q = jnp.exp(log_q)
        return (q_map(q, sw, sb, phi, points=points) - q) / q

    upper = jnp.log(sigma_w**2 * bound + sigma_b**2 + 1.0)
    q = jnp.exp(_bisect(relative_excess, 2 * math.log(eps), upper, (sigma_w, sigma_b)))
    ordered = (sigma_b == 0) & (sigma_w * jnp.abs(phi.derivative(0.0)) <= 1)
    return jnp.where(ordered, 0.0, q)


def _check_deep(sigma_w, sigma_b, phi):
    check_real("sigma_w", sigma_w, nonnegative=True)
    check_real("sigma_b", sigma_b, nonnegative=True)
    if phi.name == "relu":
        try:
            if float(jnp.max(jnp.asarray(sigma_w))) ** 2 >= 2:
                raise ConfigError("ReLU nets have no finite q* for sigma_w² >= 2 (q grows "
                                  f"without bound), got sigma_w = {sigma_w!r}")
        except (jax.errors.TracerArrayConversionError, jax.errors.ConcretizationTypeError):
            pass


class DeepMeanField(eqx.Module):
    """Signal propagation at the fixed points of a deep random net (σ_w, σ_b standard deviations).

    - `q_star`: q* (a variance), the fixed point of `q_map`.
    - `chi1`: χ1 = σ_w² ∫Dz φ'(√q* z)², the slope of the c-map at c = 1 (> 1: chaotic).
    - `chi2`: χ2 = σ_w² ∫Dz φ''(√q* z)², which feeds the growth of a curve's curvature
      (`great_circle_mean_field`; Poole et al. 2016). 0 for ReLU (φ'' = 0 off the kink).
    - `chi_q`: slope of the q-map at q*; `xi_q` = -1/ln χ_q, the depth scale of q.
    - `c_star`: the stable fixed point of `c_map` (1 in the ordered phase χ1 ≤ 1).
    - `chi_c`: σ_w² E[φ'(u1)φ'(u2)] at c*, the slope of the c-map there; `xi_c` = -1/ln χ_c
      (it diverges at the order–chaos boundary χ1 = 1).
    """

    __repr__ = result_repr

    q_star: jax.Array
    chi1: jax.Array
    chi2: jax.Array
    chi_q: jax.Array
    xi_q: jax.Array
    c_star: jax.Array
    chi_c: jax.Array
    xi_c: jax.Array


@eqx.filter_jit
def _deep(sigma_w, sigma_b, phi, points):
    q = _q_star(sigma_w, sigma_b, phi, points)
    dphi = phi.derivative
    chi1 = _chi1(q, sigma_w, phi, points)
    chi2 = _chi2(q, sigma_w, phi, points)
    chi_q = jax.grad(lambda x: q_map(x, sigma_w, sigma_b, phi, points=points))(q)

    def scaled_excess(c, args):  # (cmap(c) - c)/(1 - c): ≥ 0 at c = 0, → 1 - χ1 as c → 1
        sw, sb, qq = args
        return (c_map(c, qq, sw, sb, phi, points=points) - c) / (1 - c)

    chaotic = chi1 > 1
    c_chaos = _bisect(scaled_excess, 0.0, 1.0, (sigma_w, sigma_b, q))
    c = jnp.where(chaotic, c_chaos, 1.0)
    chi_c = sigma_w**2 * _expect_pair(dphi, dphi, q, q, q * c, points)
    return DeepMeanField(q, chi1, chi2, chi_q, -1 / jnp.log(chi_q), c, chi_c,
                         -1 / jnp.log(chi_c))


def _chi1(q, sigma_w, phi, points):
    return sigma_w**2 * _expect(lambda x: phi.derivative(x) ** 2, 0.0, q, points)


def _chi2(q, sigma_w, phi, points):
    second = derivative_of(phi.derivative)
    return sigma_w**2 * _expect(lambda x: second(x) ** 2, 0.0, q, points)


def deep_mean_field(sigma_w, sigma_b, nonlinearity="tanh", *,
                    points: int = DEFAULT_POINTS) -> DeepMeanField:
    """q*, χ1, c* and the depth scales of a deep random net with weight std `sigma_w` and bias
    std `sigma_b` (standard deviations, not variances): scalars, or arrays broadcast against
    each other (every field then has their broadcast shape). Differentiable in both (implicit
    function theorem through q* and c*)."""
    phi = _as_nonlinearity(nonlinearity)
    _check_deep(sigma_w, sigma_b, phi)
    sigma_w, sigma_b = jnp.asarray(sigma_w), jnp.asarray(sigma_b)
    dtype = jnp.result_type(float, sigma_w.dtype, sigma_b.dtype)
    sigma_w, sigma_b = jnp.broadcast_arrays(sigma_w.astype(dtype), sigma_b.astype(dtype))
    if sigma_w.ndim == 0:
        return _deep(sigma_w, sigma_b, phi, points)
    flat = jax.vmap(lambda sw, sb: _deep(sw, sb, phi, points))(sigma_w.ravel(), sigma_b.ravel())
    return jax.tree.map(lambda field: field.reshape(sigma_w.shape), flat)


class CurveMeanField(eqx.Module):
    """Mean-field geometry of a great circle propagated through a deep random net, per layer
    l = 0 … L (see `great_circle_mean_field`): `q` (q^l, a variance), `length` (L^l/√N, the
    curve's length per √width), `curvature` (√N κ^l, curvature times √width), and
    `grassmannian_length` (κ^l L^l, the length of the unit tangent; 2π at the input)."""

    __repr__ = result_repr

    q: jax.Array
    length: jax.Array
    curvature: jax.Array
    grassmannian_length: jax.Array


def great_circle_mean_field(sigma_w, sigma_b, q0, depth: int, nonlinearity="tanh", *,
                            points: int = DEFAULT_POINTS) -> CurveMeanField:
    """Length and curvature of a great circle x^0(θ) of squared radius N q0 (`great_circle`)
    through h^1 = W^1 x^0 + b^1, h^l = W^l φ(h^{l-1}) + b^l (σ_w, σ_b standard deviations), as
    N → ∞ (Poole et al. 2016). With χ1(q) = σ_w² ∫Dz φ'(√q z)², χ2(q) = σ_w² ∫Dz φ''(√q z)²:

        layer 1 (linear):  q^1 = σ_w² q0 + σ_b²,  L^1 = σ_w L^0,  N κ_1² = N κ_0² / σ_w²;
        layer l ≥ 2:       q^l = q-map(q^{l-1}),  L^l = √χ1 L^{l-1},
                           N κ_l² = N κ_{l-1}² / χ1 + 3 χ2 / χ1²   (χ's at q^{l-1}),

    from L^0 = 2π√(N q0), √N κ_0 = 1/√q0. Derivation: the θ-derivatives v, a of h^l are linear
    images W(φ'v) and W(φ''v² + φ'a) of the previous layer's; over units (h, v, a) are jointly
    Gaussian with Cov(h, v) = 0 and Cov(h, a) = -|v|²/N (the curve keeps constant length), and
    Σ v_i⁴ = 3|v|⁴/N. The centripetal part of a (along h) contributes -2σ_w²E[hφ'φ''] +
    σ_w²E[h²φ'²]/q - χ1 to N κ² χ1², which vanishes identically by Gaussian integration by
    parts, leaving the recursion above. In the normalized curvature κ̄ = √(N q) κ of Poole et
    al. (1 for a great circle), at q* it reads κ̄_l² = κ̄_{l-1}²/χ1 + 3 q* χ2/χ1²: κ̄ tends to
    √(3 q* χ2 / (χ1 (χ1 - 1))) in the chaotic phase and grows as χ1^{-l/2} in the ordered one,
    while the Grassmannian length κL grows as χ1^{l/2} once κ̄ saturates (chaos only).

    Needs a φ with a second derivative (tanh, erf, shifted_tanh): for ReLU and rectified tanh
    φ'' has a delta at the kink and the Gaussian closure above does not apply."""
    phi = _as_nonlinearity(nonlinearity)
    if phi.name in ("relu", "rectified_tanh"):
        raise ConfigError(f"great_circle_mean_field needs a smooth φ (tanh, erf, shifted_tanh), "
                          f"not {phi.name!r} (φ'' has a delta at its kink)")
    _check_deep(sigma_w, sigma_b, phi)
    check_real("q0", q0, positive=True)
    check_real("depth", depth, positive=True, integer=True)
    dtype = jnp.result_type(float, sigma_w, sigma_b, q0)
    return _curve(jnp.asarray(sigma_w, dtype), jnp.asarray(sigma_b, dtype),
                  jnp.asarray(q0, dtype), int(depth), phi, points)


@eqx.filter_jit
def _curve(sigma_w, sigma_b, q0, depth, phi, points):
    q1 = sigma_w**2 * q0 + sigma_b**2
    length1 = sigma_w * 2 * jnp.pi * jnp.sqrt(q0)
    curvature_sq1 = 1 / (q0 * sigma_w**2)

    def step(carry, _):
        q, length, curvature_sq = carry
        chi1 = _chi1(q, sigma_w, phi, points)
        chi2 = _chi2(q, sigma_w, phi, points)
        carry = (q_map(q, sigma_w, sigma_b, phi, points=points), jnp.sqrt(chi1) * length,
                 curvature_sq / chi1 + 3 * chi2 / chi1**2)
        return carry, carry

    first = (q1, length1, curvature_sq1)
    _, rest = jax.lax.scan(step, first, None, length=depth - 1)
    q, length, curvature_sq = (jnp.concatenate([jnp.stack([a0, a1]), b])
                               for a0, a1, b in zip((q0, 2 * jnp.pi * jnp.sqrt(q0),
                                                     1 / q0), first, rest, strict=True))
    curvature = jnp.sqrt(curvature_sq)
    return CurveMeanField(q, length, curvature, length * curvature)


def critical_sigma_w(sigma_b, nonlinearity="tanh", *, upper: float = 20.0,
                     points: int = DEFAULT_POINTS):
    """The order–chaos boundary in the standard-deviation convention: the weight std σ_w,c with
    χ1(σ_w,c, σ_b) = 1, for bias std `sigma_b` (bracketed in (0, `upper`)). For tanh, σ_w,c = 1
    at σ_b = 0, as for "erf" (jaxchaos's erf(√π x/2)); the literature's erf(x), "erf_standard",
    has σ_w,c = √π/2 there. Differentiable in σ_b (implicit, through the nested q* root)."""
    phi = _as_nonlinearity(nonlinearity)
    check_real("sigma_b", sigma_b, nonnegative=True)
    check_real("upper", upper, positive=True)
    if phi.name == "relu":  # χ1 = σ_w²/2 whatever σ_b
        return jnp.full_like(jnp.asarray(sigma_b, jnp.result_type(float)), math.sqrt(2.0))

    sigma_b = jnp.asarray(sigma_b, jnp.result_type(float, sigma_b))
    return jnp.vectorize(lambda sb: _critical(sb, phi, float(upper), points))(sigma_b)


@eqx.filter_jit
def _critical(sigma_b, phi, upper, points):
    def one_minus_chi1(sigma_w, sb):
        q = _q_star(sigma_w, sb, phi, points)
        return 1 - sigma_w**2 * _expect(lambda x: phi.derivative(x) ** 2, 0.0, q, points)

    lower = 0.5 / jnp.abs(phi.derivative(0.0))
    return _bisect(one_minus_chi1, lower, upper, sigma_b)


def critical_weight_variance(bias_variance, nonlinearity="tanh", **kwargs):
    """The same boundary in the variance convention: σ_w,c² as a function of σ_b²."""
    check_real("bias_variance", bias_variance, nonnegative=True)
    return critical_sigma_w(jnp.sqrt(jnp.asarray(bias_variance, jnp.result_type(float))),
                            nonlinearity, **kwargs) ** 2


# ---------------------------------------------------------------------------------------------
# Cessac's discrete-time network, γ = 0.


class CessacMeanField(eqx.Module):
    """Fixed point of Cessac's mean-field recursions (γ = 0) and the mean-field exponent.

    `mean` μ*, `variance` v* (of the local field), and `lyapunov` λ = ½ ln[J² ∫Dh f'(√v h + μ)²]
    per step, f(u) = tanh(g u) (g = `slope`). The argument of f' is √v h + μ with μ the mean field
    of the recursion (J̄ ∫f - θ̄): seed 001 prints it as h√v + J̄μ - σ_θ², a typo (σ_θ² enters the
    variance v, and J̄ is already inside μ).
    """

    __repr__ = result_repr

    mean: jax.Array
    variance: jax.Array
    lyapunov: jax.Array


def _tanh_squared(y):
    return jnp.tanh(y) ** 2


def _sech_fourth(y):
    return (1 - jnp.tanh(y) ** 2) ** 2


def _cessac_step(state, params, points):
    mu, v = state
    slope, coupling_std, coupling_mean, threshold_mean, threshold_std, noise = params
    # f(u) = tanh(g u) with u ~ N(μ, v) is tanh(y), y ~ N(gμ, g²v).
    mean_f = _expect(jnp.tanh, slope * mu, slope**2 * v, points)
    square_f = _expect(_tanh_squared, slope * mu, slope**2 * v, points)
    return (coupling_mean * mean_f - threshold_mean,
            coupling_std**2 * square_f + threshold_std**2 + noise**2)


def cessac_recursion(steps: int, slope, *, coupling_std=1.0, coupling_mean=0.0,
                     threshold_mean=0.0, threshold_std=0.0, noise=0.0, mean0=0.0, variance0=1.0,
                     points: int = DEFAULT_POINTS):
    """(μ(t), v(t)) for t = 1..steps of Cessac's mean-field recursions (γ = 0, PHYSICS.md §2):

        μ(t+1) = J̄ ∫Dh f(√v h + μ) - θ̄,   v(t+1) = J² ∫Dh f(√v h + μ)² + σ_θ² + σ²,

    f(u) = tanh(g u); J = `coupling_std`, J̄ = `coupling_mean`, σ_θ, σ standard deviations."""
    check_real("steps", steps, positive=True, integer=True)
    params = _cessac_params(slope, coupling_std, coupling_mean, threshold_mean, threshold_std,
                            noise)
    check_real("variance0", variance0, nonnegative=True)

    def body(state, _):
        state = _cessac_step(state, params, points)
        return state, state

    start = tuple(jnp.asarray(x, jnp.result_type(float)) for x in (mean0, variance0))
    _, (mu, v) = jax.lax.scan(body, start, None, length=int(steps))
    return mu, v


def _cessac_params(slope, coupling_std, coupling_mean, threshold_mean, threshold_std, noise):
    check_real("slope", slope, nonnegative=True)
    check_real("coupling_std", coupling_std, nonnegative=True)
    check_real("coupling_mean", coupling_mean)
    check_real("threshold_mean", threshold_mean)
    check_real("threshold_std", threshold_std, nonnegative=True)
    check_real("noise", noise, nonnegative=True)
    dtype = jnp.result_type(float)
    return tuple(jnp.asarray(x, dtype) for x in (slope, coupling_std, coupling_mean,
                                                  threshold_mean, threshold_std, noise))


def cessac_mean_field(slope, *, coupling_std=1.0, coupling_mean=0.0, threshold_mean=0.0,
                      threshold_std=0.0, noise=0.0, warmup: int = 200,
                      points: int = DEFAULT_POINTS) -> CessacMeanField:
    """The fixed point (μ*, v*) of `cessac_recursion` and λ = ½ ln[J² ∫Dh f'(√v* h + μ*)²]
    (per step). `warmup` iterations give Newton's starting point (not differentiated); the
    fixed point is then polished by Newton and differentiated implicitly. Assumes the recursion
    converges to a fixed point (not a cycle, as it may for large negative J̄)."""
    params = _cessac_params(slope, coupling_std, coupling_mean, threshold_mean, threshold_std,
                            noise)
    check_real("warmup", warmup, positive=True, integer=True)
    return _cessac_fixed_point(params, int(warmup), points)


@eqx.filter_jit
def _cessac_fixed_point(params, warmup, points):
    def body(state, _):
        return _cessac_step(state, jax.lax.stop_gradient(params), points), None

    start = (jnp.zeros_like(params[0]), jnp.ones_like(params[0]))
    guess = jnp.stack(jax.lax.scan(body, start, None, length=warmup)[0])

    def residual(y, p):
        step = _cessac_step((y[0], y[1]), p, points)
        return jnp.stack(step) - y

    eps = float(jnp.finfo(guess.dtype).eps)
    solver = optx.Newton(rtol=16 * eps, atol=16 * eps)
    y = optx.root_find(residual, solver, guess, args=params, max_steps=64, throw=False).value
    slope_, coupling_std_ = params[0], params[1]
    gain_sq = slope_**2 * _expect(_sech_fourth, slope_ * y[0], slope_**2 * y[1], points)
    return CessacMeanField(y[0], y[1], 0.5 * jnp.log(coupling_std_**2 * gain_sq))


# ---------------------------------------------------------------------------------------------
# Balanced binary E/I networks.


def _gaussian_tail(x):
    """H(x) = ∫_x^∞ Dz."""
    return 0.5 * erfc(x / math.sqrt(2.0))


# vVS 1998's thresholds, the default of the theory and of `BalancedBinaryNetwork` alike.
DEFAULT_THRESHOLDS = (1.0, 0.7)


def _check_balanced(couplings, drives):
    couplings, drives = jnp.asarray(couplings, jnp.result_type(float)), jnp.asarray(drives)
    if couplings.shape != (2, 2) or drives.shape != (2,):
        raise ConfigError("couplings must be 2x2 [[J_EE, J_EI], [J_IE, J_II]] and drives "
                          f"(E, I), got shapes {couplings.shape} and {drives.shape}")
    check_real("couplings", couplings)
    check_real("drives", drives)
    try:
        c = np.asarray(couplings)
    except (jax.errors.TracerArrayConversionError, jax.errors.ConcretizationTypeError):
        c = None  # traced: checked by the caller's eager call
    if c is not None:
        det, scale = np.linalg.det(c), np.max(np.abs(c)) ** 2
        if abs(det) <= 1e-12 * max(scale, 1e-300):
            raise ConfigError(f"couplings {c.tolist()} form a singular balance matrix (det = "
                              f"{det:.3g}: e.g. equal E and I couplings), so the balance "
                              "equations E m0 + J m = 0 have no unique solution")
    return couplings, drives.astype(couplings.dtype)


def balanced_rates(couplings, drives, m0, k, thresholds=DEFAULT_THRESHOLDS):
    """Mean-field rates (m_E, m_I) of a balanced binary E/I network with K inputs per population:

        m_k = H(-u_k/√α_k),  u_k = √K (E_k m0 + Σ_l J_kl m_l) - θ_k,  α_k = Σ_l J_kl² m_l,

    (PHYSICS.md §5; H the Gaussian tail). `couplings` = [[J_EE, J_EI], [J_IE, J_II]] (the
    weights are J_kl/√K; J_kE > 0, J_kI < 0), `drives` = (E, I), m0 the external rate.
    Newton from the K → ∞ solution; differentiable (implicit). Where Newton finds no finite
    solution and the drive alone is below threshold (√K E_k m0 < θ_k for both populations), the
    silent state m = 0 is returned (it solves the equations: α → 0 with u < 0); otherwise an
    error is raised, never NaN."""
    couplings, drives = _check_balanced(couplings, drives)
    check_real("m0", m0, nonnegative=True)
    check_real("k", k, positive=True)
    check_real("thresholds", thresholds)
    thresholds = jnp.asarray(thresholds, couplings.dtype)
    args = (couplings, drives, jnp.asarray(m0, couplings.dtype), jnp.asarray(k, couplings.dtype),
            thresholds)
    return _balanced(args)


@eqx.filter_jit
def _balanced(args):
    couplings, drives, m0 = args[:3]
    limit = jnp.clip(-jnp.linalg.solve(couplings, drives * m0), 1e-3, 1 - 1e-3)

    def residual(m, args):
        j, e, m0_, k_, theta = args
        u = jnp.sqrt(k_) * (e * m0_ + j @ m) - theta
        alpha = (j**2) @ m
        return _gaussian_tail(-u / jnp.sqrt(alpha)) - m

    eps = float(jnp.finfo(couplings.dtype).eps)
    solver = optx.Newton(rtol=64 * eps, atol=64 * eps)
    solution = optx.root_find(residual, solver, jax.lax.stop_gradient(limit), args=args,
                              max_steps=100, throw=False)
    found = (solution.result == optx.RESULTS.successful) & jnp.all(jnp.isfinite(solution.value))
    k, theta = args[3], args[4]
    silent = jnp.all(jnp.sqrt(k) * drives * m0 < theta)
    rates = jnp.where(found, solution.value, jnp.where(silent, 0.0, jnp.nan))
    return eqx.error_if(rates, ~found & ~silent, "balanced_rates: Newton found no mean-field "
                        "solution and the silent state does not apply; check the parameters")


def balanced_rates_limit(couplings, drives, m0):
    """The K → ∞ balanced solution: the O(√K) input cancels, E_k m0 + Σ_l J_kl m_l = 0, so
    m = -J⁻¹ E m0, linear in m0. Returns `(m, balanced)`: the state exists iff both rates lie
    in (0, 1). With vVS's normalisation (J_EE = J_IE = 1, J_EI = -J_E, J_II = -J_I, drives
    (E, I)) positivity is E/I > J_E/J_I > 1 (or both reversed); rates < 1 bound m0."""
    couplings, drives = _check_balanced(couplings, drives)
    m = -jnp.linalg.solve(couplings, drives * m0)
    return m, jnp.all((m > 0) & (m < 1))


def _rate_map(m, couplings, drives, m0, k, thresholds):
    """F_k(m) = H(-u_k/√α_k) of `balanced_rates`."""
    u = jnp.sqrt(k) * (drives * m0 + couplings @ m) - thresholds
    return _gaussian_tail(-u / jnp.sqrt((couplings**2) @ m))


def balanced_mean_field_dynamics(couplings, drives, m0, k, *, thresholds=DEFAULT_THRESHOLDS,
                                 tau=(1.0, 0.9), m_init=(0.2, 0.2), t1: float = 20.0,
                                 dt: float = 0.01):
    """The dynamic mean field of the balanced binary network (vVS 1998),

        τ_k dm_k/dt = -m_k + H(-u_k/√α_k)   (u_k, α_k as in `balanced_rates`),

    integrated by RK4 with step dt from `m_init` to `t1`. Returns (times, m) with m of shape
    (steps + 1, 2), starting at m_init."""
    couplings, drives = _check_balanced(couplings, drives)
    check_real("tau", tau, positive=True)
    check_real("m_init", m_init, nonnegative=True)
    check_real("t1", t1, positive=True)
    check_real("dt", dt, positive=True)
    steps = int(round(t1 / dt))
    dtype = couplings.dtype
    args = (couplings, drives, jnp.asarray(m0, dtype), jnp.asarray(k, dtype),
            jnp.asarray(thresholds, dtype))
    inv_tau = 1.0 / jnp.asarray(tau, dtype)

    def field(m):
        return inv_tau * (-m + _rate_map(jnp.clip(m, 1e-300, 1.0), *args))

    def rk4(m, _):
        k1 = field(m)
        k2 = field(m + 0.5 * dt * k1)
        k3 = field(m + 0.5 * dt * k2)
        k4 = field(m + dt * k3)
        m = m + dt / 6 * (k1 + 2 * k2 + 2 * k3 + k4)
        return m, m

    m_start = jnp.asarray(m_init, dtype)
    _, ms = jax.lax.scan(rk4, m_start, None, length=steps)
    times = dt * jnp.arange(steps + 1, dtype=dtype)
    return times, jnp.concatenate([m_start[None], ms])


def balanced_stability(couplings, drives, m0, k, *, thresholds=DEFAULT_THRESHOLDS,
                       tau=(1.0, 0.9)):
    """Eigenvalues of the linearised dynamic mean field at the `balanced_rates` fixed point,
    diag(1/τ) (-I + ∂F/∂m) (complex, shape (2,)); the balanced state is linearly stable iff
    both real parts are negative. vVS: stable for τ_I/τ_E below a critical ratio, beyond which
    the rates oscillate (`critical_tau_ratio`)."""
    couplings, drives = _check_balanced(couplings, drives)
    check_real("tau", tau, positive=True)
    dtype = couplings.dtype
    args = (couplings, drives, jnp.asarray(m0, dtype), jnp.asarray(k, dtype),
            jnp.asarray(thresholds, dtype))
    m = balanced_rates(couplings, drives, m0, k, thresholds)
    jac = jax.jacfwd(_rate_map)(m, *args)
    return jnp.linalg.eigvals((-jnp.eye(2, dtype=dtype) + jac) / jnp.asarray(tau, dtype)[:, None])


def critical_tau_ratio(couplings, drives, m0, k, *, thresholds=DEFAULT_THRESHOLDS,
                       upper: float = 100.0) -> float:
    """The τ_I/τ_E (τ_E = 1) at which the balanced state loses stability (the largest real part
    of `balanced_stability` crosses 0), by bisection on (0.01, `upper`); inf if it is stable up
    to `upper`."""
    def growth(ratio):
        return float(jnp.max(jnp.real(balanced_stability(
            couplings, drives, m0, k, thresholds=thresholds, tau=(1.0, ratio)))))

    lower = 0.01
    if growth(lower) >= 0:
        raise ConfigError("the balanced state is unstable even at tau_I/tau_E = 0.01")
    if growth(upper) < 0:
        return math.inf
    for _ in range(50):
        mid = math.sqrt(lower * upper)
        lower, upper = (mid, upper) if growth(mid) < 0 else (lower, mid)
    return math.sqrt(lower * upper)
