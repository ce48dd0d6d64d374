"""docs/publishing.md cannot drift: its launch-form listing is generated from the
templates' metadata, its IAM policy covers every call a publish makes (and passes
parliament, the IAM linter), and it documents every publish flag."""

import argparse
import json
import re
from pathlib import Path

import parliament
import pytest

from planar_cfn import catalog
from planar_cfn.catalog import launch_constraint
from planar_cfn.catalog.launch_role import launch_role_path
from planar_cfn.cli import arguments
from planar_cfn.inputs.parameters import SPECS_BY_NAME
from tests.catalog.policy_eval import decide

# The launch role's modules name the actions the role grants, not calls a publish makes.
LAUNCH_ROLE_MODULES = {
    "launch_role.py",
    "launch_grants.py",
    "launch_boundary.py",
    "launch_records.py",
    "resource_schemas.py",
}
DOC = Path(__file__).resolve().parents[2] / "docs" / "publishing.md"
BEGIN = "<!-- launch-form: generated from the template metadata by tests/catalog/test_docs.py -->"
END = "<!-- /launch-form -->"
# Allowed in the policy though a publish does not call them itself.
POLICY_EXTRAS = {
    # Service Catalog validates a new version's template; AWS's admin policies grant it.
    "cloudformation:ValidateTemplate",
}


@pytest.fixture(scope="module")
def launch_role() -> dict:
    return json.loads(launch_role_path(DOC.parents[1] / "templates").read_text())


def _cell(text: str) -> str:
    return text.replace("|", "\\|").replace("\n", " ")


def launch_form(template: dict) -> str:
    """What a launching user sees: each group, and in it each field's label,
    parameter, default and description, in form order."""
    interface = template["Metadata"]["AWS::CloudFormation::Interface"]
    labels = interface["ParameterLabels"]
    lines = []
    for group in interface["ParameterGroups"]:
        lines += [
            f"### {group['Label']['default']}",
            "",
            "| Field | Parameter | Default | Description |",
            "| --- | --- | --- | --- |",
        ]
        for name in group["Parameters"]:
            parameter = template["Parameters"][name]
            default = parameter.get("Default")
            shown = "required" if default is None else "empty" if default == "" else f"`{default}`"
            description = parameter["Description"]
            if parameter.get("NoEcho"):
                description += " (typed input is hidden)"
            label = labels[name]["default"]
            lines.append(f"| {_cell(label)} | `{name}` | {_cell(shown)} | {_cell(description)} |")
        lines.append("")
    return "\n".join(lines).rstrip("\n")


def _section(text: str, begin: str, end: str) -> str:
    assert begin in text, f"{DOC.name} lacks the marker {begin!r}"
    assert end in text, f"{DOC.name} lacks the marker {end!r}"
    return text.split(begin, 1)[1].split(end, 1)[0].strip("\n")


def _policy() -> dict:
    text = DOC.read_text()
    match = re.search(r"<!-- publisher-policy -->\s*```json\n(.*?)```", text, re.DOTALL)
    assert match, f"{DOC.name} lacks the ```json policy after <!-- publisher-policy -->"
    return json.loads(match.group(1))


def _actions(policy: dict) -> set[str]:
    actions = set()
    for statement in policy["Statement"]:
        found = statement["Action"]
        actions |= {found} if isinstance(found, str) else set(found)
    return actions


def launch_forms(templates: dict[str, dict]) -> str:
    """Every stage's launch form as one listing: a field that differs by stage is
    listed once per variant, its label naming the stages it applies to."""
    forms = {stage: launch_form(template).split("\n") for stage, template in templates.items()}
    assert len({len(rows) for rows in forms.values()}) == 1, "stages differ in their fields"
    merged = []
    for rows in zip(*forms.values(), strict=True):
        if len(set(rows)) == 1:
            merged.append(rows[0])
            continue
        for row in dict.fromkeys(rows):
            stages = ", ".join(s for s, r in zip(forms, rows, strict=True) if r == row)
            label, rest = row.removeprefix("| ").split(" | ", 1)
            merged.append(f"| {label} ({stages}) | {rest}")
    return "\n".join(merged)


def test_only_the_database_zones_the_strategy_and_the_alarms_differ_by_stage(templates):
    form = launch_forms(templates).split("\n")
    differing = [r for r in form if "(dev" in r or "(staging" in r or "(prod)" in r]
    assert sorted({r.split(" | ")[1] for r in differing}) == [
        "`Alarms`",
        "`DatabaseAvailabilityZones`",
        "`DeploymentStrategy`",
    ]
    zones = [r for r in differing if "`DatabaseAvailabilityZones`" in r]
    assert "| required |" in zones[1]
    assert "2 or more different zones" in zones[1]


def test_launch_form_listing_matches_every_stage_template(templates):
    fresh = launch_forms(templates)
    if _section(DOC.read_text(), BEGIN, END) != fresh:
        pytest.fail(
            f"The launch form in {DOC.name} is stale; replace the text between its "
            f"markers with:\n\n{fresh}\n"
        )


def test_launch_form_lists_every_group_and_parameter(templates):
    listed = _section(DOC.read_text(), BEGIN, END)
    interface = templates["prod"]["Metadata"]["AWS::CloudFormation::Interface"]
    for group in interface["ParameterGroups"]:
        assert f"### {group['Label']['default']}\n" in listed
        for name in group["Parameters"]:
            assert f"`{name}`" in listed


def test_policy_allows_every_call_publish_makes_and_nothing_more():
    # Every call names its IAM action, in the catalog's publishing modules; the IAM
    # actions a launch constraint needs on the role are launch_constraint.LAUNCH_ROLE_ACTIONS.
    modules = Path(catalog.__file__).parent.glob("*.py")
    source = "".join(m.read_text() for m in modules if m.name not in LAUNCH_ROLE_MODULES)
    called = set(re.findall(r'"((?:s3|servicecatalog|iam):[A-Za-z]+)"', source))
    assert {
        "s3:PutObject",
        "servicecatalog:CreateProduct",
        "servicecatalog:CreateConstraint",
        "servicecatalog:UpdateConstraint",
        "servicecatalog:CreatePortfolioShare",
        "servicecatalog:UpdatePortfolioShare",
        "servicecatalog:DescribePortfolioShareStatus",
        "servicecatalog:GetAWSOrganizationsAccessStatus",
        "servicecatalog:AssociatePrincipalWithPortfolio",
        "servicecatalog:CreateTagOption",
        "servicecatalog:AssociateTagOptionWithResource",
        "servicecatalog:DisassociateTagOptionFromResource",
        "servicecatalog:DescribeProductAsAdmin",
        "iam:GetRole",
        "iam:PassRole",
    } <= called
    assert set(launch_constraint.LAUNCH_ROLE_ACTIONS) == {"iam:GetRole", "iam:PassRole"}
    assert _actions(_policy()) == called | POLICY_EXTRAS


PLACEHOLDERS = (
    ("ARTIFACT_BUCKET", "example-artifacts"),
    ("REGION", "us-east-1"),
    ("ACCOUNT_ID", "111122223333"),
    ("LAUNCH_ROLE", "planar-launch-role"),
    ("PRODUCT_ID", "prod-planar0000001"),
    ("PORTFOLIO_ID", "port-planar000001"),
)
CATALOG = "arn:aws:catalog:us-east-1:111122223333"


def _filled_policy() -> dict:
    text = json.dumps(_policy())
    for placeholder, example in PLACEHOLDERS:
        text = text.replace(placeholder, example)
    return json.loads(text)


def _statements() -> list[dict]:
    listed = _filled_policy()["Statement"]
    return [
        {
            **s,
            "Action": [s["Action"]] if isinstance(s["Action"], str) else s["Action"],
            "Resource": [s["Resource"]] if isinstance(s["Resource"], str) else s["Resource"],
        }
        for s in listed
    ]


def test_policy_reaches_only_the_planar_product_and_portfolio():
    statements = _statements()
    product, other_product = f"{CATALOG}:product/prod-planar0000001", f"{CATALOG}:product/prod-x"
    portfolio, other = f"{CATALOG}:portfolio/port-planar000001", f"{CATALOG}:portfolio/port-x"
    product_actions = {
        a for s in statements for a in s["Action"] if any(":product/" in r for r in s["Resource"])
    }
    portfolio_actions = {
        a for s in statements for a in s["Action"] if any(":portfolio/" in r for r in s["Resource"])
    }
    assert "servicecatalog:UpdateProvisioningArtifact" in product_actions
    assert "servicecatalog:CreatePortfolioShare" in portfolio_actions
    for action in product_actions - {"servicecatalog:CreateProduct"}:
        assert decide(statements, action, product) == "allow", action
        assert decide(statements, action, other_product) == "implicit deny", action
    for action in portfolio_actions:
        assert decide(statements, action, portfolio) == "allow", action
        assert decide(statements, action, other) == "implicit deny", action
    # The one statement on product/* creates a product and does nothing else.
    (creating,) = [s for s in statements if f"{CATALOG}:product/*" in s["Resource"]]
    assert creating["Action"] == ["servicecatalog:CreateProduct"]
    # The launch role only, and only to Service Catalog.
    role = "arn:aws:iam::111122223333:role/planar-launch-role"
    to_catalog = {"iam:PassedToService": "servicecatalog.amazonaws.com"}
    assert decide(statements, "iam:PassRole", role, to_catalog) == "allow"
    assert decide(statements, "iam:PassRole", role, {}) == "implicit deny"
    admin = "arn:aws:iam::111122223333:role/Admin"
    assert decide(statements, "iam:PassRole", admin, to_catalog) == "implicit deny"


def _constraint() -> dict:
    text = DOC.read_text()
    match = re.search(r"<!-- template-constraint -->\s*```json\n(.*?)```", text, re.DOTALL)
    assert match, f"{DOC.name} lacks the ```json rules after <!-- template-constraint -->"
    return json.loads(match.group(1))


def test_template_constraint_fixes_zone_domain_and_boundary_with_values_they_accept(
    templates, launch_role
):
    rules = _constraint()["Rules"]
    assertions = [a for rule in rules.values() for a in rule["Assertions"]]
    fixed = {}
    for assertion in assertions:
        ((function, (values, ref)),) = assertion["Assert"].items()
        if function == "Fn::Equals":
            values, ref = [ref], values
        name = ref["Ref"]
        fixed[name] = values if isinstance(values, list) else [values]
        assert name in assertion["AssertDescription"], name
    assert set(fixed) == {"HostedZoneId", "BaseDomainName", "PermissionsBoundary"}
    for template in templates.values():
        assert set(fixed) <= set(template["Parameters"])
    for name, values in fixed.items():
        # The inputs' own check, the one the templates' constraints come from.
        assert [SPECS_BY_NAME[name].check(v) for v in values] == [None] * len(values), name
    boundary = launch_role["Parameters"]["PermissionsBoundaryName"]["Default"]
    assert fixed["PermissionsBoundary"] == [boundary]


def test_policy_is_clean_for_the_iam_linter():
    text = json.dumps(_filled_policy())
    findings = parliament.analyze_policy_string(text).findings
    # These have no resource-level permissions (the Service Authorization Reference,
    # as parliament knows it): Resource "*" is the only way to allow them.
    unexpected = [
        f
        for f in findings
        if f.issue != "RESOURCE_STAR"
        or not set(f.detail)
        <= {
            "servicecatalog:SearchProductsAsAdmin",
            "servicecatalog:AssociateProductWithPortfolio",
            "servicecatalog:ListConstraintsForPortfolio",
            "servicecatalog:DescribeConstraint",
            "servicecatalog:UpdateConstraint",
            "servicecatalog:GetAWSOrganizationsAccessStatus",
            "servicecatalog:ListTagOptions",
            "servicecatalog:CreateTagOption",
            "servicecatalog:DescribePortfolioShareStatus",
            "cloudformation:ValidateTemplate",
        }
    ]
    assert not unexpected, [(f.issue, f.detail) for f in unexpected]


def test_every_publish_flag_is_documented():
    parser = argparse.ArgumentParser()
    arguments.publish_group(parser)
    text = DOC.read_text()
    flags = sorted(set(re.findall(r"--[a-z][a-z-]+", parser.format_help())) - {"--help"})
    assert "--publish" in flags
    assert "--deactivate-old" in flags
    assert {"--deprecate-old", "--launch-role", "--share-with", "--principal"} <= set(flags)
    for flag in [*flags, "--profile", "--region"]:
        assert f"`{flag}" in text, flag


def test_exit_codes_are_documented():
    text = DOC.read_text()
    for code in ("| 0 |", "| 1 |", "| 2 |"):
        assert code in text
