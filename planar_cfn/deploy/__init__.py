"""Deploying a stage as a reviewed change set: the plan decided offline, the account
look-ups and checks, the change set and its review, watching the stack, the
protections of a protected stage, drift, and the post-deploy health check.

`deploy(rendered, options)` is the entry point; `DeployResult` is what it returns."""

from .engine import DeployResult, Runtime, deploy

__all__ = ["DeployResult", "Runtime", "deploy"]
