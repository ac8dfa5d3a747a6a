"""`EulerMap` names its step δ in errors (issue 14 item 10)."""

import jax
import pytest

import jaxchaos as jc


@pytest.mark.parametrize("delta", [-0.1, 0.0, float("nan")])
def test_bad_step_names_delta(delta):
    net = jc.SCSNetwork.random(jax.random.key(0), 4, 1.5)
    with pytest.raises(jc.ConfigError, match="delta"):
        jc.EulerMap(net, delta)
