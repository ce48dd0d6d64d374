"""Sizes and limits as AWS documents them, written out here rather than read from
planar_cfn, so that tests compare the code with them."""

from __future__ import annotations


def _gib(low: int, high: int, step: int) -> tuple[int, ...]:
    return tuple(range(low * 1024, high * 1024 + 1, step * 1024))


# Fargate task sizes, CPU units -> memory (MiB) allowed with them (Amazon ECS Developer
# Guide, task CPU and memory): 0.25 vCPU with 0.5, 1 or 2 GB; 0.5 vCPU 1-4 GB, 1 vCPU
# 2-8 GB, 2 vCPU 4-16 GB, 4 vCPU 8-30 GB, each in 1 GB steps; 8 vCPU 16-60 GB in 4 GB
# steps; 16 vCPU 32-120 GB in 8 GB steps.
FARGATE_TASK_SIZES: dict[int, tuple[int, ...]] = {
    256: (512, 1024, 2048),
    512: _gib(1, 4, 1),
    1024: _gib(2, 8, 1),
    2048: _gib(4, 16, 1),
    4096: _gib(8, 30, 1),
    8192: _gib(16, 60, 4),
    16384: _gib(32, 120, 8),
}
# ACM RequestCertificate: a certificate's first name (DomainName) is at most 64 octets.
ACM_FIRST_NAME_MAX_LENGTH = 64
