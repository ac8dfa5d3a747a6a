"""jaxchaos: GPU-accelerated, differentiable simulation of chaos in random neural networks."""

from importlib.metadata import PackageNotFoundError, version

from ._connectivity import Connectivity as Connectivity
from ._covariant import CovariantLyapunovVectors as CovariantLyapunovVectors
from ._covariant import covariant_lyapunov_vectors as covariant_lyapunov_vectors
from ._covariant import participation_ratio as participation_ratio
from ._deepnet import DeepNetwork as DeepNetwork
from ._deepnet import ManifoldGeometry as ManifoldGeometry
from ._deepnet import great_circle as great_circle
from ._deepnet import jacobian_gain as jacobian_gain
from ._deepnet import manifold_geometry as manifold_geometry
from ._deepnet import propagate_inputs as propagate_inputs
from ._dmft import NearOnset as NearOnset
from ._dmft import SCSMeanField as SCSMeanField
from ._dmft import scs_delta0 as scs_delta0
from ._dmft import scs_dmft as scs_dmft
from ._dmft import scs_lyapunov as scs_lyapunov
from ._dmft import scs_near_onset as scs_near_onset
from ._dmft import scs_potential as scs_potential
from ._errors import ConfigError as ConfigError
from ._errors import DivergenceError as DivergenceError
from ._flossing import DrivenCell as DrivenCell
from ._flossing import Flossing as Flossing
from ._flossing import jacobian_log_singular_values as jacobian_log_singular_values
from ._flossing import random_frame as random_frame
from ._gaussian import expectation as expectation
from ._gaussian import pair_expectation as pair_expectation
from ._hopfield import AbstractGain as AbstractGain
from ._hopfield import AlternatingGain as AlternatingGain
from ._hopfield import ConstantGain as ConstantGain
from ._hopfield import FunctionGain as FunctionGain
from ._hopfield import HopfieldNetwork as HopfieldNetwork
from ._hopfield import linear_regression as linear_regression
from ._hopfield import nearest_pattern as nearest_pattern
from ._hopfield import overlaps as overlaps
from ._hopfield import projection_norms as projection_norms
from ._hopfield import random_patterns as random_patterns
from ._hopfield import sampling_statistics as sampling_statistics
from ._hopfield import subspace_bases as subspace_bases
from ._hopfield import visits as visits
from ._inputs import AbstractInput as AbstractInput
from ._inputs import ConstantInput as ConstantInput
from ._inputs import FunctionInput as FunctionInput
from ._inputs import SinusoidalInput as SinusoidalInput
from ._lyapunov import LyapunovEngine as LyapunovEngine
from ._lyapunov import LyapunovSpectrum as LyapunovSpectrum
from ._lyapunov import kaplan_yorke_dimension as kaplan_yorke_dimension
from ._lyapunov import ks_entropy as ks_entropy
from ._lyapunov import largest_exponent_two_trajectories as largest_exponent_two_trajectories
from ._lyapunov import lyapunov_spectrum as lyapunov_spectrum
from ._lyapunov import qr_safe_devices as qr_safe_devices
from ._lyapunov import step_with_tangent as step_with_tangent
from ._meanfield import CessacMeanField as CessacMeanField
from ._meanfield import DeepMeanField as DeepMeanField
from ._meanfield import balanced_rates as balanced_rates
from ._meanfield import balanced_rates_limit as balanced_rates_limit
from ._meanfield import c_map as c_map
from ._meanfield import cessac_mean_field as cessac_mean_field
from ._meanfield import cessac_recursion as cessac_recursion
from ._meanfield import critical_sigma_w as critical_sigma_w
from ._meanfield import critical_weight_variance as critical_weight_variance
from ._meanfield import deep_mean_field as deep_mean_field
from ._meanfield import q_map as q_map
from ._models import CessacNetwork as CessacNetwork
from ._models import EulerMap as EulerMap
from ._models import SCSNetwork as SCSNetwork
from ._nonlinearities import Nonlinearity as Nonlinearity
from ._recorders import AbstractRecorder as AbstractRecorder
from ._recorders import Autocorrelation as Autocorrelation
from ._recorders import Moments as Moments
from ._recorders import Trajectory as Trajectory
from ._rnn import RNN as RNN
from ._rnn import GRUCell as GRUCell
from ._rnn import LeakyCell as LeakyCell
from ._rnn import Readout as Readout
from ._rnn import TanhCell as TanhCell
from ._simulate import Integrator as Integrator
from ._simulate import SimState as SimState
from ._simulate import Simulation as Simulation
from ._simulate import simulate as simulate
from ._solvers import RK4 as RK4
from ._sweep import Sweep as Sweep
from ._sweep import sweep as sweep
from ._system import AbstractFlow as AbstractFlow
from ._system import AbstractMap as AbstractMap
from ._tasks import DelayedCopy as DelayedCopy
from ._tasks import DelayedRecall as DelayedRecall
from ._tasks import DelayedXOR as DelayedXOR

try:
    __version__ = version("jaxchaos")
except PackageNotFoundError:  # running from a source tree that was not installed
    __version__ = "0.0.0+unknown"
