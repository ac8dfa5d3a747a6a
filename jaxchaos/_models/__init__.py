"""The networks: rate networks and maps (SCS, Euler map, Cessac), Hopfield plus random, balanced
binary networks, deep random feed-forward nets. Imports the core and the theory."""
