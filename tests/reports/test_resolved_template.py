"""The values an estimate is made under are checked against the template as a deploy
would check them: an unknown parameter, a value its constraint refuses and a value a
Rule refuses each fail, naming the value and what is allowed."""

import re

import pytest

from planar_cfn import StackConfig, estimate


@pytest.mark.parametrize(
    ("values", "message"),
    [
        ({"Bogus": "1"}, "Bogus: not a template parameter; allowed: AppName"),
        ({"DesiredCount": "x"}, "DesiredCount = 'x': must be a whole number from 0 to 100"),
        ({"ContainerMemory": "512"}, "With 2048 CPU units, ContainerMemory must be one of 4096"),
        ({"AuroraMinCapacity": "4"}, "AuroraMinCapacity must not be above 2."),
        ({"FargateSpot": "true"}, "FargateSpot must be false in prod"),
    ],
)
def test_bad_values_are_refused(values, message):
    with pytest.raises(ValueError, match=re.escape(message)):
        estimate(StackConfig.for_stage("prod"), values)
