"""The constraint table's values as AWS takes them: the container's CPU and memory
the Fargate task sizes, the Aurora capacity ladder in half ACUs within its range."""

from decimal import Decimal

from planar_cfn.inputs import constraints as c
from tests.aws_limits import FARGATE_TASK_SIZES


def test_cpu_and_memory_values_are_the_fargate_task_sizes(template):
    sizes = FARGATE_TASK_SIZES
    memories = sorted({m for allowed in sizes.values() for m in allowed})
    assert template["Parameters"]["ContainerCpu"]["AllowedValues"] == [str(cpu) for cpu in sizes]
    assert template["Parameters"]["ContainerMemory"]["AllowedValues"] == [str(m) for m in memories]


def test_capacity_ladder_is_half_acu_aligned_and_in_range():
    for value in c.AURORA_CAPACITY_STEPS:
        number = Decimal(value)
        assert number % Decimal("0.5") == 0
        assert 0 <= number <= 256
    assert all(Decimal(v) >= 1 for v in c.AURORA_MAX_CAPACITY_VALUES)
