"""Templates for the rollout model's tests: a committed stage template with the
rollout parameters, conditions and properties the template side adds (the names
shared with it), so the model's tests do not wait for those templates."""

import copy
import json
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
NO_VALUE = {"Ref": "AWS::NoValue"}
# Each stage's defaults, as the shared parameter names give them.
STAGE_STRATEGY = {"dev": "ROLLING", "staging": "ROLLING", "prod": "CANARY"}


def committed(stage):
    return json.loads((ROOT / f"templates/planar-{stage}.json").read_text())


def number(default, low, high):
    return {"Type": "Number", "Default": default, "MinValue": low, "MaxValue": high}


def with_rollout(template, strategy="ROLLING", delay=30, percent=10, shift_bake=5, bake=10):
    """`template` with the rollout parameters at these defaults, the target group's
    deregistration delay and the service's strategy set from them."""
    t = copy.deepcopy(template)
    t["Parameters"].update(
        {
            "DeregistrationDelaySeconds": number(delay, 0, 3600),
            "DeploymentStrategy": {
                "Type": "String",
                "Default": strategy,
                "AllowedValues": ["ROLLING", "CANARY", "LINEAR", "BLUE_GREEN"],
            },
            "TrafficShiftPercent": number(percent, 3, 100),
            "TrafficShiftBakeMinutes": number(shift_bake, 0, 1440),
            "BakeTimeMinutes": number(bake, 0, 1440),
        }
    )

    def strategy_is(name):
        return {"Fn::Equals": [{"Ref": "DeploymentStrategy"}, name]}

    t.setdefault("Conditions", {}).update(
        {
            "UsesTrafficShift": {"Fn::Not": [strategy_is("ROLLING")]},
            "IsCanary": strategy_is("CANARY"),
            "IsLinear": strategy_is("LINEAR"),
        }
    )
    group = t["Resources"]["TargetGroup"]["Properties"]
    group["TargetGroupAttributes"] = [
        {
            "Key": "deregistration_delay.timeout_seconds",
            "Value": {"Ref": "DeregistrationDelaySeconds"},
        }
    ]
    config = t["Resources"]["Service"]["Properties"]["DeploymentConfiguration"]
    config["Strategy"] = {"Ref": "DeploymentStrategy"}
    config["CanaryConfiguration"] = {
        "Fn::If": [
            "IsCanary",
            {
                "CanaryPercent": {"Ref": "TrafficShiftPercent"},
                "CanaryBakeTimeInMinutes": {"Ref": "TrafficShiftBakeMinutes"},
            },
            NO_VALUE,
        ]
    }
    config["LinearConfiguration"] = {
        "Fn::If": [
            "IsLinear",
            {
                "StepPercent": {"Ref": "TrafficShiftPercent"},
                "StepBakeTimeInMinutes": {"Ref": "TrafficShiftBakeMinutes"},
            },
            NO_VALUE,
        ]
    }
    config["BakeTimeInMinutes"] = {
        "Fn::If": ["UsesTrafficShift", {"Ref": "BakeTimeMinutes"}, NO_VALUE]
    }
    return t


def stage_template(stage):
    """The committed stage template with the rollout parameters at its defaults."""
    return with_rollout(committed(stage), STAGE_STRATEGY[stage])
