"""A small IAM policy evaluator for the tests: an explicit Deny wins, then any Allow,
for one action on one resource with a request context (condition key to a value, or a
list of values for a multivalued key). Only the operators the launch role uses are
known; any other fails the test rather than being guessed."""

import fnmatch

from tests.cfn import evaluate


def _values(values):
    return values if isinstance(values, list) else [values]


def _like(value, patterns):
    return any(fnmatch.fnmatchcase(value, p) for p in patterns)


def _holds(operator, key, expected, context):
    """Whether one condition key holds, as IAM evaluates it."""
    expected = _values(expected)
    present = key in context
    given = _values(context.get(key, []))
    if operator == "Null":
        return (not present) == (expected[0] == "true")
    if operator == "StringEquals" or operator == "ArnEquals":
        return present and any(v in expected for v in given)
    if operator == "StringEqualsIfExists":
        return not present or any(v in expected for v in given)
    if operator in ("StringNotEquals", "ArnNotEquals"):
        # A negated operator matches when the key is absent.
        return not present or not any(v in expected for v in given)
    if operator == "ForAllValues:StringLike":
        return all(_like(v, expected) for v in given)
    if operator == "ForAllValues:StringEquals":
        return all(v in expected for v in given)
    raise AssertionError(f"operator {operator} unknown to the test's evaluator")


def _matches(statement, action, resource, context):
    if not any(fnmatch.fnmatchcase(action.lower(), a.lower()) for a in statement["Action"]):
        return False
    if not any(fnmatch.fnmatchcase(resource, r) for r in statement["Resource"]):
        return False
    return all(
        _holds(operator, key, expected, context)
        for operator, keys in statement.get("Condition", {}).items()
        for key, expected in keys.items()
    )


def role_statements(role, refs):
    """Every statement of the managed policies attached to the launch role, resolved."""
    for resource in role["Resources"].values():
        properties = resource.get("Properties", {})
        if resource["Type"] == "AWS::IAM::ManagedPolicy" and properties.get("Roles"):
            for statement in properties["PolicyDocument"]["Statement"]:
                yield evaluate(statement, refs, {})


def decide(statements, action, resource, context=None):
    """'deny' (an explicit Deny matches), 'allow' (an Allow matches) or 'implicit deny'."""
    context = context or {}
    matching = [s for s in statements if _matches(s, action, resource, context)]
    if any(s["Effect"] == "Deny" for s in matching):
        return "deny"
    return "allow" if matching else "implicit deny"
