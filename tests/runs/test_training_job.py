"""The `train-rnn` job's config: impossible schedules and other bad input, refused at config time
naming the key (a table that grows with every new key)."""

import pytest

from jaxchaos import ConfigError
from jaxchaos._runs._training_job import resolve_training_config


@pytest.mark.parametrize(
    ("training", "field"),
    [
        ({"protocol": "interleaved", "floss_at": [10], "floss_block": -10}, "floss_block"),
        ({"protocol": "interleaved", "floss_at": [10], "floss_block": 0}, "floss_block"),
        ({"protocol": "interleaved", "floss_at": [0]}, "floss_at"),
        ({"protocol": "interleaved"}, "floss_at"),
        ({"floss_steps": -1}, "floss_steps"),
        ({"steps": 0}, "training.steps"),
        ({"log_every": -5}, "training.log_every"),
        ({"jacobian_batch": 100}, "jacobian_batch"),
        ({"learning_rate": float("nan")}, "training.learning_rate"),
        ({"seeds": 0}, "training.seeds"),
        ({"logged_exponents": 40}, "training.logged_exponents"),
    ],
)
def test_bad_training_config_names_the_field(training, field):
    with pytest.raises(ConfigError) as info:
        resolve_training_config({"training": training})
    assert field in str(info.value)
