"""jaxchaos: GPU-accelerated, differentiable simulation of chaos in random neural networks."""

from importlib.metadata import PackageNotFoundError, version

from ._core._connectivity import Connectivity as Connectivity
from ._core._errors import ConfigError as ConfigError
from ._core._errors import DivergenceError as DivergenceError
from ._core._inputs import AbstractInput as AbstractInput
from ._core._inputs import ConstantInput as ConstantInput
from ._core._inputs import FunctionInput as FunctionInput
from ._core._inputs import SinusoidalInput as SinusoidalInput
from ._core._nonlinearities import Nonlinearity as Nonlinearity
from ._core._recorders import AbstractRecorder as AbstractRecorder
from ._core._recorders import Autocorrelation as Autocorrelation
from ._core._recorders import Moments as Moments
from ._core._recorders import Trajectory as Trajectory
from ._core._simulate import Integrator as Integrator
from ._core._simulate import SimState as SimState
from ._core._simulate import Simulation as Simulation
from ._core._simulate import simulate as simulate
from ._core._solvers import RK4 as RK4
from ._core._sweep import Sweep as Sweep
from ._core._sweep import sweep as sweep
from ._core._system import AbstractFlow as AbstractFlow
from ._core._system import AbstractMap as AbstractMap
from ._generative._data import load_dataset as load_dataset
from ._generative._evaluation import frechet_distance as frechet_distance
from ._generative._evaluation import sampling_speed as sampling_speed
from ._generative._gan import Discriminator as Discriminator
from ._generative._gan import GANTrainer as GANTrainer
from ._generative._gan import Generator as Generator
from ._generative._latent import ChaosLatent as ChaosLatent
from ._generative._latent import GaussianLatent as GaussianLatent
from ._generative._latent import chaos_latent as chaos_latent
from ._generative._latent import expander_readout as expander_readout
from ._learning._flossing import DrivenCell as DrivenCell
from ._learning._flossing import Flossing as Flossing
from ._learning._flossing import jacobian_log_singular_values as jacobian_log_singular_values
from ._learning._flossing import random_frame as random_frame
from ._learning._rnn import RNN as RNN
from ._learning._rnn import GRUCell as GRUCell
from ._learning._rnn import LeakyCell as LeakyCell
from ._learning._rnn import Readout as Readout
from ._learning._rnn import TanhCell as TanhCell
from ._learning._tasks import DelayedCopy as DelayedCopy
from ._learning._tasks import DelayedRecall as DelayedRecall
from ._learning._tasks import DelayedXOR as DelayedXOR
from ._lyapunov._covariant import CovariantLyapunovVectors as CovariantLyapunovVectors
from ._lyapunov._covariant import covariant_lyapunov_vectors as covariant_lyapunov_vectors
from ._lyapunov._covariant import participation_ratio as participation_ratio
from ._lyapunov._spectrum import LyapunovEngine as LyapunovEngine
from ._lyapunov._spectrum import LyapunovSpectrum as LyapunovSpectrum
from ._lyapunov._spectrum import cholesky_qr2 as cholesky_qr2
from ._lyapunov._spectrum import kaplan_yorke_dimension as kaplan_yorke_dimension
from ._lyapunov._spectrum import ks_entropy as ks_entropy
from ._lyapunov._spectrum import (
    largest_exponent_two_trajectories as largest_exponent_two_trajectories,
)
from ._lyapunov._spectrum import lyapunov_spectrum as lyapunov_spectrum
from ._lyapunov._spectrum import qr_safe_devices as qr_safe_devices
from ._lyapunov._spectrum import spread_limit as spread_limit
from ._lyapunov._spectrum import step_with_tangent as step_with_tangent
from ._lyapunov._spectrum import summarize_blocks as summarize_blocks
from ._models._binary import BalancedBinaryNetwork as BalancedBinaryNetwork
from ._models._binary import BinaryTrajectory as BinaryTrajectory
from ._models._binary import binary_rates as binary_rates
from ._models._binary import count_balanced_rates as count_balanced_rates
from ._models._binary import simulate_binary as simulate_binary
from ._models._deepnet import DeepNetwork as DeepNetwork
from ._models._deepnet import ManifoldGeometry as ManifoldGeometry
from ._models._deepnet import great_circle as great_circle
from ._models._deepnet import jacobian_gain as jacobian_gain
from ._models._deepnet import manifold_geometry as manifold_geometry
from ._models._deepnet import propagate_inputs as propagate_inputs
from ._models._hopfield import AbstractGain as AbstractGain
from ._models._hopfield import AlternatingGain as AlternatingGain
from ._models._hopfield import ConstantGain as ConstantGain
from ._models._hopfield import FunctionGain as FunctionGain
from ._models._hopfield import HopfieldNetwork as HopfieldNetwork
from ._models._hopfield import linear_regression as linear_regression
from ._models._hopfield import nearest_pattern as nearest_pattern
from ._models._hopfield import overlaps as overlaps
from ._models._hopfield import projection_norms as projection_norms
from ._models._hopfield import random_patterns as random_patterns
from ._models._hopfield import sampling_statistics as sampling_statistics
from ._models._hopfield import subspace_bases as subspace_bases
from ._models._hopfield import visits as visits
from ._models._rate import CessacNetwork as CessacNetwork
from ._models._rate import EulerMap as EulerMap
from ._models._rate import SCSNetwork as SCSNetwork
from ._theory._discrete_dmft import DiscreteMeanField as DiscreteMeanField
from ._theory._discrete_dmft import cessac_dmft as cessac_dmft
from ._theory._discrete_dmft import discrete_dmft as discrete_dmft
from ._theory._discrete_dmft import euler_map_dmft as euler_map_dmft
from ._theory._dmft import NearOnset as NearOnset
from ._theory._dmft import SCSMeanField as SCSMeanField
from ._theory._dmft import scs_delta0 as scs_delta0
from ._theory._dmft import scs_dmft as scs_dmft
from ._theory._dmft import scs_lyapunov as scs_lyapunov
from ._theory._dmft import scs_near_onset as scs_near_onset
from ._theory._dmft import scs_potential as scs_potential
from ._theory._gaussian import expectation as expectation
from ._theory._gaussian import pair_expectation as pair_expectation
from ._theory._meanfield import CessacMeanField as CessacMeanField
from ._theory._meanfield import DeepMeanField as DeepMeanField
from ._theory._meanfield import balanced_rates as balanced_rates
from ._theory._meanfield import balanced_rates_limit as balanced_rates_limit
from ._theory._meanfield import c_map as c_map
from ._theory._meanfield import cessac_mean_field as cessac_mean_field
from ._theory._meanfield import cessac_recursion as cessac_recursion
from ._theory._meanfield import critical_sigma_w as critical_sigma_w
from ._theory._meanfield import critical_weight_variance as critical_weight_variance
from ._theory._meanfield import deep_mean_field as deep_mean_field
from ._theory._meanfield import q_map as q_map

try:
    __version__ = version("jaxchaos")
except PackageNotFoundError:  # running from a source tree that was not installed
    __version__ = "0.0.0+unknown"
