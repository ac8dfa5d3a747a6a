"""Linear response and the route to chaos of any map or flow: response kernels by three
independent estimators, susceptibility and power spectra, fixed points, leading Jacobian
eigenvalues by Krylov–Schur on the JVPs, bifurcation crossings, contraction bounds. Imports the
core, theory and models layers."""
