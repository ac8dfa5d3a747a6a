"""The core layer: the system abstraction (flows and maps), connectivity, nonlinearities, inputs,
solvers, the integrator and its recorders, sweeps, and errors. Imports nothing else of jaxchaos."""
