"""A timeout or rate so extreme that every request would die of OverflowError is bad input, one line, exit 4."""

import pytest

from ecrconf.run import options


@pytest.mark.parametrize("parse,text", [(options.positive_seconds, "1e308"), (options.positive_seconds, "86401"),
                                        (options.requests_per_second, "1e-300"),
                                        (options.requests_per_second, "0.00001")])
def test_extreme_values_are_refused(parse, text):
    with pytest.raises(pytest.UsageError):
        parse(text)


@pytest.mark.parametrize("parse,text", [(options.positive_seconds, "86400"), (options.positive_seconds, "0.5"),
                                        (options.requests_per_second, "0.5")])
def test_ordinary_values_still_pass(parse, text):
    assert parse(text) == float(text)
