"""Mean-field theory: Gaussian integrals, the SCS DMFT, the discrete-time DMFT and the static
mean-field maps (deep nets, Cessac, balanced binary networks). Imports only the core."""
