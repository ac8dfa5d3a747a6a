"""`kaplan_yorke_dimension` refuses empty and non-finite spectra (issue 14 item 10)."""

import pytest

import jaxchaos as jc


@pytest.mark.parametrize(("exponents", "match"), [([], "at least one"),
                                                  ([0.1, float("nan"), -1.0], "finite"),
                                                  ([float("inf"), -1.0], "finite")])
def test_bad_spectra_are_refused(exponents, match):
    with pytest.raises(jc.ConfigError, match=match):
        jc.kaplan_yorke_dimension(exponents)


def test_known_value():
    """λ = (0.5, -1): D = 1 + 0.5/1."""
    assert jc.kaplan_yorke_dimension([0.5, -1.0]) == pytest.approx(1.5, abs=1e-15)
