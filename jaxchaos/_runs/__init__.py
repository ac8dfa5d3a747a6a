"""The runs layer: configs and their schemas, jobs and their executors, run folders, plots and the
command line. Nothing in the library imports it."""
