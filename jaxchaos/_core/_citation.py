"""BibTeX for jaxchaos and the methods a computation used: `citation("lyapunov", "dmft")`."""

from ._errors import ConfigError

_ENTRIES = {
    "jaxchaos": """@software{jaxchaos,
  title = {jaxchaos: {GPU}-accelerated, differentiable simulation of chaos in random neural
           networks},
  author = {{The jaxchaos developers}},
  year = {2026},
  note = {Built on JAX, equinox and diffrax}
}""",
    "jax": """@software{jax2018github,
  title = {{JAX}: composable transformations of {Python}+{NumPy} programs},
  author = {Bradbury, James and Frostig, Roy and Hawkins, Peter and Johnson, Matthew James and
            Leary, Chris and Maclaurin, Dougal and Necula, George and Paszke, Adam and
            VanderPlas, Jake and Wanderman-Milne, Skye and Zhang, Qiao},
  url = {http://github.com/jax-ml/jax},
  year = {2018}
}""",
    "equinox": """@article{kidger2021equinox,
  title = {{E}quinox: neural networks in {JAX} via callable {P}y{T}rees and filtered
           transformations},
  author = {Kidger, Patrick and Garcia, Cristian},
  journal = {Differentiable Programming workshop at Neural Information Processing Systems 2021},
  year = {2021}
}""",
    "diffrax": """@phdthesis{kidger2021on,
  title = {{O}n {N}eural {D}ifferential {E}quations},
  author = {Patrick Kidger},
  school = {University of Oxford},
  year = {2021}
}""",
    "scs": """@article{sompolinsky1988chaos,
  title = {Chaos in Random Neural Networks},
  author = {Sompolinsky, H. and Crisanti, A. and Sommers, H. J.},
  journal = {Physical Review Letters},
  volume = {61},
  pages = {259--262},
  year = {1988},
  doi = {10.1103/PhysRevLett.61.259}
}""",
    "path_integral": """@article{crisanti2018path,
  title = {Path integral approach to random neural networks},
  author = {Crisanti, A. and Sompolinsky, H.},
  journal = {Physical Review E},
  volume = {98},
  pages = {062120},
  year = {2018},
  doi = {10.1103/PhysRevE.98.062120}
}""",
    "benettin": """@article{benettin1980lyapunov,
  title = {Lyapunov characteristic exponents for smooth dynamical systems and for
           {H}amiltonian systems; a method for computing all of them. {P}art 1: Theory},
  author = {Benettin, G. and Galgani, L. and Giorgilli, A. and Strelcyn, J.-M.},
  journal = {Meccanica},
  volume = {15},
  pages = {9--20},
  year = {1980},
  doi = {10.1007/BF02128236}
}""",
    "engelken_spectra": """@article{engelken2023lyapunov,
  title = {Lyapunov spectra of chaotic recurrent neural networks},
  author = {Engelken, Rainer and Wolf, Fred and Abbott, L. F.},
  journal = {Physical Review Research},
  volume = {5},
  pages = {043044},
  year = {2023},
  doi = {10.1103/PhysRevResearch.5.043044}
}""",
    "ginelli": """@article{ginelli2007characterizing,
  title = {Characterizing Dynamics with Covariant {L}yapunov Vectors},
  author = {Ginelli, F. and Poggi, P. and Turchi, A. and Chat{\\'e}, H. and Livi, R. and
            Politi, A.},
  journal = {Physical Review Letters},
  volume = {99},
  pages = {130601},
  year = {2007},
  doi = {10.1103/PhysRevLett.99.130601}
}""",
    "poole": """@inproceedings{poole2016exponential,
  title = {Exponential expressivity in deep neural networks through transient chaos},
  author = {Poole, Ben and Lahiri, Subhaneil and Raghu, Maithra and Sohl-Dickstein, Jascha and
            Ganguli, Surya},
  booktitle = {Advances in Neural Information Processing Systems},
  volume = {29},
  year = {2016}
}""",
    "schoenholz": """@inproceedings{schoenholz2017deep,
  title = {Deep Information Propagation},
  author = {Schoenholz, Samuel S. and Gilmer, Justin and Ganguli, Surya and
            Sohl-Dickstein, Jascha},
  booktitle = {International Conference on Learning Representations},
  year = {2017}
}""",
    "cessac": """@article{cessac1995increase,
  title = {Increase in complexity in random neural networks},
  author = {Cessac, B.},
  journal = {Journal de Physique I},
  volume = {5},
  pages = {409--432},
  year = {1995},
  doi = {10.1051/jp1:1995135}
}""",
    "van_vreeswijk": """@article{vanvreeswijk1998chaotic,
  title = {Chaotic Balanced State in a Model of Cortical Circuits},
  author = {van Vreeswijk, C. and Sompolinsky, H.},
  journal = {Neural Computation},
  volume = {10},
  pages = {1321--1371},
  year = {1998},
  doi = {10.1162/089976698300017214}
}""",
    "engelken_flossing": """@inproceedings{engelken2023gradient,
  title = {Gradient Flossing: Improving Gradient Descent through Dynamic Control of
           {J}acobians},
  author = {Engelken, Rainer},
  booktitle = {Advances in Neural Information Processing Systems},
  volume = {36},
  year = {2023}
}""",
}

# What to cite for each part of the library (the software entries are always included).
TOPICS = {
    "simulation": ("diffrax",),
    "scs": ("scs",),
    "lyapunov": ("benettin", "engelken_spectra"),
    "covariant": ("ginelli",),
    "dmft": ("scs", "path_integral"),
    "deep": ("poole", "schoenholz"),
    "cessac": ("cessac",),
    "balanced": ("van_vreeswijk",),
    "flossing": ("engelken_flossing",),
}
_ALWAYS = ("jaxchaos", "jax", "equinox")


def citation(*topics: str) -> str:
    """BibTeX for jaxchaos, JAX and equinox, and for the methods of `topics`, any of
    "simulation", "scs", "lyapunov", "covariant", "dmft", "deep", "cessac", "balanced",
    "flossing" (no topic: the software only). Each entry appears once: `print(jc.citation(...))`.
    """
    keys = list(_ALWAYS)
    for topic in topics:
        if topic not in TOPICS:
            raise ConfigError(f"unknown citation topic {topic!r}; choose from {sorted(TOPICS)}")
        keys += [key for key in TOPICS[topic] if key not in keys]
    return "\n\n".join(_ENTRIES[key] for key in keys)
