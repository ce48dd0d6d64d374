"""docs/data-safety.md's table, checked cell by cell against the rendered templates."""

import re
from pathlib import Path

import pytest

PAGE = Path(__file__).resolve().parents[2] / "docs" / "data-safety.md"
COLUMNS = {  # column -> (stage it reads, which policy)
    2: ("dev", "DeletionPolicy"),
    3: ("prod", "DeletionPolicy"),
    4: ("dev", "UpdateReplacePolicy"),
    5: ("prod", "UpdateReplacePolicy"),
}


def table_rows():
    # The page is the section: its one table.
    section = PAGE.read_text().split("# Data safety", 1)[1].split("\n## ", 1)[0]
    rows = [line.strip("|").split("|") for line in section.splitlines() if line.startswith("| ")]
    return {re.sub(r"[` ]", "", cells[1]): [c.strip() for c in cells] for cells in rows[1:]}


def phrase(template: dict, logical_id: str, policy: str) -> str:
    resource = template["Resources"].get(logical_id)
    if resource is None:
        return "—"
    value = resource[policy]
    if policy == "UpdateReplacePolicy":
        return {
            "Snapshot": "snapshot of the old one kept",
            "Retain": "old one kept",
            "Delete": "old one deleted",
        }[value]
    if value == "Delete" and resource["Type"] == "AWS::S3::Bucket":
        # Only true when something empties it first.
        assert template["Resources"]["BucketEmptier"]["Properties"]["BucketName"] == {
            "Ref": logical_id
        }
        return "emptied, then deleted"
    if value == "Delete" and resource["Type"] == "AWS::SecretsManager::Secret":
        return "deleted at once"
    if value == "Delete" and resource["Type"] == "AWS::ECR::Repository":
        # CloudFormation deletes a repository that holds images only with EmptyOnDelete.
        assert resource["Properties"]["EmptyOnDelete"] is True
        return "deleted with its images"
    return {"Delete": "deleted", "Retain": "kept", "Snapshot": "final snapshot kept"}[value]


FUNCTION_LOGS = ("BucketEmptierLogGroup", "EnvironmentFileLogGroup")


def test_table_covers_every_resource_that_keeps_data(templates):
    stateful = {
        "AWS::RDS::DBCluster",
        "AWS::RDS::DBInstance",
        "AWS::S3::Bucket",
        "AWS::SecretsManager::Secret",
        "AWS::Logs::LogGroup",
        "AWS::ECR::Repository",
    }
    listed = set(table_rows())
    for template in templates.values():
        for logical_id, resource in template["Resources"].items():
            # The custom resources' functions log nothing the application wrote.
            if resource["Type"] in stateful and logical_id not in FUNCTION_LOGS:
                assert logical_id in listed


@pytest.mark.parametrize("logical_id", sorted(table_rows()))
def test_every_cell_matches_the_templates(templates, logical_id):
    cells = table_rows()[logical_id]
    for column, (stage, policy) in COLUMNS.items():
        assert cells[column] == phrase(templates[stage], logical_id, policy), (logical_id, column)
        if stage == "dev":  # the dev column speaks for staging too
            assert phrase(templates["staging"], logical_id, policy) == cells[column]
