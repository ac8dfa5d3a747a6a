"""`jc.citation`: well-formed BibTeX, each entry once, the methods of the requested topics."""

import re

import pytest

import jaxchaos as jc
from jaxchaos import ConfigError
from jaxchaos._core._citation import TOPICS


def _keys(bibtex):
    return re.findall(r"^@\w+\{(\w+),", bibtex, re.M)


def test_entries_are_balanced_and_unique():
    text = jc.citation(*TOPICS)
    keys = _keys(text)
    assert len(keys) == len(set(keys)) == text.count("\n@") + 1
    for entry in text.split("\n\n"):
        assert entry.count("{") == entry.count("}"), entry


def test_topics_select_methods():
    assert _keys(jc.citation()) == ["jaxchaos", "jax2018github", "kidger2021equinox"]
    lyapunov = _keys(jc.citation("lyapunov", "dmft", "lyapunov"))
    assert "benettin1980lyapunov" in lyapunov and "sompolinsky1988chaos" in lyapunov
    assert "ginelli2007characterizing" not in lyapunov
    with pytest.raises(ConfigError, match="citation topic"):
        jc.citation("astrology")
