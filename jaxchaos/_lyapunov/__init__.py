"""Lyapunov analysis of any flow or map: spectra by tangent dynamics with QR re-orthonormalization,
KS entropy and dimension, covariant Lyapunov vectors. Imports the core."""
