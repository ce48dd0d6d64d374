"""The states a stack can be in for a deploy: those a change set can update, and for
each state a deploy cannot start from, what happened and what the operator does."""

from __future__ import annotations

__all__ = ["IN_PROGRESS", "STUCK", "UPDATABLE"]

# Stacks a change set of type UPDATE can start from.
UPDATABLE = frozenset(
    {
        "CREATE_COMPLETE",
        "UPDATE_COMPLETE",
        "UPDATE_ROLLBACK_COMPLETE",
        "IMPORT_COMPLETE",
        "IMPORT_ROLLBACK_COMPLETE",
    }
)
# What happened, and what the operator does, for each state a deploy cannot start from;
# {role} is " --role-arn ARN" with --cfn-role-arn, as a rollback acts with that role.
STUCK = {
    "ROLLBACK_COMPLETE": "its first create failed and was rolled back; such a stack holds "
    "nothing and cannot be updated. See why with `aws cloudformation describe-stack-events "
    "--stack-name {name}`, delete it with `{prog} --stage {stage} --destroy`, then deploy again",
    "ROLLBACK_FAILED": "its first create failed and so did the rollback; delete it with "
    "`{prog} --stage {stage} --destroy` (resources that cannot be deleted are named in its "
    "events), then deploy again",
    "CREATE_FAILED": "its create failed with rollback disabled; delete it with "
    "`{prog} --stage {stage} --destroy`, then deploy again",
    "UPDATE_FAILED": "an update failed with rollback disabled; roll it back with "
    "`aws cloudformation rollback-stack --stack-name {name}{role}`, then deploy again",
    "UPDATE_ROLLBACK_FAILED": "an update failed and its rollback failed too; finish the "
    "rollback with `aws cloudformation continue-update-rollback --stack-name {name}{role}` (add "
    "--resources-to-skip for resources that cannot roll back), wait for "
    "UPDATE_ROLLBACK_COMPLETE, then deploy again",
    "IMPORT_ROLLBACK_FAILED": "an import failed and its rollback failed too; finish the "
    "rollback with `aws cloudformation continue-update-rollback --stack-name {name}{role}`, "
    "then deploy again",
    "DELETE_FAILED": "a delete failed; see why with `aws cloudformation describe-stack-events "
    "--stack-name {name}`, fix it and run `{prog} --stage {stage} --destroy` again",
}
IN_PROGRESS = (
    "another operation is running; wait for it with `{prog} --stage {stage} --watch` "
    "and deploy again"
)
