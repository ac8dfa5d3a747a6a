"""jaxchaos: GPU-accelerated, differentiable simulation of chaos in random neural networks.

The public names below are imported on first use (`__getattr__`), so that `jaxchaos run` can
report a config error without waiting for JAX to import; to add one, add its import line to the
`TYPE_CHECKING` block.
"""

import ast
import importlib
from importlib.metadata import PackageNotFoundError, version
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from ._core._citation import citation as citation
    from ._core._connectivity import Connectivity as Connectivity
    from ._core._ensembles import AbstractEnsemble as AbstractEnsemble
    from ._core._ensembles import Ensemble as Ensemble
    from ._core._ensembles import LowRankEnsemble as LowRankEnsemble
    from ._core._errors import AccuracyWarning as AccuracyWarning
    from ._core._errors import ConfigError as ConfigError
    from ._core._errors import DivergenceError as DivergenceError
    from ._core._inputs import AbstractInput as AbstractInput
    from ._core._inputs import ConstantInput as ConstantInput
    from ._core._inputs import FunctionInput as FunctionInput
    from ._core._inputs import SinusoidalInput as SinusoidalInput
    from ._core._labelled import load_results as load_results
    from ._core._nonlinearities import Nonlinearity as Nonlinearity
    from ._core._operator import AbstractOperator as AbstractOperator
    from ._core._operator import DenseOperator as DenseOperator
    from ._core._operator import LowRankOperator as LowRankOperator
    from ._core._operator import OutDegreeTable as OutDegreeTable
    from ._core._operator import RegeneratedOperator as RegeneratedOperator
    from ._core._operator import SparseOperator as SparseOperator
    from ._core._operator import as_operator as as_operator
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
    from ._generative._gan import GANState as GANState
    from ._generative._gan import GANTrainer as GANTrainer
    from ._generative._gan import Generator as Generator
    from ._generative._gan import gan_sample as gan_sample
    from ._generative._gan import gan_step as gan_step
    from ._generative._latent import ChaosLatent as ChaosLatent
    from ._generative._latent import GaussianLatent as GaussianLatent
    from ._generative._latent import chaos_latent as chaos_latent
    from ._generative._latent import expander_readout as expander_readout
    from ._learning._flax import FunctionCell as FunctionCell
    from ._learning._flax import flax_cell as flax_cell
    from ._learning._flossing import DrivenCell as DrivenCell
    from ._learning._flossing import Flossing as Flossing
    from ._learning._flossing import jacobian_log_singular_values as jacobian_log_singular_values
    from ._learning._flossing import random_frame as random_frame
    from ._learning._rnn import RNN as RNN
    from ._learning._rnn import GRUCell as GRUCell
    from ._learning._rnn import LeakyCell as LeakyCell
    from ._learning._rnn import LSTMCell as LSTMCell
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
    from ._lyapunov._spiking import SpikingSpectrum as SpikingSpectrum
    from ._lyapunov._spiking import spiking_lyapunov_spectrum as spiking_lyapunov_spectrum
    from ._lyapunov._spiking import (
        spiking_two_trajectory_exponent as spiking_two_trajectory_exponent,
    )
    from ._lyapunov._spiking_covariant import (
        SpikingCovariantVectors as SpikingCovariantVectors,
    )
    from ._lyapunov._spiking_covariant import (
        spiking_covariant_lyapunov_vectors as spiking_covariant_lyapunov_vectors,
    )
    from ._models._balanced import BalancedRateNetwork as BalancedRateNetwork
    from ._models._balanced import balance_rate as balance_rate
    from ._models._balanced import balanced_ensemble as balanced_ensemble
    from ._models._balanced import common_response_amplitude as common_response_amplitude
    from ._models._binary import BalancedBinaryNetwork as BalancedBinaryNetwork
    from ._models._binary import BinaryTrajectory as BinaryTrajectory
    from ._models._binary import binary_rates as binary_rates
    from ._models._binary import count_balanced_rates as count_balanced_rates
    from ._models._binary import damage_spreading as damage_spreading
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
    from ._models._spiking import AbstractPhaseNeuron as AbstractPhaseNeuron
    from ._models._spiking import EventState as EventState
    from ._models._spiking import LIFNeuron as LIFNeuron
    from ._models._spiking import RapidThetaNeuron as RapidThetaNeuron
    from ._models._spiking import SpikeRun as SpikeRun
    from ._models._spiking import SpikingNetwork as SpikingNetwork
    from ._models._spiking import ThetaNeuron as ThetaNeuron
    from ._models._spiking import balanced_drive as balanced_drive
    from ._models._spiking import random_phases as random_phases
    from ._models._spiking import random_targets as random_targets
    from ._models._spiking import run_spikes as run_spikes
    from ._models._spiking import spike_statistics as spike_statistics
    from ._models._spiking import spike_step as spike_step
    from ._models._spiking import stack_networks as stack_networks
    from ._response._kernels import ResponseKernel as ResponseKernel
    from ._response._kernels import demodulate as demodulate
    from ._response._kernels import finite_difference_response as finite_difference_response
    from ._response._kernels import lock_in as lock_in
    from ._response._kernels import mean_field_kernel as mean_field_kernel
    from ._response._kernels import mean_jacobian as mean_jacobian
    from ._response._kernels import noise_response as noise_response
    from ._response._kernels import power_spectrum as power_spectrum
    from ._response._kernels import squared_response as squared_response
    from ._response._kernels import stationary_states as stationary_states
    from ._response._kernels import susceptibility as susceptibility
    from ._response._kernels import tangent_response as tangent_response
    from ._response._route import Crossing as Crossing
    from ._response._route import Eigenvalues as Eigenvalues
    from ._response._route import FixedPoint as FixedPoint
    from ._response._route import circular_law_support as circular_law_support
    from ._response._route import classify_eigenvalue as classify_eigenvalue
    from ._response._route import contraction_bound as contraction_bound
    from ._response._route import fixed_point as fixed_point
    from ._response._route import leading_eigenvalues as leading_eigenvalues
    from ._response._route import stability_crossings as stability_crossings
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
    from ._theory._dmft import scs_resolution as scs_resolution
    from ._theory._driven import CriticalAmplitude as CriticalAmplitude
    from ._theory._driven import LockedState as LockedState
    from ._theory._driven import critical_input_amplitude as critical_input_amplitude
    from ._theory._driven import locked_resolution as locked_resolution
    from ._theory._driven import locked_state as locked_state
    from ._theory._gaussian import expectation as expectation
    from ._theory._gaussian import pair_expectation as pair_expectation
    from ._theory._lif_diffusion import lif_balanced_diffusion as lif_balanced_diffusion
    from ._theory._lif_diffusion import lif_diffusion_cv as lif_diffusion_cv
    from ._theory._lif_diffusion import lif_diffusion_rate as lif_diffusion_rate
    from ._theory._lif_shot_noise import lif_renewal_self_consistent as lif_renewal_self_consistent
    from ._theory._lif_shot_noise import lif_shot_noise_neuron as lif_shot_noise_neuron
    from ._theory._meanfield import CessacMeanField as CessacMeanField
    from ._theory._meanfield import CurveMeanField as CurveMeanField
    from ._theory._meanfield import DeepMeanField as DeepMeanField
    from ._theory._meanfield import balanced_mean_field_dynamics as balanced_mean_field_dynamics
    from ._theory._meanfield import balanced_rates as balanced_rates
    from ._theory._meanfield import balanced_rates_limit as balanced_rates_limit
    from ._theory._meanfield import balanced_stability as balanced_stability
    from ._theory._meanfield import c_map as c_map
    from ._theory._meanfield import cessac_mean_field as cessac_mean_field
    from ._theory._meanfield import cessac_recursion as cessac_recursion
    from ._theory._meanfield import critical_sigma_w as critical_sigma_w
    from ._theory._meanfield import critical_tau_ratio as critical_tau_ratio
    from ._theory._meanfield import critical_weight_variance as critical_weight_variance
    from ._theory._meanfield import deep_mean_field as deep_mean_field
    from ._theory._meanfield import great_circle_mean_field as great_circle_mean_field
    from ._theory._meanfield import q_map as q_map
    from ._theory._random_matrix import bulk_radius as bulk_radius
    from ._theory._random_matrix import critical_gain as critical_gain
    from ._theory._random_matrix import ginibre_product_exponents as ginibre_product_exponents
    from ._theory._random_matrix import mean_matrix as mean_matrix
    from ._theory._random_matrix import outliers as outliers
    from ._theory._random_matrix import slope_product_exponents as slope_product_exponents
    from ._theory._random_matrix import spectral_support as spectral_support
    from ._theory._random_matrix import variance_matrix as variance_matrix
    from ._theory._sampling_dmft import SamplingMeanField as SamplingMeanField
    from ._theory._sampling_dmft import sampling_dmft as sampling_dmft
    from ._theory._sampling_populations import (
        sampling_dmft_populations as sampling_dmft_populations,
    )


def _public_names() -> dict[str, str]:
    """{public name: module} from the imports of the `TYPE_CHECKING` block above."""
    names = {}
    for node in ast.parse(Path(__file__).read_text()).body:
        if isinstance(node, ast.If) and ast.unparse(node.test) == "TYPE_CHECKING":
            for statement in node.body:
                names.update({alias.asname or alias.name: "." * statement.level + statement.module
                              for alias in statement.names})
    return names


_PUBLIC = _public_names()


def __getattr__(name: str):
    if name not in _PUBLIC:
        raise AttributeError(f"module 'jaxchaos' has no attribute {name!r}")
    value = getattr(importlib.import_module(_PUBLIC[name], __name__), name)
    globals()[name] = value
    return value


def __dir__():
    return sorted(set(globals()) | set(_PUBLIC))


try:
    __version__ = version("jaxchaos")
except PackageNotFoundError:  # running from a source tree that was not installed
    __version__ = "0.0.0+unknown"
